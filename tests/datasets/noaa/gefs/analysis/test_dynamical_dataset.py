from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from datasets.common.timestamps import timedelta
from datasets.noaa.gefs.analysis.template_config import GEFS_ANALYSIS_DATA_VARS
from pipelines.demo.range_server import RangeServer
from steps.context import StepContext
from steps.validate import validate
from tests.support.gefs_analysis_archive import (
    PRE_V12_INITS,
    START,
    TEST_OPERATIONAL_START,
    expected_gefs_analysis_values,
    operational_path,
    small_grid_gefs_analysis_dataset,
    write_gefs_analysis_archive,
)
from tests.support.runs import update_after_backfill

REFORECAST_INITS = [START - timedelta("24h"), START]
OPERATIONAL_INITS = list(pd.date_range(TEST_OPERATIONAL_START, periods=7, freq="6h"))  # to 2020-01-03T00
LAST_BACKFILLED = START + timedelta("51h")  # 2020-01-02T03


@pytest.mark.slow
def test_update_after_backfill_appends_new_times_refetches_a_late_one_and_publishes_atomically(
    tmp_path: Path, http_archive: Callable[[Path], RangeServer]
) -> None:
    archive = tmp_path / "archive"
    write_gefs_analysis_archive(archive, REFORECAST_INITS, PRE_V12_INITS, OPERATIONAL_INITS)
    late_init = LAST_BACKFILLED - timedelta("3h")
    late = archive / operational_path(late_init, timedelta("3h"))
    late.rename(late.with_suffix(".late"))
    server = http_archive(archive)
    context = StepContext.create(
        small_grid_gefs_analysis_dataset(tmp_path / "template", server.base_url), str(tmp_path / "store.icechunk")
    )

    def before_update(before: xr.Dataset) -> None:
        assert before.sizes["time"] == 18
        assert np.isnan(before["temperature_2m"].values[17]).all()
        assert np.isfinite(before["temperature_2m"].values[16]).all()
        late.with_suffix(".late").rename(late)
        server.requests.clear()

    _, ds = update_after_backfill(context, LAST_BACKFILLED + timedelta("3h"), START + timedelta("76h"), before_update)
    times = list(pd.DatetimeIndex(ds["time"].values))
    assert times == list(pd.date_range(START, periods=26, freq="3h"))  # to 2020-01-03T03, lead 3 h of the last run
    for var in GEFS_ANALYSIS_DATA_VARS:
        expected = expected_gefs_analysis_values(var, times, lambda name, init, lead: True)
        np.testing.assert_array_equal(ds[var.name].values, expected, err_msg=var.name)
    fetched = {r.path for r in server.requests if r.path.endswith(("f000", "f003", "f006", "f00", "f06", ".grib2"))}
    # complete values are kept: only the positions from the first one lacking values are fetched again
    assert operational_path(late_init - timedelta("6h"), timedelta("0h")) not in fetched
    assert operational_path(late_init, timedelta("3h")) in fetched  # lacked values: fetched again
    assert not any("retrospective" in path for path in fetched)  # the reforecast shard is not touched
    assert not any("/pgrb2a/" in path or "/pgrb2b/" in path for path in fetched)  # nor the pre-v12 times

    report = validate(context, now=START + timedelta("76h"))
    assert report.passed, [r.message for r in report.failures]
    assert not validate(context, now=START + timedelta("85h")).passed  # 2020-01-03T06 is due and missing
