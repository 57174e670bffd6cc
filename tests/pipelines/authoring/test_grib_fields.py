from pathlib import Path

import numpy as np
import pytest

from datasets.common.sources.synthetic_archive import GribVariable, expected_value, write_grib_file
from datasets.common.sources.synthetic_grids import ArchiveGrid
from datasets.common.timestamps import timedelta, timestamp
from pipelines.authoring.grib_fields import (
    field_bytes,
    field_statistics,
    fields_of,
    idx_lines,
    messages_of_file,
    select_lines,
)

GRID = ArchiveGrid(resolution=10)
INIT = timestamp("2024-01-01T06:00")
LEAD = timedelta("9h")

TMP = GribVariable(
    element="TMP", level="2 m above ground", discipline=0, category=0, number=0, surface_type=103, surface_value=2,
    offset=280,
)  # fmt: skip
TMAX = GribVariable(
    element="TMAX", level="2 m above ground", discipline=0, category=0, number=4, surface_type=103, surface_value=2,
    window_kind="max", window_reset_hours=6,
)  # fmt: skip


@pytest.fixture
def grib(tmp_path: Path) -> Path:
    return write_grib_file(tmp_path / "f.grib2", INIT, LEAD, [TMP, TMAX], GRID)


def test_offsets_skip_padding_between_messages(grib: Path) -> None:
    first, second = (m.data for m in messages_of_file(grib.read_bytes()))
    padded = b"\0" * 7 + first + b"pad" + second
    messages = messages_of_file(padded)
    assert [(m.number, m.offset) for m in messages] == [(1, 7), (2, 7 + len(first) + 3)]
    assert [m.data for m in messages] == [first, second]


def test_fields_name_their_idx_lines_and_wgrib2_identity(grib: Path) -> None:
    lines = idx_lines(Path(f"{grib}.idx").read_text())
    fields = fields_of(messages_of_file(grib.read_bytes()), lines)
    assert [(f.label, f.wgrib2, f.idx_agrees) for f in fields] == [
        ("1", "TMP:2 m above ground:9 hour fcst", True),
        ("2", "TMAX:2 m above ground:6-9 hour max fcst", True),
    ]
    assert [f.idx_line for f in fields] == [line.text for line in lines]
    assert fields[1].keys["shortName"] == "tmax"
    codes = ("discipline", "parameterCategory", "parameterNumber", "typeOfFirstFixedSurface", "level")
    assert [fields[1].keys[k] for k in codes] == ["0", "0", "4", "103", "2"]
    assert fields[0].grid is not None
    assert (fields[0].grid.ni, fields[0].grid.nj) == (36, 19)
    assert [line.text for line in select_lines(lines, r":TMAX:.*max fcst")] == [lines[1].text]


def test_an_idx_line_that_names_another_field_is_flagged(grib: Path) -> None:
    text = Path(f"{grib}.idx").read_text().replace(":TMAX:", ":TMIN:")
    fields = fields_of(messages_of_file(grib.read_bytes()), idx_lines(text))
    assert [f.idx_agrees for f in fields] == [True, False]
    assert fields[1].idx_line is not None
    assert ":TMIN:" in fields[1].idx_line
    assert fields[1].wgrib2 == "TMAX:2 m above ground:6-9 hour max fcst"


def test_field_statistics(grib: Path) -> None:
    messages = messages_of_file(grib.read_bytes())
    field = fields_of(messages, None)[0]
    stats = field_statistics(field.label, field_bytes(messages, field))
    latitude, longitude = np.meshgrid(GRID.latitudes, GRID.longitudes, indexing="ij")
    values = expected_value(TMP, INIT, LEAD, latitude, longitude)
    assert (stats.size, stats.nan_count) == (values.size, 0)
    assert (stats.minimum, stats.maximum) == (values.min(), values.max())
    assert stats.mean == pytest.approx(values.mean())
