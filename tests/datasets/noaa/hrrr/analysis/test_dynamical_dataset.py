from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from datasets.common.timestamps import timedelta, timestamp
from datasets.noaa.hrrr.analysis.template_config import HRRR_ANALYSIS_DATA_VARS
from pipelines.demo.range_server import RangeServer
from steps.context import StepContext
from steps.validate import validate
from tests.support.hrrr_analysis_archive import (
    expected_hrrr_analysis_values,
    small_grid_hrrr_analysis_dataset,
    write_hrrr_analysis_archive,
)
from tests.support.hrrr_archive import hrrr_relative_path
from tests.support.runs import update_after_backfill

START = timestamp("2018-07-13T12:00")
INITS = list(pd.date_range(START - timedelta("1h"), periods=20, freq="1h"))


@pytest.mark.slow
def test_update_after_backfill_appends_new_hours_refetches_a_late_one_and_publishes_atomically(
    tmp_path: Path, http_archive: Callable[[Path], RangeServer]
) -> None:
    archive = tmp_path / "archive"
    write_hrrr_analysis_archive(archive, INITS)
    late = archive / hrrr_relative_path(START + timedelta("9h"), timedelta("0h"))  # 21:00, the last time backfilled
    late.rename(late.with_suffix(".late"))
    server = http_archive(archive)
    store_url = str(tmp_path / "store.icechunk")
    context = StepContext.create(small_grid_hrrr_analysis_dataset(tmp_path / "template", server.base_url), store_url)

    def before_update(before: xr.Dataset) -> None:
        assert before.sizes["time"] == 10
        assert np.isnan(before["temperature_2m"].values[9]).all()
        late.with_suffix(".late").rename(late)
        server.requests.clear()

    _, ds = update_after_backfill(context, START + timedelta("10h"), START + timedelta("19h50min"), before_update)
    times = list(pd.DatetimeIndex(ds["time"].values))
    assert times == list(pd.date_range(START, periods=19, freq="1h"))
    for var in HRRR_ANALYSIS_DATA_VARS:
        expected = expected_hrrr_analysis_values(var, times, lambda init, lead: init in INITS, START)
        np.testing.assert_array_equal(ds[var.name].values, expected, err_msg=var.name)
    fetched = {r.path for r in server.requests if r.path.endswith(".grib2")}
    assert hrrr_relative_path(START + timedelta("8h"), timedelta("0h")) not in fetched  # complete: kept
    assert hrrr_relative_path(START + timedelta("9h"), timedelta("0h")) in fetched  # lacked values: fetched again

    report = validate(context, now=START + timedelta("20h42min"))
    assert report.passed, [r.message for r in report.failures]
    assert not validate(context, now=START + timedelta("22h42min")).passed  # 20:00 is due and missing
