"""noaa-gfs-forecast-virtual on a coarse grid: backfill by plan → write → join, read through xarray, validate."""

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from datasets.common.sources.synthetic_archive import gfs_relative_path
from datasets.common.timestamps import timedelta, timestamp
from pipelines.demo.range_server import RangeServer
from pipelines.local import run_local
from steps.context import StepContext
from steps.run_request import RunRequest
from steps.validate import validate
from tests.support.gfs_archive import write_test_archive
from tests.support.virtual_archive import assert_equals_source, small_virtual_gfs

INITS = list(pd.date_range(timestamp("2021-05-01T00:00"), periods=2, freq="6h"))
LEADS = [timedelta(f"{h}h") for h in range(8)]  # lead 0 (no windowed fields) and a 6 h window reset


def backfill(tmp_path: Path, source_url: str) -> tuple[Any, StepContext]:
    dataset = small_virtual_gfs(tmp_path / "template", source_url)
    context = StepContext.create(dataset, str(tmp_path / "store.icechunk"), source_url)
    end = INITS[-1] + timedelta("6h")
    run_local(context, RunRequest(operation="backfill", run_id="b", append_dim_end=end), show_progress=False)
    return dataset, context


def opened(context: StepContext) -> xr.Dataset:
    session = context.repository().readonly_session("main")
    return xr.open_zarr(session.store, consolidated=False, decode_timedelta=True)


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    root = tmp_path / "archive"
    write_test_archive(root, INITS, LEADS)
    return root


@pytest.mark.slow
def test_every_variable_read_over_http_equals_eccodes_decode_of_its_message(
    tmp_path: Path, archive: Path, http_archive: Callable[[Path], RangeServer]
) -> None:
    dataset, context = backfill(tmp_path, http_archive(archive).base_url)
    ds = opened(context)
    assert ds["temperature_2m"].attrs["units"] == "K"
    assert ds["precipitation_surface"].attrs["units"] == "kg m-2"
    np.testing.assert_array_equal(ds["longitude"].values, np.arange(0, 360, 10.0))
    np.testing.assert_array_equal(ds["ingested_forecast_length"].values, [LEADS[-1].to_timedelta64()] * len(INITS))
    assert_equals_source(ds, dataset, archive, INITS, LEADS)
    later = ds["temperature_2m"].sel(lead_time=timedelta("9h")).values
    assert np.isnan(later).all(), "no reference where the archive has no file"


@pytest.mark.slow
def test_every_variable_read_from_s3_equals_eccodes_decode_of_its_message(
    tmp_path: Path, archive: Path, s3_archive: Callable[[Path], str]
) -> None:
    dataset, context = backfill(tmp_path, s3_archive(archive))
    assert_equals_source(opened(context), dataset, archive, INITS, LEADS)


def test_a_replaced_source_object_is_refused_naming_its_url(
    tmp_path: Path, archive: Path, http_archive: Callable[[Path], RangeServer]
) -> None:
    server = http_archive(archive)
    _, context = backfill(tmp_path, server.base_url)
    path = archive / gfs_relative_path(INITS[0], LEADS[1])
    shutil.copy(path, path.with_suffix(".copy"))
    path.with_suffix(".copy").replace(path)  # same bytes, a new object version: its ETag changes
    ds = opened(context)
    assert not np.isnan(ds["temperature_2m"].sel(init_time=INITS[0], lead_time=LEADS[2]).values).any()
    with pytest.raises(Exception, match="checksum of the object owning the virtual chunk has changed") as raised:
        ds["temperature_2m"].sel(init_time=INITS[0], lead_time=LEADS[1]).load()
    assert gfs_relative_path(INITS[0], LEADS[1]) in str(raised.value)


def test_validation_reads_manifests_and_decodes_a_sample(
    tmp_path: Path, archive: Path, http_archive: Callable[[Path], RangeServer]
) -> None:
    (archive / gfs_relative_path(INITS[0], LEADS[3])).unlink()
    _, context = backfill(tmp_path, http_archive(archive).base_url)
    report = validate(context, now=INITS[-1] + timedelta("7h"))
    by_check: dict[str, list[Any]] = {}
    for result in report.results:
        by_check.setdefault(result.check, []).append(result)
    assert all(r.passed for r in by_check["CheckDecodeHealth"]), by_check["CheckDecodeHealth"]
    assert all(r.passed for r in by_check["CheckCurrentData"])
    incomplete = [r for r in by_check["CheckManifestComplete"] if not r.passed]
    assert len(incomplete) == 25
    assert all(r.positions == (INITS[0].isoformat(),) for r in incomplete)
    temperature = next(r for r in incomplete if r.variable == "temperature_2m")
    # the older init is expected to 384 h (201 leads past the archive's 7 h, plus the deleted 3 h file); the newest
    # only up to what it ingested (8 leads, all there)
    assert temperature.message == "202 of 217 expected references missing, at 2021-05-01T00:00:00"
