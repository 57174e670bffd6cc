from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from pydantic import ValidationError

from datasets.common.config_models import DataVar, DataVarAttrs, Encoding
from datasets.common.errors import SourceNotFoundError, SourceReadError
from datasets.common.sources.grib import iter_messages, message_identity
from datasets.common.sources.noaa_idx import parse_idx
from datasets.common.sources.synthetic_archive import ArchiveGrid, GribVariable, gfs_relative_path, write_gfs_archive
from datasets.common.timestamps import timedelta, timestamp
from datasets.noaa.noaa_region_job import (
    NoaaInternalAttrs,
    NoaaRegionJob,
    NoaaSourceFileCoord,
    needs_message,
    select_field,
)
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


def data_var(name: str, element: str, level: str, **window: object) -> DataVar[NoaaInternalAttrs]:
    return DataVar(
        name=name,
        encoding=Encoding(dtype="float32", chunks=(1, 2, 73, 144), fill_value=np.nan),
        attrs=DataVarAttrs(long_name=name, short_name=name[:3], units="1", step_type="instant"),
        internal_attrs=NoaaInternalAttrs(
            grib_element=element,
            grib_index_level=level,
            keep_mantissa_bits=7,
            **window,  # ty: ignore[invalid-argument-type]
        ),
    )


TEMPERATURE = data_var("temperature_2m", "TMP", "2 m above ground")
PRECIPITATION = data_var(
    "precipitation_surface", "APCP", "surface", window_kind="acc", window_reset_hours=6, deaccumulate_to_rate=True
)
WIND = data_var("wind_u_10m", "UGRD", "10 m above ground")


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
    ranges = [r.range for r in server.requests_for(coord.relative_path())]
    assert len(ranges) == 2, ranges  # the nearby closed ranges coalesced, and the open-ended last message
    assert ranges[1] is not None
    assert ranges[1].endswith("-")


def test_lead_0_of_a_window_is_nan_without_a_download(server: FaultServer, source_cache: Path) -> None:
    job = make_job(server.base_url, PRECIPITATION)
    coord = job.source_file_coord(INIT, timedelta("0h"), job.data_vars)
    assert coord.fields == ()
    done = job.download_file(coord)
    assert server.requests_for(coord.relative_path()) == []
    assert np.isnan(job.read_data(done, PRECIPITATION)).all()


def test_a_field_missing_from_the_index_costs_only_that_field(server: FaultServer, source_cache: Path) -> None:
    pressure = data_var("pressure_surface", "PRES", "surface")
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
        job.download_file(coord)
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
