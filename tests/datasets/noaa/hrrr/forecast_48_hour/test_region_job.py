from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from zarr.abc.store import Store

from datasets.common.lambert_grid import LambertConformalGrid
from datasets.common.results import VariableResult, merge_results
from datasets.common.sources.synthetic_grids import LambertArchiveGrid
from datasets.common.timestamps import timedelta, timestamp
from datasets.noaa.hrrr.forecast_48_hour.template_config import HRRR_DATA_VARS
from pipelines.demo.range_server import RangeServer
from tests.support.gfs_archive import damaged_copy
from tests.support.hrrr_archive import (
    LEADS,
    SMALL_GRID,
    SmallGridHrrrRegionJob,
    SmallGridHrrrTemplateConfig,
    expected_stored_values,
    hrrr_relative_path,
    write_hrrr_archive,
)
from tests.support.region_jobs import Availability, processed, readable_for, rendered_template, stored

START = timestamp("2018-07-13T12:00")
INITS = list(pd.date_range(START, periods=2, freq="6h"))
PRMSL_INITS = INITS[:1]  # the older file carries PRMSL instead of MSLMA


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hrrr-archive")
    write_hrrr_archive(root, INITS, prmsl_inits=PRMSL_INITS)
    return root


@pytest.fixture
def template_ds(tmp_path: Path) -> xr.Dataset:
    return rendered_template(
        SmallGridHrrrTemplateConfig(template_dir=tmp_path / "template"), INITS[-1] + timedelta("6h")
    )


def process_all(template_ds: xr.Dataset, store: Store, source_url: str) -> dict[str, VariableResult]:
    jobs = SmallGridHrrrRegionJob.get_jobs(template_ds, "init_time", HRRR_DATA_VARS, source_url=source_url)
    assert [job.region for job in jobs] == [slice(0, 1), slice(1, 2)]
    return merge_results(job.process([store]) for job in jobs)


def assert_all_variables_as_expected(
    ds: xr.Dataset, available: Availability, unreadable: Mapping[str, Availability] | None = None
) -> None:
    for var in HRRR_DATA_VARS:
        readable = readable_for(available, unreadable, var.name)
        for i, init in enumerate(INITS):
            expected = expected_stored_values(var, init, readable, PRMSL_INITS)
            np.testing.assert_array_equal(ds[var.name].values[i], expected, err_msg=f"{var.name} at {init}")


def url(server: RangeServer, init: pd.Timestamp, lead: pd.Timedelta) -> str:
    return f"{server.base_url}/{hrrr_relative_path(init, lead)}"


@pytest.mark.slow
def test_every_stored_value_of_every_variable_is_exact(
    archive: Path, template_ds: xr.Dataset, http_archive: Callable[[Path], RangeServer]
) -> None:
    store, results = processed(template_ds, http_archive(archive).base_url, process_all)

    ds = stored(store)
    assert_all_variables_as_expected(ds, lambda init, lead: True)
    assert np.isfinite(ds["pressure_reduced_to_mean_sea_level"].values).all()  # PRMSL in the older run
    for name in ("precipitation_surface", "snowfall_surface"):
        assert np.isnan(ds[name].values[:, 0]).all()
        assert (ds[name].values[:, 1:] > 0).all()
    assert set(results) == {v.name for v in HRRR_DATA_VARS}
    for result in results.values():
        assert (result.succeeded, result.not_found, result.read_failed) == (len(INITS) * len(LEADS), (), ())
    final = SmallGridHrrrRegionJob.update_template_with_results(template_ds, results, "init_time")
    assert list(final["ingested_forecast_length"].values) == [np.timedelta64(48, "h")] * len(INITS)


@pytest.mark.slow
def test_missing_corrupt_and_wrong_grid_files_leave_nan_and_are_reported(
    archive: Path, template_ds: xr.Dataset, tmp_path: Path, http_archive: Callable[[Path], RangeServer]
) -> None:
    no_index = (INITS[0], timedelta("3h"))
    no_grib = (INITS[1], timedelta("7h"))
    corrupt = (INITS[1], timedelta("30h"))
    wrong_grid = (INITS[0], timedelta("48h"))
    damaged = damaged_copy(
        archive, tmp_path, hrrr_relative_path, no_index, no_grib, corrupt, ("DPT", "2 m above ground")
    )
    shifted = LambertConformalGrid.model_validate(SMALL_GRID.model_dump() | {"first_longitude": 238.0})
    write_hrrr_archive(damaged, [wrong_grid[0]], [wrong_grid[1]], PRMSL_INITS, LambertArchiveGrid(grid=shifted))
    server = http_archive(damaged)
    store, results = processed(template_ds, server.base_url, process_all)

    def available(init: pd.Timestamp, lead: pd.Timedelta) -> bool:
        return (init, lead) not in (no_index, no_grib, wrong_grid)

    ds = stored(store)
    assert_all_variables_as_expected(ds, available, {"dew_point_temperature_2m": lambda i, lead: (i, lead) == corrupt})
    for var in HRRR_DATA_VARS:
        result = results[var.name]
        assert {url(server, *no_index), url(server, *no_grib)} <= set(result.not_found), var.name
        failures = list(result.read_failed)
        assert any(entry.startswith(url(server, *wrong_grid)) and "wrong grid" in entry for entry in failures)
        corrupted = [entry for entry in failures if entry.startswith(url(server, *corrupt))]
        assert len(corrupted) == (var.name == "dew_point_temperature_2m"), var.name
    final = SmallGridHrrrRegionJob.update_template_with_results(template_ds, results, "init_time")
    assert list(final["ingested_forecast_length"].values / np.timedelta64(1, "h")) == [47, 48]
