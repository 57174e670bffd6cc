"""Decode GRIB messages held in memory with eccodes, checking grid and field identity first."""

import struct
from collections.abc import Iterator
from typing import Any

import eccodes
import numpy as np

from datasets.common.config_models import FrozenBaseModel
from datasets.common.errors import SourceReadError
from datasets.common.sources.grib_identity import FieldIdentity, field_identity

END_MARKER = b"7777"
ANGLE_TOLERANCE_DEGREES = 1e-5


class LambertParameters(FrozenBaseModel):
    """Lambert conformal projection of a GRIB2 grid (template 3.30) on a sphere: degrees and metres."""

    lad: float
    lov: float
    latin1: float
    latin2: float
    dx: float
    dy: float
    earth_radius: float

    @classmethod
    def from_handle(cls, handle: Any) -> "LambertParameters":
        if not eccodes.codes_is_defined(handle, "radius"):
            raise SourceReadError("Lambert grid on a non-spherical earth")
        degrees = {name: eccodes.codes_get_double(handle, f"{key}InDegrees") for name, key in LAMBERT_ANGLES.items()}
        return cls(
            **degrees,
            dx=eccodes.codes_get_double(handle, "DxInMetres"),
            dy=eccodes.codes_get_double(handle, "DyInMetres"),
            earth_radius=eccodes.codes_get_double(handle, "radius"),
        )

    def mismatches(self, other: "LambertParameters") -> list[str]:
        problems = []
        for name, tolerance in (*((n, ANGLE_TOLERANCE_DEGREES) for n in LAMBERT_ANGLES), *LAMBERT_LENGTHS.items()):
            expected, actual = getattr(self, name), getattr(other, name)
            if abs(expected - actual) > tolerance:
                problems.append(f"{name} {actual} != expected {expected}")
        return problems


LAMBERT_ANGLES = {"lad": "LaD", "lov": "LoV", "latin1": "Latin1", "latin2": "Latin2"}
LAMBERT_LENGTHS = {"dx": 1e-3, "dy": 1e-3, "earth_radius": 0.5}


class GridSpec(FrozenBaseModel):
    """The grid a message must be on, as encoded (first/last point in the message's own scanning order)."""

    grid_type: str
    ni: int
    nj: int
    first_latitude: float
    first_longitude: float
    last_latitude: float | None = None
    last_longitude: float | None = None
    lambert: LambertParameters | None = None

    @classmethod
    def from_message(cls, message: bytes) -> "GridSpec":
        handle = eccodes.codes_new_from_message(message)
        try:
            return cls.from_handle(handle)
        finally:
            eccodes.codes_release(handle)

    @classmethod
    def from_handle(cls, handle: Any) -> "GridSpec":
        grid_type = eccodes.codes_get_string(handle, "gridType")
        last = ("latitudeOfLastGridPointInDegrees", "longitudeOfLastGridPointInDegrees")
        has_last = all(eccodes.codes_is_defined(handle, key) for key in last)
        return cls(
            grid_type=grid_type,
            ni=_get_long(handle, "Ni", "Nx"),
            nj=_get_long(handle, "Nj", "Ny"),
            first_latitude=eccodes.codes_get_double(handle, "latitudeOfFirstGridPointInDegrees"),
            first_longitude=eccodes.codes_get_double(handle, "longitudeOfFirstGridPointInDegrees"),
            last_latitude=eccodes.codes_get_double(handle, last[0]) if has_last else None,
            last_longitude=eccodes.codes_get_double(handle, last[1]) if has_last else None,
            lambert=LambertParameters.from_handle(handle) if grid_type == "lambert" else None,
        )

    def mismatches(self, other: "GridSpec") -> list[str]:
        problems = []
        for name in ("grid_type", "ni", "nj"):
            if getattr(self, name) != getattr(other, name):
                problems.append(f"{name} {getattr(other, name)} != expected {getattr(self, name)}")
        for name in ("first_latitude", "first_longitude", "last_latitude", "last_longitude"):
            expected, actual = getattr(self, name), getattr(other, name)
            if expected is not None and (actual is None or abs(expected - actual) > ANGLE_TOLERANCE_DEGREES):
                problems.append(f"{name} {actual} != expected {expected}")
        if self.lambert is not None:
            if other.lambert is None:
                problems.append("not a Lambert conformal grid")
            else:
                problems.extend(self.lambert.mismatches(other.lambert))
        return problems


