import itertools
import os
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np
import zarr
from zarr.abc.store import Store

from datasets.common.zarr_shards import ShardEncoder, shard_encoder

ENCODE_THREADS = os.cpu_count() or 1  # compression releases the GIL


def write_block(stores: Sequence[Store], name: str, selection: tuple[slice, ...], values: np.ndarray) -> None:
    """Replace the block `selection` of array `name` (one slice per leading dim; the rest are whole) by `values`.

    `values` starts at the block's origin and may stop short of its end along any dim: the rest becomes fill.
    """
    arrays = [zarr.open_array(store=store, path=name, mode="r+", zarr_format=3) for store in stores]
    block = _full_selection(arrays[0], selection)
    extent = tuple(s.stop - s.start for s in block)
    fits = values.ndim == arrays[0].ndim and all(v <= e for v, e in zip(values.shape, extent, strict=True))
    assert fits, f"{name}: values of shape {values.shape} do not fit the block {block}"
    same_metadata = all(a.metadata == arrays[0].metadata for a in arrays)
    if same_metadata and _covers_whole_shards(arrays[0], block) and (encoder := shard_encoder(arrays[0])):
        _write_whole_shards(encoder, arrays, block, values)  # encoded once, put in every store
        return
    if values.shape != extent:
        padded = np.full(extent, arrays[0].fill_value, dtype=values.dtype)
        padded[tuple(slice(0, n) for n in values.shape)] = values
        values = padded
    for array in arrays:
        array[block] = values


def _full_selection(array: zarr.Array, selection: tuple[slice, ...]) -> tuple[slice, ...]:
    assert len(selection) <= array.ndim
    full = (*selection, *(slice(0, n) for n in array.shape[len(selection) :]))
    return tuple(slice(*s.indices(n)[:2]) for s, n in zip(full, array.shape, strict=True))


def _covers_whole_shards(array: zarr.Array, block: tuple[slice, ...]) -> bool:
    return all(
        s.start % shard == 0 and (s.stop % shard == 0 or s.stop == n)
        for s, shard, n in zip(block, array.shards or array.chunks, array.shape, strict=True)
    )


def _write_whole_shards(
    encoder: ShardEncoder, arrays: Sequence[zarr.Array], block: tuple[slice, ...], values: np.ndarray
) -> None:
    """Encode each shard of the block from `values` once and put it whole in every array's store: no read, no merge,
    no emptiness scan.

    Inner chunks wholly past the end of `values` are left out of the shard (read as fill), a shard without any
    inner chunk is deleted. Bytes are the same as zarr's own write of the same values.
    """
    chunk_shape, shards = encoder.chunk_shape, encoder.shards
    fill_value = arrays[0].fill_value
    origin = tuple(s.start for s in block)

    def encode_chunk(chunk_origin: tuple[int, ...]) -> Any:
        local = tuple(o - b for o, b in zip(chunk_origin, origin, strict=True))
        if any(start >= n for start, n in zip(local, values.shape, strict=True)):
            return None
        part = values[tuple(slice(start, start + c) for start, c in zip(local, chunk_shape, strict=True))]
        if part.shape != chunk_shape:
            chunk = np.full(chunk_shape, fill_value, dtype=values.dtype)
            chunk[tuple(slice(0, n) for n in part.shape)] = part
            part = chunk
        return encoder.encode_chunk(part)

    shard_ranges = (range(s.start // n, -(-s.stop // n)) for s, n in zip(block, shards, strict=True))
    inner_chunks = list(itertools.product(*(range(n) for n in encoder.chunks_per_shard)))
    with ThreadPoolExecutor(ENCODE_THREADS) as pool, ThreadPoolExecutor(1) as writer:
        pending: Future[None] | None = None
        for shard in itertools.product(*shard_ranges):
            origins = (
                tuple(s * n + i * c for s, n, i, c in zip(shard, shards, inner, chunk_shape, strict=True))
                for inner in inner_chunks
            )
            blob = encoder.encode_shard(dict(zip(inner_chunks, pool.map(encode_chunk, origins), strict=True)))
            if pending is not None:
                pending.result()  # one shard in flight: encoded bytes held stay bounded by two shards
            pending = writer.submit(encoder.put, arrays, shard, blob)
        if pending is not None:
            pending.result()
