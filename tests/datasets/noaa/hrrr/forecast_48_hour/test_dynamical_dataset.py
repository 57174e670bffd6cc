from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from datasets.common.timestamps import timedelta, timestamp
from datasets.noaa.hrrr.forecast_48_hour.region_job import S3_BASE_URL, NoaaHrrrForecast48HourRegionJob
from datasets.noaa.hrrr.forecast_48_hour.template_config import HRRR_DATA_VARS
from pipelines.demo.range_server import RangeServer
from pipelines.local import run_local
from steps.context import StepContext
from steps.join import join
from steps.plan import plan
from steps.run_request import RunRequest
from steps.validate import validate
from steps.write import write
from tests.support.hrrr_archive import (
    LEADS,
    expected_stored_values,
    hrrr_relative_path,
    small_grid_hrrr_dataset,
    write_hrrr_archive,
)
from tests.support.runs import read_main

START = timestamp("2018-07-13T12:00")
INITS = list(pd.date_range(START, periods=3, freq="6h"))


def test_source_paths() -> None:
    job = NoaaHrrrForecast48HourRegionJob.source_file_coord_class
    coord = job(base_url=S3_BASE_URL, init_time=START, lead_time=timedelta("7h"), fields=())
    assert coord.get_url() == f"{S3_BASE_URL}/hrrr.20180713/conus/hrrr.t12z.wrfsfcf07.grib2"
    assert coord.index_url().endswith("wrfsfcf07.grib2.idx")


@pytest.mark.slow
def test_update_appends_the_new_init_and_publishes_atomically(
    tmp_path: Path, http_archive: Callable[[Path], RangeServer]
) -> None:
    archive = tmp_path / "archive"
    write_hrrr_archive(archive, INITS[:2], LEADS[:30])  # the second run is still being written
    server = http_archive(archive)
    dataset = small_grid_hrrr_dataset(tmp_path / "template", server.base_url)
    store_url = str(tmp_path / "store.icechunk")
    context = StepContext.create(dataset, store_url)
    run_local(context, RunRequest(operation="backfill", run_id="b", append_dim_end=INITS[2]), show_progress=False)
    before = read_main(store_url)
    assert list(before["ingested_forecast_length"].values / np.timedelta64(1, "h")) == [29, 29]

    write_hrrr_archive(archive, INITS[1:2], LEADS[30:])
    write_hrrr_archive(archive, INITS[2:], LEADS)
    server.requests.clear()
    plan(context, RunRequest(operation="update", run_id="u"), now=INITS[2] + timedelta("2h15min"))
    write(context, run_id="u", worker_index=0)
    unpublished = read_main(store_url)
    assert unpublished.sizes["init_time"] == 2
    np.testing.assert_array_equal(unpublished["temperature_2m"].values, before["temperature_2m"].values)
    assert join(context, run_id="u").published

    ds = read_main(store_url)
    assert list(pd.DatetimeIndex(ds["init_time"].values)) == INITS
    assert list(ds["ingested_forecast_length"].values / np.timedelta64(1, "h")) == [29, 48, 48]
    for var in HRRR_DATA_VARS:
        for i, init in enumerate(INITS):
            expected = expected_stored_values(var, init, lambda init, lead: init != INITS[0] or lead < LEADS[30])
            np.testing.assert_array_equal(ds[var.name].values[i], expected, err_msg=f"{var.name} at {init}")
    # the update reprocesses the latest published init and adds the new one; the first stays as published
    fetched = {r.path for r in server.requests if r.method == "GET"}
    assert not any(f"/hrrr.t{INITS[0]:%H}z." in path for path in fetched)
    assert hrrr_relative_path(INITS[1], LEADS[48]) in fetched

    report = validate(context, now=INITS[2] + timedelta("2h40min"))
    assert [(r.check, r.positions) for r in report.failures] == [("CheckHoles", (INITS[0].isoformat(),))]
