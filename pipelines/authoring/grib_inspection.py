"""`main inspect-grib`: fetch a source file (and its `.idx`), and describe it the way a template needs it."""

import re
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlparse

from datasets.common.config_models import FrozenBaseModel
from datasets.common.errors import SourceNotFoundError, SourceReadError, UserInputError
from datasets.common.sources.fetch import SourceUnavailableError, fetch_bytes, fetch_ranges, join_url
from datasets.common.sources.grib import iter_messages
from pipelines.authoring.grib_cubes import Hypercube, assign_hypercubes, open_hypercubes
from pipelines.authoring.grib_fields import (
    FieldStatistics,
    GribField,
    IdxLine,
    SourceMessage,
    field_bytes,
    field_statistics,
    fields_of,
    idx_lines,
    messages_of_file,
    select_lines,
)

REMOTE_SCHEMES = ("http", "https", "s3")


class GribReport(FrozenBaseModel):
    url: str
    idx_url: str | None  # None: the file has no `.idx`
    match: str | None
    messages: int
    fields: tuple[GribField, ...]
    hypercubes: tuple[Hypercube, ...]
    statistics: tuple[FieldStatistics, ...]


def resolve_url(path_or_url: str, source_url: str | None) -> str:
    """With a source URL, a relative path hangs from it and a remote URL keeps only its path (the object key)."""
    if not source_url:
        return path_or_url
    parsed = urlparse(path_or_url)
    if parsed.scheme in REMOTE_SCHEMES:
        return join_url(source_url, parsed.path)
    if parsed.scheme == "file" or Path(path_or_url).is_absolute():
        return path_or_url
    return join_url(source_url, path_or_url)


def _is_local(url: str) -> bool:
    return urlparse(url).scheme not in REMOTE_SCHEMES


def _local_path(url: str) -> Path:
    parsed = urlparse(url)
    return Path(parsed.path if parsed.scheme == "file" else url)


def _idx(url: str) -> list[IdxLine] | None:
    try:
        return idx_lines(fetch_bytes(url + ".idx").decode(errors="replace"))
    except SourceNotFoundError:
        return None


def _matched_messages(url: str, lines: Sequence[IdxLine]) -> list[SourceMessage]:
    """Only the messages holding the selected lines, fetched by byte range."""
    by_start = {line.entry.start: line.entry for line in reversed(lines)}
    entries = [by_start[start] for start in sorted(by_start)]
    chunks = fetch_ranges(url, [entry.byte_range for entry in entries])
    return [
        SourceMessage(number=entry.message, offset=entry.start, data=next(iter_messages(chunk)))
        for entry, chunk in zip(entries, chunks, strict=True)
    ]


def _select(fields: list[GribField], labels: Sequence[str]) -> list[GribField]:
    chosen = []
    for label in labels:
        matching = [f for f in fields if f.label == label or str(f.message) == label]
        if not matching:
            shown = ", ".join(f.label for f in fields[:5]) + (" …" if len(fields) > 5 else "")
            raise UserInputError(f"no field {label!r} in the inspected fields ({shown})")
        chosen.extend(matching)
    return chosen


def inspect_grib(url: str, scratch: Path, *, match: str | None = None, field_labels: Sequence[str] = ()) -> GribReport:
    """Describe `url` (a path, http(s):// or s3:// URL). With `match` (a regular expression) and an `.idx`,
    only the messages of matching lines are fetched; the fields listed are those matching."""
    try:
        pattern = re.compile(match) if match else None
    except re.error as e:
        raise UserInputError(f"--match {match!r} is not a regular expression: {e}") from None
    try:
        lines = _idx(url)
        if match and lines is not None:
            selected = select_lines(lines, match)
            if not selected:
                raise UserInputError(f"no line of {url}.idx matches {match!r}")
            messages = _matched_messages(url, selected)
        else:
            messages = messages_of_file(fetch_bytes(url))
    except (SourceNotFoundError, SourceReadError, SourceUnavailableError) as e:
        raise UserInputError(str(e)) from None

    if _is_local(url) and not match:
        grib_path = _local_path(url)
    else:
        grib_path = scratch / "inspected.grib"
        grib_path.write_bytes(b"".join(m.data for m in messages))
    hypercubes = open_hypercubes(grib_path)
    fields = assign_hypercubes(fields_of(messages, lines), hypercubes)
    if pattern is not None:
        fields = [f for f in fields if pattern.search(f.idx_line or f.describe())]
    statistics = [field_statistics(f.label, field_bytes(messages, f)) for f in _select(fields, field_labels)]
    return GribReport(
        url=url,
        idx_url=url + ".idx" if lines is not None else None,
        match=match,
        messages=len(messages),
        fields=tuple(fields),
        hypercubes=tuple(hypercubes),
        statistics=tuple(statistics),
    )
