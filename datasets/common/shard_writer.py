import itertools
from collections.abc import Sequence

import numpy as np
import zarr
from zarr.abc.store import Store
from zarr.core.sync import sync


def write_block(stores: Sequence[Store], name: str, selection: tuple[slice, ...], values: np.ndarray) -> None:
    """Replace the block `selection` of array `name` (one slice per leading dim; the rest are whole) by `values`.

    `values` starts at the block's origin and may stop short of its end along any dim: the rest becomes fill.
    """
    for store in stores:
        array = zarr.open_array(store=store, path=name, mode="r+", zarr_format=3)
        block = _full_selection(array, selection)
        extent = tuple(s.stop - s.start for s in block)
        fits = values.ndim == array.ndim and all(v <= e for v, e in zip(values.shape, extent, strict=True))
        assert fits, f"{name}: values of shape {values.shape} do not fit the block {block}"
        if values.shape == extent:
            array[block] = values
        elif _covers_whole_shards(array, block):
            _delete_shards(array, block)
            if values.size:
                array[tuple(slice(s.start, s.start + n) for s, n in zip(block, values.shape, strict=True))] = values
        else:
            padded = np.full(extent, array.fill_value, dtype=values.dtype)
            padded[tuple(slice(0, n) for n in values.shape)] = values
            array[block] = padded


def _full_selection(array: zarr.Array, selection: tuple[slice, ...]) -> tuple[slice, ...]:
    assert len(selection) <= array.ndim
    full = (*selection, *(slice(0, n) for n in array.shape[len(selection) :]))
    return tuple(slice(*s.indices(n)[:2]) for s, n in zip(full, array.shape, strict=True))


def _covers_whole_shards(array: zarr.Array, block: tuple[slice, ...]) -> bool:
    return all(
        s.start % shard == 0 and (s.stop % shard == 0 or s.stop == n)
        for s, shard, n in zip(block, array.shards or array.chunks, array.shape, strict=True)
    )


def _delete_shards(array: zarr.Array, block: tuple[slice, ...]) -> None:
    shard_shape = array.shards or array.chunks
    ranges = (range(s.start // shard, -(-s.stop // shard)) for s, shard in zip(block, shard_shape, strict=True))
    for shard in itertools.product(*ranges):
        sync((array.store_path / array.metadata.encode_chunk_key(shard)).delete())
