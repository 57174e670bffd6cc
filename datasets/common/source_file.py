"""A source file as a region job sees it: its URL, where its values go (`out_loc`) and, once downloaded, its local
copy: the whole file, or the byte ranges of the fields wanted from it, each either present or missing for a reason."""

from abc import abstractmethod
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Self

from datasets.common.config_models import FrozenBaseModel
from datasets.common.results import SourceFault, SourceFileStatus
from datasets.common.sources.fetch import ByteRange, fetch_available_ranges, write_atomically

type LocalField = tuple[int, int]  # (offset, length) of a field's bytes in the local copy


class SourceFileCoord(FrozenBaseModel):
    """One source file (or byte-range set) that feeds part of a region. `download_file` returns it downloaded."""

    downloaded_path: Path | None = None
    # A download of several fields' byte ranges: per wanted field (in the coord's order) where its bytes are in the
    # local copy, or why the source could not give them (absent from its index, a range past the end of the file).
    local_fields: tuple[LocalField | SourceFault, ...] = ()

    @abstractmethod
    def get_url(self) -> str: ...

    @abstractmethod
    def out_loc(self) -> Mapping[str, Any]:
        """Label-based location of this file's data in the processing region (e.g. init_time, lead_time)."""

    def downloaded(self, path: Path, local_fields: Sequence[LocalField | SourceFault] = ()) -> Self:
        return self.model_copy(update={"downloaded_path": path, "local_fields": tuple(local_fields)})

    def field_bytes(self, position: int) -> bytes:
        """The bytes of the `position`-th wanted field; raises why the source could not give them."""
        assert self.downloaded_path is not None, "a field is read after a successful download"
        local = self.local_fields[position]
        if isinstance(local, SourceFault):
            raise local.error()
        offset, length = local
        with self.downloaded_path.open("rb") as f:
            f.seek(offset)
            return f.read(length)


def download_fields[C: SourceFileCoord](
    coord: C,
    dest: Path,
    ranges: Sequence[ByteRange | SourceFault],
    *,
    coalesce_bytes: int | None = None,
    one_request_at_a_time: bool = False,
) -> C:
    """The coord downloaded: the byte range of each wanted field (or why it has none) fetched into `dest`, nearby
    ranges in one request. A range that starts past the end of the file costs only its field; a range that runs
    past it keeps the bytes there are (a whole message decodes; a cut one fails its framing check)."""
    url = coord.get_url()
    wanted = [(i, r) for i, r in enumerate(ranges) if not isinstance(r, SourceFault)]
    pieces = fetch_available_ranges(
        url, [r for _, r in wanted], coalesce_bytes=coalesce_bytes, one_request_at_a_time=one_request_at_a_time
    )
    local: list[LocalField | SourceFault] = [r if isinstance(r, SourceFault) else (0, 0) for r in ranges]
    chunks, offset = [], 0
    for (i, (start, end)), piece in zip(wanted, pieces, strict=True):
        if piece is None:
            message = f"bytes {start}-{end} start past the end of the file"
            local[i] = SourceFault(status=SourceFileStatus.read_failed, message=message)
        else:
            local[i] = (offset, len(piece))
            chunks.append(piece)
            offset += len(piece)
    return coord.downloaded(write_atomically(dest, chunks), local)


def remove_local_copies(downloads: Sequence[SourceFileCoord | SourceFault]) -> None:
    for download in downloads:
        if isinstance(download, SourceFileCoord) and download.downloaded_path is not None:
            download.downloaded_path.unlink(missing_ok=True)
