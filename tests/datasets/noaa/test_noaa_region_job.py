from collections.abc import Callable
from pathlib import Path

import icechunk
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from pydantic import ValidationError

from datasets.common.config_models import DataVar, Encoding
from datasets.common.errors import SourceNotFoundError, SourceReadError
from datasets.common.results import VariableResult
from datasets.common.sources.grib import iter_messages, message_identity
from datasets.common.sources.noaa_idx import parse_idx
from datasets.common.sources.synthetic_archive import ArchiveGrid, GribVariable, gfs_relative_path, write_gfs_archive
from datasets.common.timestamps import timedelta, timestamp
from datasets.example.region_job import ExampleRegionJob
from datasets.noaa.noaa_region_job import (
    NoaaRegionJob,
    NoaaSourceFileCoord,
    needs_message,
    select_field,
)
from datasets.noaa.noaa_variables import NoaaInternalAttrs, NoaaVariables
from steps.metadata import write_metadata
from tests.datasets.example import test_region_job as example
from tests.support.fault_server import FaultServer

GRID = ArchiveGrid(resolution=2.5)
INIT = timestamp("2024-01-01T00:00")
LEADS = [timedelta("0h"), timedelta("7h")]
SOURCES = [
    GribVariable(element="TMP", level="2 m above ground", discipline=0, category=0, number=0, surface_type=103,
                 surface_value=2, offset=280),
    GribVariable(element="APCP", level="surface", discipline=0, category=1, number=8, surface_type=1,
                 window_kind="acc", window_reset_hours=6, running_total=True, at_lead_0=True, offset=3, amplitude=2),
    GribVariable(element="UGRD", level="10 m above ground", discipline=0, category=2, number=2, surface_type=103,
                 surface_value=10),
]  # fmt: skip


VARIABLES = NoaaVariables(
    encoding=Encoding(dtype="float32", chunks=(1, 2, 73, 144), fill_value=np.nan), window_reset_hours=6
)
TEMPERATURE = VARIABLES.var(name="temperature_2m", long_name="Temperature", short_name="t", units="K",
                            element="TMP", level="2 m above ground")  # fmt: skip
PRECIPITATION = VARIABLES.var(name="precipitation_surface", long_name="Precipitation rate", short_name="prate",
                              units="kg m-2 s-1", element="APCP", level="surface", window="acc")  # fmt: skip
WIND = VARIABLES.var(name="wind_u_10m", long_name="U wind", short_name="u", units="m s-1", element="UGRD",
                     level="10 m above ground")  # fmt: skip


class GfsCoord(NoaaSourceFileCoord):
    def relative_path(self) -> str:
        return gfs_relative_path(self.init_time, self.lead_time)


class GfsJob(NoaaRegionJob[GfsCoord]):
    source_file_coord_class = GfsCoord
    grid = GRID.grid_spec()


@pytest.fixture
def server(tmp_path: Path, http_archive: Callable[[Path], FaultServer]) -> FaultServer:
    write_gfs_archive(tmp_path / "archive", [INIT], LEADS, SOURCES, GRID)
    return http_archive(tmp_path / "archive")


def make_job(source_url: str, *data_vars: DataVar[NoaaInternalAttrs]) -> GfsJob:
    template = xr.Dataset(
        coords={"init_time": [INIT], "lead_time": pd.TimedeltaIndex(LEADS)}, attrs={"dataset_id": "noaa-test"}
    )
    return GfsJob(
        template_ds=template, data_vars=data_vars, append_dim="init_time", region=slice(0, 1), source_url=source_url
    )


def test_internal_attrs_window_rules() -> None:
    with pytest.raises(ValidationError, match="reset period"):
        NoaaInternalAttrs(grib_element="APCP", grib_index_level="surface", keep_mantissa_bits=7, window_kind="acc")
    with pytest.raises(ValidationError, match="only accumulations"):
        NoaaInternalAttrs(
            grib_element="TMP", grib_index_level="surface", keep_mantissa_bits=7, deaccumulate_to_rate=True
        )
    attrs = PRECIPITATION.internal_attrs
    assert attrs.expected_field(timedelta("7h")).forecast == "6-7 hour acc fcst"
    assert attrs.expected_field(timedelta("12h")).forecast == "6-12 hour acc fcst"
    assert TEMPERATURE.internal_attrs.expected_field(timedelta("0h")).forecast == "anl"
    assert not needs_message(attrs, timedelta("0h"))
    assert needs_message(TEMPERATURE.internal_attrs, timedelta("0h"))


