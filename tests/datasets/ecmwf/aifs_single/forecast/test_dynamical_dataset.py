from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from datasets.common.timestamps import timedelta
from datasets.ecmwf.aifs_single.forecast.region_job import EcmwfAifsSingleForecastRegionJob
from datasets.ecmwf.ecmwf_region_job import S3_BASE_URL
from datasets.registry import get_dataset
from pipelines.demo.range_server import RangeServer
from pipelines.local import run_local
from steps.context import StepContext
from steps.join import join
from steps.plan import plan
from steps.run_request import RunRequest
from steps.validate import validate
from steps.write import write
from tests.support.aifs_single_archive import (
    aifs_relative_stem,
    expected_aifs_values,
    small_grid_aifs_single_dataset,
    write_aifs_single_archive,
)
from tests.support.runs import read_main

# The last experimental init, then the first two operational ones.
I0, I1, I2 = pd.date_range("2025-02-25T00:00", periods=3, freq="6h")
LEAD_HOURS = (0, 6, 12)
LEADS = [timedelta(f"{h}h") for h in LEAD_HOURS]


def test_an_update_runs_one_worker_per_source_group_and_reads_ecmwf_open_data() -> None:
    dataset = get_dataset("ecmwf-aifs-single-forecast")
    groups = EcmwfAifsSingleForecastRegionJob.source_groups(dataset.template_config.data_vars)
    assert dataset.operational.update_workers == len(groups) == 6
    assert dataset.source_url() == S3_BASE_URL


@pytest.mark.slow
def test_update_after_backfill_appends_the_new_inits_and_publishes(
    tmp_path: Path, http_archive: Callable[[Path], RangeServer]
) -> None:
    archive = tmp_path / "archive"
    server = http_archive(archive)
    dataset = small_grid_aifs_single_dataset(tmp_path / "template", LEAD_HOURS, I0, server.base_url)
    data_vars = dataset.template_config.data_vars
    write_aifs_single_archive(archive, data_vars, [I0], LEADS)
    context = StepContext.create(dataset, str(tmp_path / "store.icechunk"))
    run_local(context, RunRequest(operation="backfill", run_id="b", append_dim_end=I1), show_progress=False)
    before = read_main(context.store.url)
    assert list(pd.DatetimeIndex(before["init_time"].values)) == [I0]

    write_aifs_single_archive(archive, data_vars, [I1, I2], LEADS)
    server.requests.clear()
    plan(context, RunRequest(operation="update", run_id="u"), now=I2 + timedelta("6h13min"))
    write(context, run_id="u", worker_index=0)
    unpublished = read_main(context.store.url)
    assert list(pd.DatetimeIndex(unpublished["init_time"].values)) == [I0]
    assert join(context, run_id="u").published

    ds = read_main(context.store.url)
    assert list(pd.DatetimeIndex(ds["init_time"].values)) == [I0, I1, I2]
    assert list(ds["ingested_forecast_length"].values / np.timedelta64(1, "h")) == [12, 12, 12]
    for var in data_vars:
        for i, init in enumerate((I0, I1, I2)):
            expected = expected_aifs_values(var, init, LEADS, lambda init, lead: True)
            np.testing.assert_array_equal(ds[var.name].values[i], expected, err_msg=f"{var.name} {init}")
    fetched = {r.path for r in server.requests if r.path.endswith(".grib2")}
    # the latest published init (the experimental one) again, then the operational ones
    assert fetched == {aifs_relative_stem(init, lead) + ".grib2" for init in (I0, I1, I2) for lead in LEADS}

    report = validate(context, now=I2 + timedelta("6h23min"))
    assert report.passed, [r.message for r in report.failures]
    assert not validate(context, now=I2 + timedelta("12h23min")).passed  # the next init is due and missing
