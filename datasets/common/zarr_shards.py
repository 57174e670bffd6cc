"""The one place that uses zarr internals: encoding a whole shard with an array's own sharding codec.

A job that owns whole shards can encode them directly (no read, no merge, no emptiness scan) and store the same
bytes zarr would. What that needs is checked at import: with a zarr that lacks it, `shard_encoder` returns None,
says so once, and writes take zarr's public path (slower, same bytes). The byte-identity test pins the zarr
minor version this was checked against (pyproject.toml).
"""

import logging
from collections.abc import Mapping, Sequence
from functools import cache

import numpy as np
import zarr

logger = logging.getLogger(__name__)

_NEEDED = ("_get_chunk_spec", "_get_inner_chunk_transform", "_get_chunks_per_shard", "_encode_shard_dict_sync")
try:
    from zarr.codecs.sharding import ShardingCodec
    from zarr.core.array_spec import ArrayConfig, ArraySpec
    from zarr.core.buffer import Buffer, default_buffer_prototype
    from zarr.core.buffer.cpu import NDBuffer
    from zarr.core.metadata.v3 import ArrayV3Metadata
    from zarr.core.sync import sync

    AVAILABLE = all(callable(getattr(ShardingCodec, name, None)) for name in _NEEDED)
except ImportError:
    AVAILABLE = False

type ChunkIndex = tuple[int, ...]


class ShardEncoder:
    """Encodes inner chunks and assembles shards of one sharded array exactly as zarr does."""

    def __init__(self, array: zarr.Array, codec: "ShardingCodec") -> None:
        assert array.shards is not None
        self.array = array
        self.shards: tuple[int, ...] = array.shards
        self.chunk_shape: tuple[int, ...] = tuple(codec.chunk_shape)
        self._codec = codec
        shard_spec = ArraySpec(
            shape=array.shards,
            dtype=array.metadata.dtype,
            fill_value=array.metadata.fill_value,
            config=ArrayConfig.from_dict({}),
            prototype=default_buffer_prototype(),
        )
        self._chunk_spec = codec._get_chunk_spec(shard_spec)
        self._encode = codec._get_inner_chunk_transform(shard_spec).encode_chunk
        self.chunks_per_shard: tuple[int, ...] = tuple(codec._get_chunks_per_shard(shard_spec))

    def encode_chunk(self, values: np.ndarray) -> "Buffer | None":
        assert values.shape == self.chunk_shape, f"{values.shape} is not an inner chunk {self.chunk_shape}"
        return self._encode(NDBuffer.from_numpy_array(values), self._chunk_spec)

    def encode_shard(self, chunks: Mapping[ChunkIndex, "Buffer | None"]) -> "Buffer | None":
        """The shard's bytes from its encoded inner chunks (None: left out, read as fill); None if all are."""
        return self._codec._encode_shard_dict_sync(dict(chunks), self.chunks_per_shard, default_buffer_prototype())

    def put(self, arrays: Sequence[zarr.Array], shard: ChunkIndex, blob: "Buffer | None") -> None:
        """Store (or, for None, delete) the shard at grid position `shard` in each array's store."""
        key = self.array.metadata.encode_chunk_key(shard)
        for array in arrays:
            path = array.store_path / key
            sync(path.delete() if blob is None else path.set(blob))


def shard_encoder(array: zarr.Array) -> ShardEncoder | None:
    """An encoder for a sharded array whose only array→bytes codec is the sharding codec; else None."""
    if not AVAILABLE:
        _say_fallback_once()
        return None
    codecs = array.metadata.codecs if isinstance(array.metadata, ArrayV3Metadata) else ()
    if len(codecs) != 1 or not isinstance(codecs[0], ShardingCodec):
        return None
    return ShardEncoder(array, codecs[0])


@cache
def _say_fallback_once() -> None:
    logger.warning(
        "zarr %s lacks the sharding internals the direct shard writer uses: writing through zarr's public API "
        "(same bytes, about twice the CPU)",
        zarr.__version__,
    )