class ExpectedField(FrozenBaseModel):
    """What the message must be. NOAA fields use wgrib2 texts; ECMWF fields use eccodes keys."""

    element: str | None = None
    level: str | None = None
    forecast: str | None = None
    short_name: str | None = None
    step_range: str | None = None
    ensemble_member: int | None = None
    # Other elements that carry the same field (e.g. PRMSL where older files lack MSLMA).
    alternative_elements: tuple[str, ...] = ()

    def __str__(self) -> str:
        return " ".join(f"{k}={v!r}" for k, v in self.model_dump(exclude_defaults=True).items())


def _get_long(handle: Any, *keys: str) -> int:
    for key in keys:
        if eccodes.codes_is_defined(handle, key) and not eccodes.codes_is_missing(handle, key):
            return eccodes.codes_get_long(handle, key)
    raise SourceReadError(f"message defines none of {keys}")


def _message_length(data: bytes | memoryview, start: int) -> int:
    edition = data[start + 7]
    if edition == 2:
        return struct.unpack(">Q", data[start + 8 : start + 16])[0]
    if edition == 1:
        return int.from_bytes(data[start + 4 : start + 7], "big")
    raise SourceReadError(f"unsupported GRIB edition {edition} at byte {start}")


def iter_messages(data: bytes) -> Iterator[bytes]:
    """Each complete GRIB message in `data` (bytes between messages, such as padding, are skipped)."""
    position = data.find(b"GRIB")
    if position < 0:
        raise SourceReadError(f"no GRIB message in {len(data)} bytes")
    while position >= 0:
        if len(data) - position < 16:
            raise SourceReadError(f"truncated GRIB header at byte {position}")
        length = _message_length(data, position)
        message = data[position : position + length]
        if len(message) < length or not message.endswith(END_MARKER):
            raise SourceReadError(
                f"GRIB message at byte {position} is truncated or corrupt (length {length}, "
                f"{len(message)} bytes available, no closing 7777)"
            )
        yield message
        position = data.find(b"GRIB", position + length)


def message_at_start(data: bytes) -> bytes:
    """The GRIB message that `data` (one field's byte range) starts with; bytes after it (padding) are left out."""
    if not data.startswith(b"GRIB"):
        raise SourceReadError(f"no GRIB message at the start of the field's {len(data)} bytes")
    length = _message_length(data, 0) if len(data) >= 16 else None
    if length is None or length > len(data):
        raise SourceReadError(f"GRIB message cut short: {len(data)} bytes of {length or 'at least 16'}")
    return data[:length]


def split_fields(message: bytes) -> list[bytes]:
    """One self-contained message per field of a GRIB2 message that repeats sections 2-7 (e.g. NCEP U+V)."""
    if message[7] != 2:
        return [message]
    indicator, position = message[:16], 16
    sections: dict[int, bytes] = {}
    bitmap: bytes | None = None
    fields = []
    while message[position : position + 4] != END_MARKER:
        if position + 5 > len(message):
            raise SourceReadError("GRIB2 sections run past the end of the message")
        length = struct.unpack(">I", message[position : position + 4])[0]
        number = message[position + 4]
        if length < 5 or position + length > len(message):
            raise SourceReadError(f"corrupt GRIB2 section {number} length {length} at byte {position}")
        if number == 7 and not fields and message[position + length : position + length + 4] == END_MARKER:
            return [message]  # one field: nothing to split (and no copy of its data)
        section = message[position : position + length]
        if number == 6:
            if section[5] == 254:  # reuse the previously defined bitmap
                if bitmap is None:
                    raise SourceReadError("GRIB2 field refers to a previous bitmap that does not exist")
                section = bitmap
            elif section[5] == 0:
                bitmap = section
        sections[number] = section
        if number == 7:
            body = b"".join(sections[n] for n in (1, 2, 3, 4, 5, 6, 7) if n in sections)
            total = len(indicator) + len(body) + len(END_MARKER)
            fields.append(indicator[:8] + struct.pack(">Q", total) + body + END_MARKER)
        position += length
    return fields


def _check_framing(message: bytes) -> None:
    if not message.startswith(b"GRIB") or len(message) < 16:
        raise SourceReadError(f"not a GRIB message ({len(message)} bytes starting {message[:4]!r})")
    length = _message_length(message, 0)
    if length != len(message) or not message.endswith(END_MARKER):
        raise SourceReadError(
            f"GRIB message is truncated or corrupt: header says {length} bytes, got {len(message)}"
            f"{'' if message.endswith(END_MARKER) else ', no closing 7777'}"
        )


