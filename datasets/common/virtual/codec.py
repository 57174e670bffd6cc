"""`reformatters.grib2`: a Zarr v3 array→bytes codec whose encoded chunk is one GRIB2 message (decode only).

Registered through the `zarr.codecs` entry point, so any reader with this package installed opens a virtual dataset
with plain zarr or xarray. Decoding is the project's eccodes path (`decode_message`: grid checked, bitmap points
NaN, rows north to south, columns as the source orders them) into the chunk's shape.

The codec decodes "partially" in zarr's sense: zarr hands it the chunk's key rather than its bytes, so a message
that fails to decode is reported with the chunk key and, in an Icechunk store, the reference (URL and byte range).
"""

import asyncio
import math
from dataclasses import dataclass
from typing import Any, Self

import numpy as np
from zarr.abc.codec import ArrayBytesCodec, ArrayBytesCodecPartialDecodeMixin
from zarr.abc.store import ByteGetter
from zarr.core.array_spec import ArraySpec
from zarr.core.buffer import Buffer, NDBuffer
from zarr.core.common import JSON, parse_named_configuration
from zarr.core.indexing import SelectorTuple

from datasets.common.errors import SourceReadError
from datasets.common.sources.grib import GridSpec, decode_message

CODEC_NAME = "reformatters.grib2"


class GribDecodeError(ValueError):
    """A referenced GRIB message could not be decoded to the array's chunk."""


@dataclass(frozen=True)
class GribCodec(ArrayBytesCodecPartialDecodeMixin, ArrayBytesCodec):
    grid: GridSpec

    def __init__(self, *, grid: GridSpec | dict[str, Any]) -> None:
        object.__setattr__(self, "grid", grid if isinstance(grid, GridSpec) else GridSpec.model_validate(grid))

    @classmethod
    def from_dict(cls, data: dict[str, JSON]) -> Self:
        _, configuration = parse_named_configuration(data, CODEC_NAME, require_configuration=True)
        return cls(**configuration)  # ty: ignore[invalid-argument-type]

    def to_dict(self) -> dict[str, JSON]:
        return {"name": CODEC_NAME, "configuration": {"grid": self.grid.model_dump(mode="json", exclude_none=True)}}

    def validate(self, *, shape: tuple[int, ...], dtype: Any, chunk_grid: Any) -> None:
        native = dtype.to_native_dtype()
        if native != np.float32:
            raise ValueError(f"{CODEC_NAME} decodes to float32, not {native}")
        chunks = tuple(getattr(chunk_grid, "chunk_shape", ()))
        wanted = (self.grid.nj, self.grid.ni)
        if chunks and (chunks[-2:] != wanted or math.prod(chunks[:-2]) != 1):
            raise ValueError(f"{CODEC_NAME}: a chunk must be one whole message (..., 1, {wanted[0]}, {wanted[1]})")

    def compute_encoded_size(self, input_byte_length: int, chunk_spec: ArraySpec) -> int:
        raise TypeError(f"{CODEC_NAME} is decode-only: a GRIB message's size depends on its content")

    async def _encode_single(self, chunk_data: NDBuffer, chunk_spec: ArraySpec) -> Buffer | None:
        raise TypeError(
            f"{CODEC_NAME} is decode-only: chunks of a virtual dataset are references to source GRIB messages"
        )

    async def _decode_single(self, chunk_data: Buffer, chunk_spec: ArraySpec) -> NDBuffer:
        message = chunk_data.to_bytes()
        values = await asyncio.to_thread(self._decode, message, chunk_spec, f"a {len(message)}-byte chunk")
        return chunk_spec.prototype.nd_buffer.from_numpy_array(values)

    async def _decode_partial_single(
        self, byte_getter: ByteGetter, selection: SelectorTuple, chunk_spec: ArraySpec
    ) -> NDBuffer | None:
        chunk = await byte_getter.get(prototype=chunk_spec.prototype)
        if chunk is None:
            return None
        message = chunk.to_bytes()
        try:
            values = await asyncio.to_thread(self._decode, message, chunk_spec, None)
        except GribDecodeError as e:
            reference = await describe_reference(byte_getter)
            raise GribDecodeError(f"{reference}: {e}") from None
        return chunk_spec.prototype.nd_buffer.from_numpy_array(values[selection])

    def _decode(self, message: bytes, chunk_spec: ArraySpec, name: str | None) -> np.ndarray:
        try:
            field = decode_message(message, self.grid)
        except SourceReadError as e:
            raise GribDecodeError(f"{name}: {e}" if name else str(e)) from None
        return field.reshape(chunk_spec.shape)


async def describe_reference(byte_getter: ByteGetter) -> str:
    """The chunk key and, when the store is Icechunk, the virtual reference it holds (read from the manifest)."""
    store, key = getattr(byte_getter, "store", None), str(getattr(byte_getter, "path", byte_getter))
    array_path, _, coords_text = key.rpartition("/c/")
    if not hasattr(store, "array_chunk_iterator") or not coords_text:
        return f"chunk {key}"
    coords = np.array([int(c) for c in coords_text.split("/")], dtype=np.uint32)
    async for found, _kinds, paths, offsets, lengths, _inline in store.array_chunk_iterator(array_path):
        rows = np.flatnonzero((found == coords).all(axis=1))
        if rows.size:
            row = int(rows[0])
            end = int(offsets[row]) + int(lengths[row]) - 1
            return f"chunk {key} (reference {paths[row]} bytes {int(offsets[row])}-{end})"
    return f"chunk {key}"
