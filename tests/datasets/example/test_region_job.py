"""example-gfs-coarse-forecast against a generated archive in the source's own layout, served over loopback HTTP.

When you change the dataset, keep SOURCE_VARIABLES (how each variable is encoded in the source GRIB;
`main inspect-grib FILE` shows the keys), GRID and EXPECTED_URL in step; everything else follows from
the dataset's own code. Add a test for each transform or hook you add.
"""

from collections.abc import Callable, Sequence
from pathlib import Path

import icechunk
import numpy as np
import pandas as pd
import pytest
import xarray as xr

from datasets.common.results import build_variable_result
from datasets.common.sources.synthetic_archive import GribVariable, expected_value, write_grib_file
from datasets.common.sources.synthetic_grids import ArchiveGrid
from datasets.common.timestamps import timedelta
from datasets.common.transforms.rounding import round_for_storage
from datasets.common.transforms.units import convert_units_inplace
from datasets.example import example_gfs_coarse_forecast
from datasets.example.region_job import ExampleRegionJob, ExampleSourceFileCoord
from pipelines.demo.range_server import RangeServer
from pipelines.local import run_local
from steps.context import StepContext
from steps.metadata import write_metadata
from steps.run_request import RunRequest
from tests.support.runs import read_main

DATASET = example_gfs_coarse_forecast()
CONFIG = DATASET.template_config
INITS = [CONFIG.append_dim_start, CONFIG.append_dim_start + CONFIG.append_dim_frequency]
END = INITS[-1] + CONFIG.append_dim_frequency
LEAD_TIMES = pd.TimedeltaIndex(CONFIG.dimension_coordinates()["lead_time"])
GRID = ArchiveGrid(resolution=2.5)
EXPECTED_URL = f"{DATASET.source_base_url}/gfs.20240101/06/atmos/gfs.t06z.pgrb2.2p50.f003"
SOURCE_VARIABLES = {
    "temperature_2m": GribVariable(
        element="TMP", level="2 m above ground", discipline=0, category=0, number=0, surface_type=103,
        surface_value=2, offset=280, amplitude=25,
    ),
    "wind_u_10m": GribVariable(
        element="UGRD", level="10 m above ground", discipline=0, category=2, number=2, surface_type=103,
        surface_value=10, amplitude=15,
    ),
    "maximum_temperature_2m": GribVariable(
        element="TMAX", level="2 m above ground", discipline=0, category=0, number=4, surface_type=103,
        surface_value=2, window_kind="max", window_reset_hours=6, offset=285, amplitude=25,
    ),
}  # fmt: skip


@pytest.fixture
def template() -> xr.Dataset:
    return CONFIG.get_template(END)


def source_file(init: pd.Timestamp, lead: pd.Timedelta, base_url: str = "") -> ExampleSourceFileCoord:
    return ExampleSourceFileCoord(base_url=base_url, init_time=init, lead_time=lead, fields=())


def write_archive(root: Path) -> list[Path]:
    """Every source file of INITS, at the dataset's own relative paths."""
    paths = []
    for init in INITS:
        for lead in LEAD_TIMES:
            path = root / source_file(init, lead).relative_path()
            write_grib_file(path, init, lead, list(SOURCE_VARIABLES.values()), GRID)
            paths.append(path)
    return paths


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    write_archive(tmp_path / "archive")
    return tmp_path / "archive"


def expected(template: xr.Dataset, name: str, init: pd.Timestamp, lead: pd.Timedelta) -> np.ndarray:
    """The stored value: the archive's value, in the stored units, mantissa-rounded."""
    variable = SOURCE_VARIABLES[name]
    if lead == timedelta(0) and not variable.present_at_lead_0:
        return np.full((template.sizes["latitude"], template.sizes["longitude"]), np.nan, dtype=np.float32)
    latitude, longitude = np.meshgrid(template["latitude"].values, template["longitude"].values, indexing="ij")
    values = expected_value(variable, init, lead, latitude, longitude).astype(np.float32)
    internal_attrs = CONFIG.data_var(name).internal_attrs
    if internal_attrs.unit_conversion is not None:
        convert_units_inplace(values, internal_attrs.unit_conversion)
    return round_for_storage(values, internal_attrs)


def assert_expected_values(template: xr.Dataset, ds: xr.Dataset) -> None:
    for name in SOURCE_VARIABLES:
        for i, init in enumerate(INITS):
            for j, lead in enumerate(LEAD_TIMES):
                np.testing.assert_array_equal(
                    ds[name].values[i, j], expected(template, name, init, lead), err_msg=f"{name} {init} {lead}"
                )


