"""Download the messages a group of variables needs from a NOAA GRIB file, guided by its `.idx`.

The local file holds one length-prefixed record per requested field, in request order; an empty record
means the `.idx` does not list that field. Corrupt bytes in one message therefore never shift another.
"""

import struct
import uuid
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from datasets.common.errors import SourceReadError
from datasets.common.sources.fetch import fetch_bytes, fetch_ranges
from datasets.common.sources.noaa_idx import IdxMessage, parse_idx, select_message

RECORD_HEADER = struct.Struct(">Q")


type FieldText = tuple[str, str, str]  # element, level and forecast as the `.idx` writes them


def _select(messages: Sequence[IdxMessage], field: FieldText) -> IdxMessage | None:
    try:
        return select_message(messages, *field)
    except SourceReadError:
        return None


def download_messages(url: str, fields: Sequence[FieldText], dest: Path, reference_time: pd.Timestamp) -> Path:
    try:
        index_text = fetch_bytes(f"{url}.idx").decode()
    except UnicodeDecodeError as e:
        raise SourceReadError(f"{url}.idx is not text: {e}") from None
    selected = [_select(parse_idx(index_text), field) for field in fields]
    found = [m for m in selected if m is not None]
    if not found:
        raise SourceReadError(f"{url}.idx lists none of the {len(fields)} requested fields")
    wrong_dates = {m.date for m in found if m.date != reference_time}
    if wrong_dates:
        raise SourceReadError(f"{url}.idx is for {sorted(wrong_dates)}, not {reference_time}")
    contents = iter(fetch_ranges(url, [m.byte_range for m in found]))

    dest.parent.mkdir(parents=True, exist_ok=True)
    temp = dest.with_name(f".{dest.name}.{uuid.uuid4().hex}.tmp")
    try:
        with temp.open("wb") as f:
            for message in selected:
                content = b"" if message is None else next(contents)
                f.write(RECORD_HEADER.pack(len(content)))
                f.write(content)
        temp.replace(dest)
    finally:
        temp.unlink(missing_ok=True)
    return dest


def read_message(path: Path, index: int) -> bytes | None:
    """The bytes of record `index` of a file written by `download_messages`; None when it was not listed."""
    with path.open("rb") as f:
        for _ in range(index):
            (length,) = RECORD_HEADER.unpack(f.read(RECORD_HEADER.size))
            f.seek(length, 1)
        header = f.read(RECORD_HEADER.size)
        assert len(header) == RECORD_HEADER.size, f"{path} has no record {index}"
        (length,) = RECORD_HEADER.unpack(header)
        return f.read(length) if length else None
