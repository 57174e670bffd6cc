"""Virtual chunk references: one GRIB message of one source object per chunk, pinned to the object's version."""

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import icechunk
import xarray as xr
from zarr.abc.store import Store

from datasets.common.config_models import FrozenBaseModel
from datasets.common.errors import SourceReadError
from datasets.common.results import SourceFault, SourceFileStatus, VariableResult, build_variable_result
from datasets.common.sources.fetch import ObjectHead
from datasets.common.sources.noaa_idx import IdxMessage


class MessageReference(FrozenBaseModel):
    """Where one message lives; `etag` (else `last_modified`) lets Icechunk refuse a replaced object."""

    location: str
    offset: int
    length: int
    etag: str | None
    last_modified: datetime

    def chunk_spec(self, index: Sequence[int]) -> icechunk.VirtualChunkSpec:
        return icechunk.VirtualChunkSpec(
            list(index),
            self.location,
            self.offset,
            self.length,
            etag_checksum=self.etag,
            last_updated_at_checksum=None if self.etag else _next_whole_second(self.last_modified),
        )


def _next_whole_second(moment: datetime) -> datetime:
    """Icechunk keeps whole seconds and refuses an object modified after them: round a sub-second time up."""
    whole = moment.replace(microsecond=0)
    return whole if whole == moment else whole + timedelta(seconds=1)


# A variable's outcome for one source file: its reference, None when the file has no message for it by design
# (lead 0 of a windowed field), or why it has none.
type Outcome = MessageReference | tuple[SourceFileStatus, str] | None


def message_reference(message: IdxMessage, head: ObjectHead, location: str) -> MessageReference:
    """The exact byte range of an `.idx` entry: to the next entry's offset, the last one to the object's end."""
    if message.sub_message is not None:
        raise SourceReadError(
            f"{message.element}:{message.level}:{message.forecast} is field {message.sub_message} of a multi-field "
            "message: a reference cannot select one field"
        )
    end = head.size if message.end is None else message.end
    if not message.start < end <= head.size:
        raise SourceReadError(
            f"idx entry {message.message} spans bytes {message.start}-{end} but the object has {head.size} bytes"
        )
    return MessageReference(
        location=location,
        offset=message.start,
        length=end - message.start,
        # Icechunk derives a local file's ETag differently from obstore: the modification time pins those.
        etag=None if location.startswith("file://") else head.etag,
        last_modified=head.last_modified,
    )


def chunk_index(template_ds: xr.Dataset, dims: Sequence[str], out_loc: Mapping[str, Any]) -> list[int]:
    """The chunk of a one-message-per-chunk array that holds the field at `out_loc` (other dims: chunk 0)."""
    index = []
    for dim in dims:
        position = template_ds.get_index(dim).get_loc(out_loc[dim]) if dim in out_loc else 0
        assert isinstance(position, int), f"{out_loc[dim]} is not one {dim} of the template"
        index.append(position)
    return index


def set_references(stores: Sequence[Store], array_path: str, specs: Sequence[icechunk.VirtualChunkSpec]) -> None:
    if not specs:
        return
    for store in stores:
        if not isinstance(store, icechunk.IcechunkStore):
            raise ValueError(f"a virtual dataset's stores must be Icechunk repositories, not {type(store).__name__}")
        rejected = store.set_virtual_refs(array_path, list(specs), validate_containers=True)
        if rejected:
            first = next(s for s in specs if list(s.index) == list(rejected[0]))
            raise ValueError(f"no virtual chunk container matches {first.location} (array {array_path})")


def write_file_references(
    stores: Sequence[Store],
    template_ds: xr.Dataset,
    append_dim: str,
    files: Sequence[tuple[str, Mapping[str, Any], Mapping[str, Outcome]]],
) -> dict[str, VariableResult]:
    """Set each (file URL, out_loc, outcome per variable)'s references; return the per-variable results."""
    names = list(dict.fromkeys(name for _, _, outcomes in files for name in outcomes))
    results = {}
    for name in names:
        dims = [str(d) for d in template_ds[name].dims]
        specs, outcomes = [], []
        for url, out_loc, per_variable in files:
            outcome = per_variable[name]
            if isinstance(outcome, tuple):
                status, message = outcome
                outcomes.append((url, out_loc, SourceFault(status=status, message=message)))
                continue
            if outcome is not None:
                specs.append(outcome.chunk_spec(chunk_index(template_ds, dims, out_loc)))
            outcomes.append((url, out_loc, None))
        set_references(stores, name, specs)
        results[name] = build_variable_result(name, append_dim, outcomes, {"references": len(specs)})
    return results