def test_every_variable_has_a_source_encoding() -> None:
    assert sorted(SOURCE_VARIABLES) == sorted(v.name for v in CONFIG.data_vars)
    assert GRID.grid_spec() == ExampleRegionJob.grid


def test_source_file_url() -> None:
    coord = source_file(INITS[1], timedelta("3h"), DATASET.source_url())
    assert coord.get_url() == EXPECTED_URL
    assert coord.index_url() == EXPECTED_URL + ".idx"


def test_one_job_per_init_shard_and_filters_select_whole_shards(template: xr.Dataset) -> None:
    def jobs(start: pd.Timestamp | None = None, variable_names: Sequence[str] = ()) -> list[ExampleRegionJob]:
        return ExampleRegionJob.get_jobs(
            template,
            CONFIG.append_dim,
            CONFIG.data_vars,
            filter_start=start,
            filter_variable_names=variable_names,
            source_url="http://mirror",
        )

    assert [job.region for job in jobs()] == [slice(0, 1), slice(1, 2)]
    assert all(len(job.data_vars) == len(CONFIG.data_vars) for job in jobs())
    assert [job.region for job in jobs(start=INITS[1])] == [slice(1, 2)]
    first = CONFIG.data_vars[0].name
    assert [[v.name for v in job.data_vars] for job in jobs(variable_names=[first])] == [[first], [first]]


def test_each_file_lists_the_fields_it_holds_for_the_job(template: xr.Dataset) -> None:
    job = ExampleRegionJob.get_jobs(template, CONFIG.append_dim, CONFIG.data_vars, source_url="http://mirror")[0]
    coords = job.generate_source_file_coords(template.isel(init_time=job.get_processing_region()), job.data_vars)
    assert [c.out_loc() for c in coords] == [{"init_time": INITS[0], "lead_time": lead} for lead in LEAD_TIMES]
    at_lead_0 = [v.element for v in SOURCE_VARIABLES.values() if v.present_at_lead_0]
    assert [f.element for f in coords[0].fields] == at_lead_0  # windowed fields have no value at lead 0
    assert [f.element for f in coords[1].fields] == [v.element for v in SOURCE_VARIABLES.values()]


def test_process_writes_every_value(
    archive: Path, template: xr.Dataset, http_archive: Callable[[Path], RangeServer], source_cache: Path
) -> None:
    session = icechunk.Repository.create(icechunk.in_memory_storage()).writable_session("main")
    write_metadata(template, session.store)
    jobs = ExampleRegionJob.get_jobs(
        template, CONFIG.append_dim, CONFIG.data_vars, source_url=http_archive(archive).base_url
    )
    for job in jobs:
        results = job.process([session.store])
        assert all(not r.not_found and not r.read_failed for r in results.values()), results
    assert_expected_values(template, xr.open_zarr(session.store, consolidated=False, chunks=None))
    assert list(source_cache.rglob("*.grib2")) == []  # downloads are removed once the region is written


def test_backfill_publishes_and_a_missing_file_stays_nan(
    archive: Path, template: xr.Dataset, http_archive: Callable[[Path], RangeServer], tmp_path: Path
) -> None:
    """The whole run as `main example-gfs-coarse-forecast backfill-local` does it: plan, write, join."""
    missing = source_file(INITS[1], LEAD_TIMES[1]).relative_path()
    (archive / missing).unlink()
    context = StepContext.create(DATASET, str(tmp_path / "store.icechunk"), http_archive(archive).base_url)
    summary = run_local(context, RunRequest(run_id="test", append_dim_end=END), show_progress=False)

    assert summary.published
    assert all(r.not_found == (f"{context.source_url}/{missing}",) for r in summary.variables.values())
    published = read_main(context.store.url)
    assert list(published["ingested_forecast_length"].values) == [LEAD_TIMES[-1], LEAD_TIMES[-1]]
    for name in SOURCE_VARIABLES:
        assert np.isnan(published[name].values[1, 1]).all()
        published[name].values[1, 1] = expected(template, name, INITS[1], LEAD_TIMES[1])
    assert_expected_values(template, published)


def test_an_update_records_the_longest_lead_time_written(template: xr.Dataset) -> None:
    outcomes = [("url", {"init_time": INITS[0], "lead_time": lead}, None) for lead in LEAD_TIMES[:3]]
    result = build_variable_result(CONFIG.data_vars[0].name, CONFIG.append_dim, outcomes, {})
    ds = ExampleRegionJob.update_template_with_results(template, {result.name: result}, CONFIG.append_dim)
    assert ds.sizes[CONFIG.append_dim] == 1
    assert ds["ingested_forecast_length"].values[0] == LEAD_TIMES[2].to_timedelta64()
