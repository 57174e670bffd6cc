import asyncio
from typing import Any

import numpy as np
import pytest
import zarr
from zarr.core.buffer import default_buffer_prototype
from zarr.storage import MemoryStore

from datasets.common import zarr_shards
from datasets.common.config_models import BLOSC_4BYTE_ZSTD_LEVEL3_SHUFFLE
from datasets.common.shard_writer import write_block
from datasets.common.zarr_shards import ShardEncoder

SHAPE = (4, 7, 10, 9)
CHUNKS = (1, 3, 4, 3)
SHARDS = (2, 6, 8, 6)


def make_array(store: MemoryStore, shards: tuple[int, ...] | None = SHARDS) -> zarr.Array:
    return zarr.create_array(
        store,
        name="v",
        shape=SHAPE,
        chunks=CHUNKS,
        shards=shards,
        dtype="float32",
        fill_value=np.nan,
        compressors=[BLOSC_4BYTE_ZSTD_LEVEL3_SHUFFLE],
    )


def values(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def expected_after(before: np.ndarray, block: tuple[slice, ...], written: np.ndarray) -> np.ndarray:
    expected = before.copy()
    full = (*block, *(slice(None),) * (len(SHAPE) - len(block)))
    expected[full] = np.nan
    origin = tuple(s.start or 0 for s in full)
    expected[tuple(slice(o, o + n) for o, n in zip(origin, written.shape, strict=True))] = written
    return expected


def stored_bytes(store: MemoryStore) -> dict[str, bytes]:
    async def read() -> dict[str, bytes]:
        keys = [key async for key in store.list() if "/c/" in key]
        buffers = [await store.get(key, default_buffer_prototype()) for key in keys]
        return {key: buffer.to_bytes() for key, buffer in zip(keys, buffers, strict=True) if buffer is not None}

    return asyncio.run(read())


@pytest.mark.parametrize(
    ("block", "shape"),
    [
        ((slice(0, 2),), (2, 7, 10, 9)),  # whole shard row along the append dim, nothing cropped
        ((slice(2, 4),), (2, 4, 10, 9)),  # cropped lead dim: second lead shard disappears
        ((slice(0, 2),), (1, 2, 5, 4)),  # cropped along every dim, within the first shard
        ((slice(2, 4), slice(0, 7), slice(8, 10)), (2, 5, 2, 9)),  # a block of whole shards along latitude
        ((slice(0, 4),), (0, 7, 10, 9)),  # nothing at all: the block becomes fill
    ],
)
def test_whole_shards_match_zarr_bytes_and_replace_the_block(block: tuple[slice, ...], shape: tuple[int, ...]) -> None:
    ours, reference = MemoryStore(), MemoryStore()
    before = values(SHAPE, seed=1)
    make_array(ours)[:] = before
    make_array(reference)[:] = before
    written = values(shape)

    write_block([ours], "v", block, written)

    expected = expected_after(before, block, written)
    reference_array = zarr.open_array(reference, path="v", mode="r+")
    reference_array[(*block, *(slice(None),) * (len(SHAPE) - len(block)))] = expected[
        (*block, *(slice(None),) * (len(SHAPE) - len(block)))
    ]
    np.testing.assert_array_equal(zarr.open_array(ours, path="v", mode="r")[:], expected)
    assert stored_bytes(ours) == stored_bytes(reference)


def test_a_block_inside_a_shard_replaces_only_itself() -> None:
    store = MemoryStore()
    before = values(SHAPE, seed=1)
    make_array(store)[:] = before
    written = values((1, 2, 10, 9))

    write_block([store], "v", (slice(1, 2),), written)

    np.testing.assert_array_equal(
        zarr.open_array(store, path="v", mode="r")[:], expected_after(before, (slice(1, 2),), written)
    )


@pytest.mark.parametrize("shards", [None, SHARDS])
def test_every_store_gets_the_block(shards: tuple[int, ...] | None) -> None:
    stores = [MemoryStore(), MemoryStore()]
    for store in stores:
        make_array(store, shards)
    written = values((2, 7, 3, 9))

    write_block(stores, "v", (slice(2, 4),), written)

    expected = expected_after(np.full(SHAPE, np.nan, dtype=np.float32), (slice(2, 4),), written)
    for store in stores:
        np.testing.assert_array_equal(zarr.open_array(store, path="v", mode="r")[:], expected)


def test_values_larger_than_the_block_are_refused() -> None:
    store = MemoryStore()
    make_array(store)
    with pytest.raises(AssertionError, match="do not fit"):
        write_block([store], "v", (slice(0, 2),), values((2, 8, 10, 9)))


def test_whole_shards_are_encoded_once_for_every_store(monkeypatch: pytest.MonkeyPatch) -> None:
    stores = [MemoryStore(), MemoryStore()]
    for store in stores:
        make_array(store)
    encoded_shards = []
    encode = ShardEncoder.encode_shard

    def counting(self: ShardEncoder, *args: Any, **kwargs: Any) -> Any:
        encoded_shards.append(args)
        return encode(self, *args, **kwargs)

    monkeypatch.setattr(ShardEncoder, "encode_shard", counting)
    write_block(stores, "v", (slice(2, 4),), values((2, 7, 10, 9)))

    assert len(encoded_shards) == 2 * 2 * 2  # lead x latitude x longitude shards of one append-dim shard
    assert stored_bytes(stores[0]) == stored_bytes(stores[1])


def test_without_zarr_internals_writes_fall_back_to_zarr_and_store_the_same_bytes(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    fast, fallback = MemoryStore(), MemoryStore()
    make_array(fast)
    make_array(fallback)
    written = values((2, 7, 10, 9))
    write_block([fast], "v", (slice(0, 2),), written)

    monkeypatch.setattr(zarr_shards, "AVAILABLE", False)
    zarr_shards._say_fallback_once.cache_clear()
    write_block([fallback], "v", (slice(0, 2),), written)
    write_block([fallback], "v", (slice(0, 2),), written)

    assert stored_bytes(fallback) == stored_bytes(fast)
    assert len([r for r in caplog.records if "public API" in r.message]) == 1
