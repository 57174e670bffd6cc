"""Generated archives round-trip: .idx -> byte ranges (HTTP and S3) -> decode == the generating function."""

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from datasets.common.sources.fetch import fetch_bytes, fetch_ranges, join_url
from datasets.common.sources.grib import ExpectedField, decode_message
from datasets.common.sources.noaa_idx import parse_idx
from datasets.common.sources.synthetic_archive import (
    ArchiveGrid,
    GribVariable,
    expected_value,
    gfs_relative_path,
    write_gfs_archive,
    write_grib_file,
)
from datasets.common.timestamps import timedelta, timestamp
from pipelines.demo.range_server import RangeServer

GRID = ArchiveGrid(resolution=2.5)
INITS = [timestamp("2024-01-01T00:00"), timestamp("2024-01-01T06:00")]
LEADS = [timedelta(f"{h}h") for h in (0, 3, 6, 9)]
VARIABLES = [
    GribVariable(
        element="TMP", level="2 m above ground", discipline=0, category=0, number=0, surface_type=103,
        surface_value=2, offset=280, amplitude=25,
    ),
    GribVariable(
        element="UGRD", level="10 m above ground", discipline=0, category=2, number=2, surface_type=103,
        surface_value=10, amplitude=15,
    ),
    GribVariable(
        element="APCP", level="surface", discipline=0, category=1, number=8, surface_type=1, window_kind="acc",
        window_reset_hours=6, running_total=True, at_lead_0=True, offset=2, amplitude=2,
    ),
    GribVariable(
        element="TMAX", level="2 m above ground", discipline=0, category=0, number=4, surface_type=103,
        surface_value=2, window_kind="max", window_reset_hours=6, offset=280, amplitude=25,
    ),
    GribVariable(
        element="DSWRF", level="surface", discipline=0, category=4, number=7, surface_type=1, window_kind="ave",
        window_reset_hours=6, offset=300, amplitude=200,
    ),
    GribVariable(
        element="PWAT", level="entire atmosphere (considered as a single layer)", discipline=0, category=1,
        number=3, surface_type=200, offset=30, amplitude=20,
    ),
]  # fmt: skip


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("gfs-archive")
    write_gfs_archive(root, INITS, LEADS, VARIABLES, GRID)
    return root


def assert_round_trip(base_url: str, init: pd.Timestamp, lead: pd.Timedelta, member: int | None = None) -> int:
    url = join_url(base_url, gfs_relative_path(init, lead))
    messages = parse_idx(fetch_bytes(url + ".idx").decode())
    chunks = fetch_ranges(url, [m.byte_range for m in messages])
    written = [(v, start) for v in VARIABLES for start in v.windows(lead)]
    assert [(m.element, m.level) for m in messages] == [(v.element, v.level) for v, _ in written]
    latitude, longitude = np.meshgrid(GRID.latitudes, GRID.longitudes, indexing="ij")
    for message, chunk, (variable, window_start) in zip(messages, chunks, written, strict=True):
        assert message.date == init
        field = ExpectedField(
            element=message.element, level=message.level, forecast=message.forecast, ensemble_member=member
        )
        values = decode_message(chunk, GRID.grid_spec(), field)
        expected = expected_value(
            variable, init, lead, latitude, longitude, member=member, window_start=window_start
        ).astype(np.float32)
        np.testing.assert_array_equal(values, expected, err_msg=str(message))
    return len(messages)


@pytest.mark.parametrize("backend", ["http", "s3"])
def test_generated_archive_round_trips(backend: str, archive: Path, request: pytest.FixtureRequest) -> None:
    if backend == "http":
        base_url = request.getfixturevalue("http_archive")(archive).base_url
    else:
        base_url = request.getfixturevalue("s3_archive")(archive)
    counts = [assert_round_trip(base_url, init, lead) for init in INITS for lead in LEADS]
    assert counts == [4, 7, 7, 7] * len(INITS)  # lead 0: no TMAX/DSWRF, one APCP; later: APCP twice


def test_apcp_appears_as_window_and_running_total(archive: Path) -> None:
    text = (archive / (gfs_relative_path(INITS[0], LEADS[3]) + ".idx")).read_text()
    forecasts = [m.forecast for m in parse_idx(text) if m.element == "APCP"]
    assert forecasts == ["6-9 hour acc fcst", "0-9 hour acc fcst"]
    assert "0-0 day acc fcst" in (archive / (gfs_relative_path(INITS[0], LEADS[0]) + ".idx")).read_text()


def test_ensemble_members_use_ensemble_templates(tmp_path: Path, http_archive: Callable[[Path], RangeServer]) -> None:
    init, lead = INITS[0], LEADS[2]
    for member in (0, 3):
        write_grib_file(tmp_path / gfs_relative_path(init, lead), init, lead, VARIABLES, GRID, member=member)
        idx = (tmp_path / (gfs_relative_path(init, lead) + ".idx")).read_text()
        assert all(line.endswith("ENS=low-res ctl" if member == 0 else "ENS=+3") for line in idx.splitlines())
        assert assert_round_trip(http_archive(tmp_path).base_url, init, lead, member=member) == 7