def test_download_fetches_only_the_wanted_messages_in_order(server: FaultServer, source_cache: Path) -> None:
    job = make_job(server.base_url, WIND, PRECIPITATION, TEMPERATURE)
    coord = job.source_file_coord(INIT, timedelta("7h"), job.data_vars)
    done = job.download_file(coord)
    assert done.downloaded_path is not None
    assert done.downloaded_path.parent == source_cache / "noaa-test"
    identities = [message_identity(m) for m in iter_messages(done.downloaded_path.read_bytes())]
    assert [str(i) for i in identities] == [
        "UGRD:10 m above ground:7 hour fcst",
        "APCP:surface:6-7 hour acc fcst",
        "TMP:2 m above ground:7 hour fcst",
    ]
    for var in (WIND, PRECIPITATION, TEMPERATURE):
        values = job.read_data(done, var)
        assert values.shape == (73, 144)
        assert not np.isnan(values).any()
    # The nearby closed ranges coalesced, and the open-ended last message; fetched concurrently, in either order.
    ranges = [str(r.range) for r in server.requests_for(coord.relative_path())]
    assert sorted(r.endswith("-") for r in ranges) == [False, True], ranges


def test_lead_0_of_a_window_is_nan_without_a_download(server: FaultServer, source_cache: Path) -> None:
    job = make_job(server.base_url, PRECIPITATION)
    coord = job.source_file_coord(INIT, timedelta("0h"), job.data_vars)
    assert coord.fields == ()
    done = job.download_file(coord)
    assert server.requests_for(coord.relative_path()) == []
    assert np.isnan(job.read_data(done, PRECIPITATION)).all()


def test_a_field_missing_from_the_index_costs_only_that_field(server: FaultServer, source_cache: Path) -> None:
    pressure = VARIABLES.var(name="pressure_surface", long_name="Pressure", short_name="sp", units="Pa",
                             element="PRES", level="surface")  # fmt: skip
    job = make_job(server.base_url, TEMPERATURE, pressure, WIND)
    done = job.download_file(job.source_file_coord(INIT, timedelta("7h"), job.data_vars))
    with pytest.raises(SourceNotFoundError, match="no idx entry for PRES:surface:7 hour fcst"):
        job.read_data(done, pressure)
    for var in (TEMPERATURE, WIND):
        assert not np.isnan(job.read_data(done, var)).any()


def test_an_idx_line_past_the_end_of_the_file_costs_only_its_field(
    server: FaultServer, tmp_path: Path, source_cache: Path
) -> None:
    job = make_job(server.base_url, WIND, TEMPERATURE)
    coord = job.source_file_coord(INIT, timedelta("7h"), job.data_vars)
    grib = tmp_path / "archive" / coord.relative_path()
    idx = grib.with_name(grib.name + ".idx")
    lines = idx.read_text().splitlines()
    wind = next(i for i, line in enumerate(lines) if ":UGRD:" in line)
    fields = lines[wind].split(":")
    fields[1] = str(grib.stat().st_size + 1000)  # the UGRD line points past the end; the others stay where they are
    lines[wind] = ":".join(fields)
    idx.write_text("\n".join(sorted(lines, key=lambda line: int(line.split(":")[1]))) + "\n")

    done = job.download_file(coord)

    with pytest.raises(SourceReadError, match="past the end of the file"):
        job.read_data(done, WIND)
    assert not np.isnan(job.read_data(done, TEMPERATURE)).any()


def test_missing_index_or_grib_is_not_found(server: FaultServer, tmp_path: Path, source_cache: Path) -> None:
    job = make_job(server.base_url, TEMPERATURE)
    coord = job.source_file_coord(INIT, timedelta("7h"), job.data_vars)
    (tmp_path / "archive" / coord.relative_path()).unlink()
    with pytest.raises(SourceNotFoundError):
        job.download_file(coord)
    (tmp_path / "archive" / (coord.relative_path() + ".idx")).unlink()
    with pytest.raises(SourceNotFoundError, match=r"\.idx"):
        make_job(server.base_url, TEMPERATURE).download_file(coord)  # a new job: the first read its index already
    assert list(source_cache.rglob("*.grib2")) == []


def test_a_field_is_found_under_an_alternative_element() -> None:
    messages = parse_idx("1:0:d=2018071312:PRMSL:mean sea level:anl:\n2:100:d=2018071312:MSLMA:mean sea level:anl:\n")
    attrs = NoaaInternalAttrs(
        keep_mantissa_bits=10,
        grib_element="MSLMA",
        grib_index_level="mean sea level",
        alternative_grib_elements=("PRMSL",),
    )
    assert select_field(messages, attrs.expected_field(timedelta(0))).start == 100
    assert select_field(messages[:1], attrs.expected_field(timedelta(0))).element == "PRMSL"
    with pytest.raises(SourceNotFoundError, match=r"MSLMA\|PRMSL:mean sea level:1 hour fcst"):
        select_field(messages, attrs.expected_field(timedelta("1h")))


