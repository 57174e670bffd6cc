"""noaa-hrrr-forecast-48-hour-virtual on a coarse Lambert grid: every variable equals eccodes' decode of its message."""

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from datasets.common.timestamps import timedelta, timestamp
from pipelines.demo.range_server import RangeServer
from pipelines.local import run_local
from steps.context import StepContext
from steps.run_request import RunRequest
from tests.support.hrrr_archive import write_hrrr_archive
from tests.support.virtual_archive import assert_equals_source, small_virtual_hrrr

INITS = [timestamp("2018-07-13T12:00"), timestamp("2018-07-13T18:00")]
LEADS = [timedelta(f"{h}h") for h in range(3)]


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    root = tmp_path / "archive"
    write_hrrr_archive(root, INITS, LEADS, prmsl_inits=INITS[1:])
    return root


def backfilled(tmp_path: Path, source_url: str) -> xr.Dataset:
    dataset = small_virtual_hrrr(tmp_path / "template", source_url)
    context = StepContext.create(dataset, str(tmp_path / "store.icechunk"), source_url)
    end = INITS[-1] + timedelta("6h")
    run_local(context, RunRequest(operation="backfill", run_id="b", append_dim_end=end), show_progress=False)
    ds = xr.open_zarr(context.repository().readonly_session("main").store, consolidated=False, decode_timedelta=True)
    assert_equals_source(ds, dataset, tmp_path / "archive", INITS, LEADS)
    return ds


@pytest.mark.slow
def test_every_variable_read_over_http_equals_eccodes_decode_of_its_message(
    tmp_path: Path, archive: Path, http_archive: Callable[[Path], RangeServer]
) -> None:
    ds = backfilled(tmp_path, http_archive(archive).base_url)
    assert ds["temperature_2m"].attrs["units"] == "K"
    assert ds["snowfall_surface"].attrs["units"] == "kg m-2"
    assert ds["latitude"].dims == ("y", "x")
    assert ds["y"].values[0] > ds["y"].values[-1], "rows north to south, as the materialized dataset"
    assert not np.isnan(ds["pressure_reduced_to_mean_sea_level"].sel(init_time=INITS[1], lead_time="1h")).any()


@pytest.mark.slow
def test_every_variable_read_from_s3_equals_eccodes_decode_of_its_message(
    tmp_path: Path, archive: Path, s3_archive: Callable[[Path], str]
) -> None:
    backfilled(tmp_path, s3_archive(archive))
