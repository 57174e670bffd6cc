from collections.abc import Callable
from pathlib import Path

import icechunk
import numpy as np
import pandas as pd
import pytest
import xarray as xr

from datasets.common.sources.grib import iter_messages
from datasets.common.sources.synthetic_archive import (
    ArchiveGrid,
    GribVariable,
    expected_value,
    gfs_relative_path,
    write_gfs_archive,
)
from datasets.common.timestamps import timedelta, timestamp
from datasets.common.transforms.rounding import round_float32_inplace
from datasets.example.dynamical_dataset import EXAMPLE_DATASET
from datasets.example.region_job import ExampleRegionJob
from datasets.example.template_config import LEAD_TIMES
from pipelines.demo.range_server import RangeServer
from steps.metadata import write_metadata

CONFIG = EXAMPLE_DATASET.template_config
INITS = [timestamp("2024-01-01T00:00"), timestamp("2024-01-01T06:00")]
GRID = ArchiveGrid(resolution=2.5)
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


def relative_path(init: pd.Timestamp, lead: pd.Timedelta) -> str:
    return gfs_relative_path(init, lead, resolution_tag="2p50")


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    root = tmp_path / "archive"
    write_gfs_archive(root, INITS, list(LEAD_TIMES), list(SOURCE_VARIABLES.values()), GRID, resolution_tag="2p50")
    return root


@pytest.fixture
def template() -> xr.Dataset:
    return CONFIG.get_template(INITS[-1] + CONFIG.append_dim_frequency)


def jobs(template: xr.Dataset, source_url: str, **filters: object) -> list[ExampleRegionJob]:
    return ExampleRegionJob.get_jobs(
        template,
        "init_time",
        CONFIG.data_vars,
        source_url=source_url,
        **filters,  # ty: ignore[invalid-argument-type]
    )


def expected(name: str, init: pd.Timestamp, lead: pd.Timedelta) -> np.ndarray:
    """The stored value: the archive's value, in degC for temperatures, mantissa-rounded."""
    variable = SOURCE_VARIABLES[name]
    data_var = CONFIG.data_var(name)
    if variable.window_kind is not None and lead == timedelta(0):
        return np.full((73, 144), np.nan, dtype=np.float32)
    latitude, longitude = np.meshgrid(np.linspace(90, -90, 73), np.arange(-180, 180, 2.5), indexing="ij")
    values = expected_value(variable, init, lead, latitude, longitude).astype(np.float32)
    if data_var.internal_attrs.kelvin_to_celsius:
        values -= np.float32(273.15)
    bits = data_var.internal_attrs.keep_mantissa_bits
    assert isinstance(bits, int)
    return round_float32_inplace(values, bits)


def test_get_jobs_makes_one_job_per_init_shard(template: xr.Dataset) -> None:
    all_jobs = jobs(template, "http://mirror")
    assert [job.region for job in all_jobs] == [slice(0, 1), slice(1, 2)]
    assert all([v.name for v in job.data_vars] == [v.name for v in CONFIG.data_vars] for job in all_jobs)
    assert [j.region for j in jobs(template, "http://mirror", filter_start=INITS[1])] == [slice(1, 2)]
    only_wind = jobs(template, "http://mirror", filter_variable_names=["wind_u_10m"])
    assert [[v.name for v in job.data_vars] for job in only_wind] == [["wind_u_10m"], ["wind_u_10m"]]
    first, second = (
        jobs(template, "http://mirror", workers_total=2, worker_index=0),
        jobs(template, "http://mirror", workers_total=2, worker_index=1),
    )
    assert [j.region for j in first + second] == [slice(0, 1), slice(1, 2)]


def test_generate_source_file_coords(template: xr.Dataset) -> None:
    job = jobs(template, "https://noaa-gfs-bdp-pds.s3.amazonaws.com")[1]
    processing = template.isel(init_time=job.get_processing_region())
    coords = job.generate_source_file_coords(processing, job.data_vars)
    assert [c.out_loc() for c in coords] == [{"init_time": INITS[1], "lead_time": lead} for lead in LEAD_TIMES]
    assert coords[1].get_url() == (
        "https://noaa-gfs-bdp-pds.s3.amazonaws.com/gfs.20240101/06/atmos/gfs.t06z.pgrb2.2p50.f003"
    )
    assert coords[1].index_url() == coords[1].get_url() + ".idx"
    assert [f.element for f in coords[0].fields] == ["TMP", "UGRD"]  # no window at lead 0
    assert [(f.element, f.forecast) for f in coords[3].fields] == [
        ("TMP", "9 hour fcst"),
        ("UGRD", "9 hour fcst"),
        ("TMAX", "6-9 hour max fcst"),
    ]


def memory_store(template: xr.Dataset) -> icechunk.Session:
    session = icechunk.Repository.create(icechunk.in_memory_storage()).writable_session("main")
    write_metadata(template, session.store)
    return session


def process(template: xr.Dataset, source_url: str) -> tuple[xr.Dataset, dict]:
    session = memory_store(template)
    results: dict = {}
    for job in jobs(template, source_url):
        results |= {(job.region.start, name): r for name, r in job.process([session.store]).items()}
    return xr.open_zarr(session.store, consolidated=False, chunks=None), results