def _identity_problems(handle: Any, field: ExpectedField) -> list[str]:
    problems = []
    if field.element is not None or field.level is not None or field.forecast is not None:
        identity = field_identity(handle)
        if field.element is not None and identity.element not in (field.element, *field.alternative_elements):
            problems.append(f"element {identity.element!r} != expected {field.element!r}")
        for name in ("level", "forecast"):
            expected = getattr(field, name)
            if expected is not None and getattr(identity, name) != expected:
                problems.append(f"{name} {getattr(identity, name)!r} != expected {expected!r}")
    for name, key in (("short_name", "shortName"), ("step_range", "stepRange")):
        expected = getattr(field, name)
        if expected is not None and (actual := eccodes.codes_get_string(handle, key)) != expected:
            problems.append(f"{key} {actual!r} != expected {expected!r}")
    if field.ensemble_member is not None:
        keys = [k for k in ("perturbationNumber", "number") if eccodes.codes_is_defined(handle, k)]
        member = _get_long(handle, *keys) if keys else None
        if member != field.ensemble_member:
            problems.append(f"ensemble member {member} != expected {field.ensemble_member}")
    return problems


def message_identity(message: bytes) -> FieldIdentity:
    handle = eccodes.codes_new_from_message(message)
    try:
        return field_identity(handle)
    finally:
        eccodes.codes_release(handle)


def _choose_field(message: bytes, field: ExpectedField | None, sub_message: int | None) -> bytes:
    fields = split_fields(message)
    if sub_message is not None:
        if not 1 <= sub_message <= len(fields):
            raise SourceReadError(f"sub-message {sub_message} requested from a message with {len(fields)} fields")
        return fields[sub_message - 1]
    if len(fields) == 1:
        return fields[0]
    if field is None:
        raise SourceReadError(f"message holds {len(fields)} fields: name the sub-message or the expected field")
    for candidate in fields:
        handle = eccodes.codes_new_from_message(candidate)
        try:
            if not _identity_problems(handle, field):
                return candidate
        finally:
            eccodes.codes_release(handle)
    raise SourceReadError(f"none of the {len(fields)} fields in the message is {field}")


def decode_message(
    message: bytes,
    grid: GridSpec,
    field: ExpectedField | None = None,
    roll_longitude: bool = False,
    *,
    sub_message: int | None = None,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Values of one field as float32 (nj, ni), rows north to south and columns west to east.

    Missing points (bitmap) are NaN. `roll_longitude` moves a global 0..360 grid to -180..180.
    A grid or identity mismatch raises SourceReadError naming the difference.
    """
    _check_framing(message)
    chosen = _choose_field(message, field, sub_message)
    try:
        handle = eccodes.codes_new_from_message(chosen)
    except eccodes.CodesInternalError as e:
        raise SourceReadError(f"eccodes cannot open the message: {e}") from None
    try:
        grid_problems = grid.mismatches(GridSpec.from_handle(handle))
        if grid_problems:
            raise SourceReadError(f"wrong grid: {'; '.join(grid_problems)}")
        if field is not None and (field_problems := _identity_problems(handle, field)):
            raise SourceReadError(f"wrong field (expected {field}): {'; '.join(field_problems)}")
        return _values(handle, grid, roll_longitude, out)
    except eccodes.CodesInternalError as e:
        raise SourceReadError(f"eccodes failed to decode the message: {e}") from None
    finally:
        eccodes.codes_release(handle)


def _values(handle: Any, grid: GridSpec, roll_longitude: bool, out: np.ndarray | None) -> np.ndarray:
    values = eccodes.codes_get_values(handle)
    if values.size != grid.ni * grid.nj:
        raise SourceReadError(f"message has {values.size} values, expected {grid.ni}x{grid.nj}")
    if eccodes.codes_get_long(handle, "bitmapPresent"):
        bitmap = eccodes.codes_get_array(handle, "bitmap", int)
        values[bitmap == 0] = np.nan
    if eccodes.codes_get_long(handle, "alternativeRowScanning"):
        raise SourceReadError("alternative row scanning is not supported")
    if eccodes.codes_get_long(handle, "jPointsAreConsecutive"):
        grid_values = values.reshape(grid.ni, grid.nj).T
    else:
        grid_values = values.reshape(grid.nj, grid.ni)
    if eccodes.codes_get_long(handle, "jScansPositively"):
        grid_values = grid_values[::-1, :]
    if eccodes.codes_get_long(handle, "iScansNegatively"):
        grid_values = grid_values[:, ::-1]
    if out is None:
        out = np.empty((grid.nj, grid.ni), dtype=np.float32)
    assert out.shape == (grid.nj, grid.ni), f"out must have shape {(grid.nj, grid.ni)}, not {out.shape}"
    assert out.dtype == np.float32, f"out must be float32, not {out.dtype}"
    if roll_longitude:
        assert grid.ni % 2 == 0, "rolling longitude needs an even number of columns"
        half = grid.ni // 2
        out[:, :half] = grid_values[:, half:]
        out[:, half:] = grid_values[:, :half]
    else:
        out[...] = grid_values
    return out
