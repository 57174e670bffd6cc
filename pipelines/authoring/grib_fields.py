"""Every field of a GRIB file as eccodes sees it, next to the `.idx` line that names it."""

import re
from collections.abc import Sequence
from typing import Any

import eccodes
import numpy as np

from datasets.common.config_models import FrozenBaseModel
from datasets.common.errors import SourceReadError
from datasets.common.sources.grib import GridSpec, iter_messages, split_fields
from datasets.common.sources.grib_identity import field_identity
from datasets.common.sources.noaa_idx import IdxMessage, parse_idx

# eccodes keys shown for every field (missing keys are left out)
CODE_KEYS = ("discipline", "parameterCategory", "parameterNumber", "typeOfFirstFixedSurface")  # shown as numbers
FIELD_KEYS = (
    *("shortName", "name", "units", "typeOfLevel", "level", "stepType", "stepRange"),
    *("dataDate", "dataTime", "packingType"),
    *CODE_KEYS,
)


class SourceMessage(FrozenBaseModel):
    """One GRIB message: its number and byte offset in the source file, and its bytes."""

    number: int
    offset: int
    data: bytes


class IdxLine(FrozenBaseModel):
    text: str
    entry: IdxMessage


class GribField(FrozenBaseModel):
    label: str  # the `.idx` numbering: "N", or "N.k" for the k-th field of a multi-field message
    message: int
    sub_message: int | None
    offset: int
    length: int  # bytes of the whole message in the source file
    edition: int
    keys: dict[str, str]
    grid: GridSpec | None  # what a region job's `grid` must be (None: a grid GridSpec cannot describe)
    wgrib2: str | None  # element:level:forecast as wgrib2 writes it in `.idx` lines (GRIB2 only)
    idx_line: str | None
    idx_agrees: bool | None  # the `.idx` line's element, level and forecast are the message's own
    hypercube: int | None = None

    def describe(self) -> str:
        return " ".join(filter(None, (self.idx_line, self.wgrib2, *self.keys.values())))


class FieldStatistics(FrozenBaseModel):
    label: str
    size: int
    nan_count: int
    minimum: float | None
    maximum: float | None
    mean: float | None


def messages_of_file(data: bytes) -> list[SourceMessage]:
    messages, end = [], 0
    for number, message in enumerate(iter_messages(data), 1):
        offset = data.find(b"GRIB", end)
        messages.append(SourceMessage(number=number, offset=offset, data=message))
        end = offset + len(message)
    return messages


def idx_lines(text: str) -> list[IdxLine]:
    lines = [line.removesuffix("\r") for line in text.split("\n") if line.strip()]
    return [IdxLine(text=line, entry=entry) for line, entry in zip(lines, parse_idx(text), strict=True)]


def select_lines(lines: Sequence[IdxLine], pattern: str) -> list[IdxLine]:
    return [line for line in lines if re.search(pattern, line.text)]


def _string(handle: Any, key: str) -> str | None:
    if not eccodes.codes_is_defined(handle, key) or eccodes.codes_is_missing(handle, key):
        return None
    if key in CODE_KEYS:
        return str(eccodes.codes_get_long(handle, key))
    return eccodes.codes_get_string(handle, key)


def _values(handle: Any, keys: Sequence[str]) -> dict[str, str]:
    values = {key: value for key in keys if (value := _string(handle, key)) is not None}
    if "level" in values:  # the string form truncates fractional levels (sigma 0.995 reads "1")
        level = eccodes.codes_get_double(handle, "level")
        values["level"] = str(int(level)) if level.is_integer() else f"{level:.6g}"
    return values


def _grid(handle: Any) -> GridSpec | None:
    try:
        return GridSpec.from_handle(handle)
    except (SourceReadError, eccodes.CodesInternalError):
        return None


def fields_of(messages: Sequence[SourceMessage], lines: Sequence[IdxLine] | None) -> list[GribField]:
    """One GribField per field: multi-field messages (NCEP's U+V) give one per field, numbered N.1, N.2 …"""
    by_position = {(line.entry.start, line.entry.sub_message): line for line in lines or ()}
    fields = []
    for message in messages:
        parts = split_fields(message.data)
        for index, part in enumerate(parts, 1):
            sub = index if len(parts) > 1 else None
            line = by_position.get((message.offset, sub))
            handle = eccodes.codes_new_from_message(part)
            try:
                edition = eccodes.codes_get_long(handle, "edition")
                identity = field_identity(handle) if edition == 2 else None
                keys, grid = _values(handle, FIELD_KEYS), _grid(handle)
            finally:
                eccodes.codes_release(handle)
            agrees = None
            if line is not None and identity is not None:
                entry = line.entry
                agrees = (entry.element, entry.level, entry.forecast) == (
                    identity.element,
                    identity.level,
                    identity.forecast,
                )
            fields.append(
                GribField(
                    label=f"{message.number}.{sub}" if sub else str(message.number),
                    message=message.number,
                    sub_message=sub,
                    offset=message.offset,
                    length=len(message.data),
                    edition=edition,
                    keys=keys,
                    grid=grid,
                    wgrib2=str(identity) if identity is not None else None,
                    idx_line=line.text if line is not None else None,
                    idx_agrees=agrees,
                )
            )
    return fields


def field_bytes(messages: Sequence[SourceMessage], field: GribField) -> bytes:
    message = next(m for m in messages if m.number == field.message and m.offset == field.offset)
    parts = split_fields(message.data)
    return parts[(field.sub_message or 1) - 1]


def field_statistics(label: str, data: bytes) -> FieldStatistics:
    """Statistics of one field's decoded values; bitmap-masked points count as NaN."""
    handle = eccodes.codes_new_from_message(data)
    try:
        values = eccodes.codes_get_values(handle).astype(np.float64)
        if eccodes.codes_get_long(handle, "bitmapPresent"):
            values[eccodes.codes_get_array(handle, "bitmap", int) == 0] = np.nan
    finally:
        eccodes.codes_release(handle)
    finite = values[~np.isnan(values)]
    return FieldStatistics(
        label=label,
        size=values.size,
        nan_count=int(values.size - finite.size),
        minimum=float(finite.min()) if finite.size else None,
        maximum=float(finite.max()) if finite.size else None,
        mean=float(finite.mean()) if finite.size else None,
    )