def test_process_writes_expected_values(
    archive: Path, template: xr.Dataset, http_archive: Callable[[Path], RangeServer], source_cache: Path
) -> None:
    ds, results = process(template, http_archive(archive).base_url)
    for name in SOURCE_VARIABLES:
        for i, init in enumerate(INITS):
            for j, lead in enumerate(LEAD_TIMES):
                np.testing.assert_array_equal(
                    ds[name].values[i, j], expected(name, init, lead), err_msg=f"{name} {init} {lead}"
                )
            result = results[(i, name)]
            assert (result.succeeded, result.not_found, result.read_failed) == (5, (), ())
            assert result.coverage == {init.isoformat(): {"lead_time": 12 * 3600}}
    assert ds["temperature_2m"].attrs["units"] == "degree_Celsius"
    assert list(source_cache.rglob("*.grib2")) == []  # downloads are removed once the region is written


def test_missing_and_corrupt_files_leave_nan_and_are_recorded(
    archive: Path, template: xr.Dataset, http_archive: Callable[[Path], RangeServer], source_cache: Path
) -> None:
    missing = archive / relative_path(INITS[0], LEAD_TIMES[2])
    missing.unlink()  # the .idx stays: index present, GRIB missing
    (archive / (relative_path(INITS[0], LEAD_TIMES[3]) + ".idx")).unlink()
    truncated = archive / relative_path(INITS[1], LEAD_TIMES[1])  # TMP whole, the UGRD message cut short
    truncated.write_bytes(truncated.read_bytes()[: len(next(iter_messages(truncated.read_bytes()))) + 10])
    corrupt = archive / relative_path(INITS[1], LEAD_TIMES[4])
    first = next(iter_messages(corrupt.read_bytes()))  # the TMP message
    corrupt.write_bytes(first[:-4] + b"XXXX" + corrupt.read_bytes()[len(first) :])

    server = http_archive(archive)
    ds, results = process(template, server.base_url)

    temperature, wind = ds["temperature_2m"].values, ds["wind_u_10m"].values
    for array in (temperature, wind):
        assert np.isnan(array[0, 2]).all()
        assert np.isnan(array[0, 3]).all()
    assert np.isnan(temperature[1, 4]).all()
    np.testing.assert_array_equal(temperature[1, 1], expected("temperature_2m", INITS[1], LEAD_TIMES[1]))
    assert np.isnan(wind[1, 1]).all()
    np.testing.assert_array_equal(wind[1, 4], expected("wind_u_10m", INITS[1], LEAD_TIMES[4]))
    np.testing.assert_array_equal(temperature[0, 1], expected("temperature_2m", INITS[0], LEAD_TIMES[1]))

    first_init = results[(0, "temperature_2m")]
    assert sorted(first_init.not_found) == sorted(
        f"{server.base_url}/{relative_path(INITS[0], lead)}" for lead in LEAD_TIMES[2:4]
    )
    (failure,) = results[(1, "temperature_2m")].read_failed
    assert "7777" in failure
    (failure,) = results[(1, "wind_u_10m")].read_failed
    assert "cut short" in failure
    assert results[(1, "wind_u_10m")].succeeded == 4
    assert list(source_cache.rglob("*.grib2")) == []


def test_wrong_field_at_an_index_offset_is_never_written(
    archive: Path, template: xr.Dataset, http_archive: Callable[[Path], RangeServer], source_cache: Path
) -> None:
    idx = archive / (relative_path(INITS[0], LEAD_TIMES[1]) + ".idx")
    lines = idx.read_text().splitlines()
    tmp_offset, ugrd_offset = lines[0].split(":")[1], lines[1].split(":")[1]
    lines[0] = lines[0].replace(f"1:{tmp_offset}:", f"1:{ugrd_offset}:", 1)  # TMP's entry points at UGRD
    lines[1] = lines[1].replace(f"2:{ugrd_offset}:", f"2:{tmp_offset}:", 1)
    idx.write_text("\n".join(sorted(lines, key=lambda line: int(line.split(":")[1]))) + "\n")

    ds, results = process(template, http_archive(archive).base_url)
    assert np.isnan(ds["temperature_2m"].values[0, 1]).all()
    assert np.isnan(ds["wind_u_10m"].values[0, 1]).all()
    assert any("wrong field" in failure for failure in results[(0, "temperature_2m")].read_failed)


def test_update_template_with_results_records_ingested_forecast_length(template: xr.Dataset) -> None:
    from datasets.common.results import build_variable_result

    outcomes = [("url", {"init_time": INITS[0], "lead_time": lead}, None) for lead in LEAD_TIMES[:3]]
    result = build_variable_result("temperature_2m", "init_time", outcomes, {})
    ds = ExampleRegionJob.update_template_with_results(template, {"temperature_2m": result}, "init_time")
    assert ds.sizes["init_time"] == 1
    assert ds["ingested_forecast_length"].values[0] == np.timedelta64(6, "h")
    assert ds["ingested_forecast_length"].encoding == template["ingested_forecast_length"].encoding