def process_example(archive: Path, source_url: str) -> tuple[xr.Dataset, dict[tuple[int, str], VariableResult]]:
    """Every job of the example dataset (the simplest NoaaRegionJob) over its two inits, into a fresh store."""
    template = example.CONFIG.get_template(example.END)
    session = icechunk.Repository.create(icechunk.in_memory_storage()).writable_session("main")
    write_metadata(template, session.store)
    results = {}
    for job in ExampleRegionJob.get_jobs(template, "init_time", example.CONFIG.data_vars, source_url=source_url):
        results |= {(job.region.start, name): r for name, r in job.process([session.store]).items()}
    return xr.open_zarr(session.store, consolidated=False, chunks=None), results


def example_path(init: int, lead: int) -> str:
    return example.source_file(example.INITS[init], example.LEAD_TIMES[lead]).relative_path()


def test_missing_truncated_and_corrupt_files_leave_nan_and_are_recorded(
    tmp_path: Path, http_archive: Callable[[Path], FaultServer], source_cache: Path
) -> None:
    archive = tmp_path / "archive"
    example.write_archive(archive)
    (archive / example_path(0, 2)).unlink()  # the .idx stays: index present, GRIB missing
    (archive / (example_path(0, 3) + ".idx")).unlink()
    truncated = archive / example_path(1, 1)  # TMP whole, the UGRD message cut short
    truncated.write_bytes(truncated.read_bytes()[: len(next(iter_messages(truncated.read_bytes()))) + 10])
    corrupt = archive / example_path(1, 4)
    first = next(iter_messages(corrupt.read_bytes()))  # the TMP message
    corrupt.write_bytes(first[:-4] + b"XXXX" + corrupt.read_bytes()[len(first) :])

    server = http_archive(archive)
    ds, results = process_example(archive, server.base_url)

    temperature, wind = ds["temperature_2m"].values, ds["wind_u_10m"].values
    for array in (temperature, wind):
        assert np.isnan(array[0, 2]).all()
        assert np.isnan(array[0, 3]).all()
    assert np.isnan(temperature[1, 4]).all()
    assert np.isnan(wind[1, 1]).all()
    leads = example.LEAD_TIMES
    template = example.CONFIG.get_template(example.END)

    def expected(name: str, init: int, lead: int) -> np.ndarray:
        return example.expected(template, name, example.INITS[init], leads[lead])

    np.testing.assert_array_equal(temperature[1, 1], expected("temperature_2m", 1, 1))
    np.testing.assert_array_equal(wind[1, 4], expected("wind_u_10m", 1, 4))
    np.testing.assert_array_equal(temperature[0, 1], expected("temperature_2m", 0, 1))
    first_init = results[(0, "temperature_2m")]
    assert sorted(first_init.not_found) == sorted(f"{server.base_url}/{example_path(0, lead)}" for lead in (2, 3))
    (failure,) = results[(1, "temperature_2m")].read_failed
    assert "7777" in failure
    (failure,) = results[(1, "wind_u_10m")].read_failed
    assert "cut short" in failure
    assert results[(1, "wind_u_10m")].succeeded == 4
    assert list(source_cache.rglob("*.grib2")) == []


def test_a_wrong_field_at_an_index_offset_is_never_written(
    tmp_path: Path, http_archive: Callable[[Path], FaultServer], source_cache: Path
) -> None:
    archive = tmp_path / "archive"
    example.write_archive(archive)
    idx = archive / (example_path(0, 1) + ".idx")
    lines = idx.read_text().splitlines()
    tmp_offset, ugrd_offset = lines[0].split(":")[1], lines[1].split(":")[1]
    lines[0] = lines[0].replace(f"1:{tmp_offset}:", f"1:{ugrd_offset}:", 1)  # TMP's entry points at UGRD
    lines[1] = lines[1].replace(f"2:{ugrd_offset}:", f"2:{tmp_offset}:", 1)
    idx.write_text("\n".join(sorted(lines, key=lambda line: int(line.split(":")[1]))) + "\n")

    ds, results = process_example(archive, http_archive(archive).base_url)
    assert np.isnan(ds["temperature_2m"].values[0, 1]).all()
    assert np.isnan(ds["wind_u_10m"].values[0, 1]).all()
    assert any("wrong field" in failure for failure in results[(0, "temperature_2m")].read_failed)
