from collections.abc import Callable, Iterator
from pathlib import Path

import eccodes
import numpy as np
import pytest

from datasets.common.errors import SourceReadError
from datasets.common.sources.fetch import fetch_bytes, fetch_ranges, join_url
from datasets.common.sources.grib import ExpectedField, GridSpec, decode_message, iter_messages, split_fields
from datasets.common.sources.noaa_idx import parse_idx
from datasets.common.sources.synthetic_archive import ArchiveGrid, GribVariable, encode_message, expected_value
from datasets.common.timestamps import timedelta, timestamp
from pipelines.demo.range_server import RangeServer

SAMPLES = Path(__file__).parents[3] / "data" / "grib"
GRID = ArchiveGrid(resolution=2.5)
TMP_2M = GribVariable(
    element="TMP", level="2 m above ground", discipline=0, category=0, number=0, surface_type=103, surface_value=2
)
INIT = timestamp("2024-01-01T00:00")
LEAD = timedelta("3h")


class Field:
    def __init__(self, values: np.ndarray, grid: GridSpec) -> None:
        self.values = values
        self.grid = grid


def whole_file_fields(path: Path) -> Iterator[Field]:
    """Every field of a file as eccodes reads it whole, multi-field support on, rows north to south."""
    eccodes.codes_grib_multi_support_on()
    try:
        with path.open("rb") as f:
            while (handle := eccodes.codes_grib_new_from_file(f)) is not None:
                try:
                    grid = GridSpec.from_handle(handle)
                    values = eccodes.codes_get_values(handle)
                    if eccodes.codes_get_long(handle, "bitmapPresent"):
                        values[eccodes.codes_get_array(handle, "bitmap", int) == 0] = np.nan
                    values = values.reshape(grid.nj, grid.ni)
                    if eccodes.codes_get_long(handle, "jScansPositively"):
                        values = values[::-1]
                    yield Field(values.astype(np.float32), grid)
                finally:
                    eccodes.codes_release(handle)
    finally:
        eccodes.codes_grib_multi_support_off()


@pytest.fixture
def samples(http_archive: Callable[[Path], RangeServer]) -> RangeServer:
    return http_archive(SAMPLES)


@pytest.mark.parametrize("name", ["gfs.t12z.pgrbf120.2p5deg.grib2", "nam.t00z.awp21100.tm00.grib2"])
def test_byte_range_decode_of_real_samples_matches_whole_file(samples: RangeServer, name: str) -> None:
    url = join_url(samples.base_url, name)
    messages = parse_idx(fetch_bytes(url + ".idx").decode())
    distinct = sorted({m.byte_range for m in messages}, key=lambda r: r[0])
    chunks = dict(zip(distinct, fetch_ranges(url, distinct), strict=True))
    reference = list(whole_file_fields(SAMPLES / name))
    assert len(reference) == len(messages)
    assert any(m.sub_message for m in messages), "the sample should hold multi-field (U+V) messages"
    for message, field in zip(messages, reference, strict=True):
        expected = ExpectedField(element=message.element, level=message.level, forecast=message.forecast)
        values = decode_message(chunks[message.byte_range], field.grid, expected, sub_message=message.sub_message)
        np.testing.assert_array_equal(values, field.values, err_msg=f"{name} {message}")


def test_multi_field_messages_are_selected_by_identity() -> None:
    data = (SAMPLES / "gfs.t12z.pgrbf120.2p5deg.grib2").read_bytes()
    messages = parse_idx((SAMPLES / "gfs.t12z.pgrbf120.2p5deg.grib2.idx").read_text())
    u, v = (m for m in messages if m.message == 4)
    assert (u.element, v.element, u.byte_range) == ("UGRD", "VGRD", v.byte_range)
    message = data[u.start : u.end]
    assert len(split_fields(message)) == 2
    grid = GridSpec.from_message(message)
    by_identity = decode_message(message, grid, ExpectedField(element="VGRD", level="10 mb"))
    np.testing.assert_array_equal(by_identity, decode_message(message, grid, sub_message=2))
    assert not np.array_equal(by_identity, decode_message(message, grid, sub_message=1))
    with pytest.raises(SourceReadError, match="2 fields"):
        decode_message(message, grid)
    with pytest.raises(SourceReadError, match="none of the 2 fields"):
        decode_message(message, grid, ExpectedField(element="TMP"))


def test_bitmap_points_are_nan() -> None:
    data = (SAMPLES / "fields_with_missing_values.grib").read_bytes()
    messages = list(iter_messages(data))
    assert len(messages) == 2
    for message, missing in zip(messages, (10808, 10891), strict=True):
        values = decode_message(message, GridSpec.from_message(message), ExpectedField(short_name="2t"))
        assert values.shape == (91, 180)
        assert int(np.isnan(values).sum()) == missing


def test_iter_messages_finds_every_message_and_rejects_truncation() -> None:
    data = (SAMPLES / "gfs.t12z.pgrbf120.2p5deg.grib2").read_bytes()
    assert sum(1 for _ in iter_messages(data)) == 307
    with pytest.raises(SourceReadError, match="truncated"):
        list(iter_messages(data[:-100]))
    with pytest.raises(SourceReadError, match="no GRIB message"):
        list(iter_messages(b"<html>not found</html>"))


@pytest.fixture
def message() -> bytes:
    latitude, longitude = np.meshgrid(GRID.latitudes, GRID.longitudes, indexing="ij")
    values = expected_value(TMP_2M, INIT, LEAD, latitude, longitude)
    return encode_message(TMP_2M, INIT, LEAD, GRID, values)


def expected_field(**overrides: str) -> ExpectedField:
    return ExpectedField(**({"element": "TMP", "level": "2 m above ground", "forecast": "3 hour fcst"} | overrides))


def test_decode_checks_identity_and_returns_exact_values(message: bytes) -> None:
    latitude, longitude = np.meshgrid(GRID.latitudes, GRID.longitudes, indexing="ij")
    values = decode_message(message, GRID.grid_spec(), expected_field())
    assert values.dtype == np.float32
    np.testing.assert_array_equal(values, expected_value(TMP_2M, INIT, LEAD, latitude, longitude).astype(np.float32))


def test_decode_rolls_longitude_to_minus_180(message: bytes) -> None:
    longitudes = np.arange(-180, 180, GRID.resolution)
    latitude, longitude = np.meshgrid(GRID.latitudes, longitudes, indexing="ij")
    values = decode_message(message, GRID.grid_spec(), roll_longitude=True)
    np.testing.assert_array_equal(values, expected_value(TMP_2M, INIT, LEAD, latitude, longitude).astype(np.float32))


def test_decode_into_a_reusable_buffer(message: bytes) -> None:
    out = np.full((GRID.nj, GRID.ni), np.nan, dtype=np.float32)
    result = decode_message(message, GRID.grid_spec(), out=out)
    assert result is out
    assert not np.isnan(out).any()


def test_decode_honours_scanning_mode(message: bytes) -> None:
    north_to_south = decode_message(message, GRID.grid_spec())
    handle = eccodes.codes_new_from_message(message)
    try:
        eccodes.codes_set_long(handle, "jScansPositively", 1)
        eccodes.codes_set_long(handle, "iScansNegatively", 1)
        eccodes.codes_set_string(handle, "packingType", "grid_simple")  # lossless re-encoding
        eccodes.codes_set_long(handle, "bitsPerValue", 24)
        eccodes.codes_set_double(handle, "latitudeOfFirstGridPointInDegrees", -90.0)
        eccodes.codes_set_double(handle, "latitudeOfLastGridPointInDegrees", 90.0)
        eccodes.codes_set_double(handle, "longitudeOfFirstGridPointInDegrees", 357.5)
        eccodes.codes_set_double(handle, "longitudeOfLastGridPointInDegrees", 0.0)
        eccodes.codes_set_values(handle, north_to_south[::-1, ::-1].astype(np.float64).ravel())
        flipped = eccodes.codes_get_message(handle)
    finally:
        eccodes.codes_release(handle)
    grid = GRID.grid_spec().model_copy(
        update={"first_latitude": -90.0, "last_latitude": 90.0, "first_longitude": 357.5, "last_longitude": 0.0}
    )
    np.testing.assert_array_equal(decode_message(flipped, grid), north_to_south)


@pytest.mark.parametrize(
    ("grid", "problem"),
    [
        (GRID.grid_spec().model_copy(update={"ni": 145}), "ni 144 != expected 145"),
        (GRID.grid_spec().model_copy(update={"first_latitude": 89.0}), "first_latitude"),
        (GRID.grid_spec().model_copy(update={"grid_type": "lambert"}), "grid_type"),
    ],
)
def test_wrong_grid_is_a_read_error(message: bytes, grid: GridSpec, problem: str) -> None:
    with pytest.raises(SourceReadError, match=f"wrong grid: .*{problem}"):
        decode_message(message, grid)


@pytest.mark.parametrize(
    ("field", "problem"),
    [
        (expected_field(element="UGRD"), "element 'TMP' != expected 'UGRD'"),
        (expected_field(level="10 m above ground"), "level"),
        (expected_field(forecast="6 hour fcst"), "forecast '3 hour fcst'"),
        (ExpectedField(short_name="2t", step_range="0-3"), "stepRange"),
        (ExpectedField(ensemble_member=3), "ensemble member"),
    ],
)
def test_wrong_field_is_a_read_error(message: bytes, field: ExpectedField, problem: str) -> None:
    with pytest.raises(SourceReadError, match=f"wrong field .*{problem}"):
        decode_message(message, GRID.grid_spec(), field)


@pytest.mark.parametrize(
    "corrupt",
    [
        lambda m: m[:-1],
        lambda m: m[: len(m) // 2],
        lambda m: m[:-4] + b"XXXX",
        lambda m: b"<Error>NoSuchKey</Error>",
        lambda m: m[:16] + b"\xff" * (len(m) - 20) + b"7777",
    ],
    ids=["one-byte-short", "half", "no-7777", "not-grib", "garbage-sections"],
)
def test_truncated_or_corrupt_messages_are_read_errors(message: bytes, corrupt: Callable[[bytes], bytes]) -> None:
    with pytest.raises(SourceReadError):
        decode_message(corrupt(message), GRID.grid_spec())
