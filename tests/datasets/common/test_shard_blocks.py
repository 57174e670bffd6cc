import itertools
import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from datasets.common.shard_blocks import shard_blocks

GEFS_SIZES = {"init_time": 1, "ensemble_member": 31, "lead_time": 181, "latitude": 721, "longitude": 1440}
GEFS_SHARDS = {"init_time": 1, "ensemble_member": 31, "lead_time": 192, "latitude": 374, "longitude": 368}
GEFS_SHARD_BYTES = 31 * 181 * 374 * 368 * 4


def test_no_budget_or_nothing_to_split_is_one_block() -> None:
    assert shard_blocks(GEFS_SIZES, GEFS_SHARDS, ("latitude", "longitude"), 4, None) == [{}]
    assert shard_blocks(GEFS_SIZES, GEFS_SHARDS, (), 4, 1) == [{}]


def test_gefs_variable_in_blocks_of_two_shards() -> None:
    blocks = shard_blocks(GEFS_SIZES, GEFS_SHARDS, ("latitude", "longitude"), 4, 2 * GEFS_SHARD_BYTES)
    assert blocks == [
        {"latitude": slice(0, 374), "longitude": slice(0, 736)},
        {"latitude": slice(0, 374), "longitude": slice(736, 1440)},
        {"latitude": slice(374, 721), "longitude": slice(0, 736)},
        {"latitude": slice(374, 721), "longitude": slice(736, 1440)},
    ]


def test_a_whole_row_of_shards_when_it_fits() -> None:
    blocks = shard_blocks(GEFS_SIZES, GEFS_SHARDS, ("latitude", "longitude"), 4, 4 * GEFS_SHARD_BYTES)
    assert blocks == [
        {"latitude": slice(0, 374), "longitude": slice(0, 1440)},
        {"latitude": slice(374, 721), "longitude": slice(0, 1440)},
    ]


def test_one_shard_is_the_smallest_block() -> None:
    blocks = shard_blocks(GEFS_SIZES, GEFS_SHARDS, ("latitude", "longitude"), 4, 1)
    assert len(blocks) == 2 * 4
    assert blocks[-1] == {"latitude": slice(374, 721), "longitude": slice(1104, 1440)}


@settings(deadline=None)
@given(
    st.lists(st.tuples(st.integers(1, 16), st.integers(1, 6)), min_size=1, max_size=3),
    st.integers(1, 40),
    st.integers(0, 30_000),
)
def test_blocks_tile_the_region_in_whole_shards_within_the_budget(
    dims: list[tuple[int, int]], leading: int, budget: int
) -> None:
    names = [f"d{i}" for i in range(len(dims))]
    sizes = {"lead": leading} | {n: size for n, (size, _) in zip(names, dims, strict=True)}
    shards = {"lead": leading} | {n: shard for n, (_, shard) in zip(names, dims, strict=True)}
    blocks = shard_blocks(sizes, shards, names, 4, budget)

    covered = np.zeros([size for size, _ in dims], dtype=int)
    for block in blocks:
        covered[tuple(block[n] for n in names)] += 1
        for n in names:
            assert block[n].start % shards[n] == 0
            assert block[n].stop % shards[n] == 0 or block[n].stop == sizes[n]
        extents = [block[n].stop - block[n].start for n in names]
        one_shard = all(e <= shards[n] for e, n in zip(extents, names, strict=True))
        assert one_shard or 4 * leading * math.prod(extents) <= budget
    assert (covered == 1).all()
    starts = [tuple(block[n].start for n in names) for block in blocks]
    assert starts == sorted(starts)
    assert len(blocks) == math.prod(len({b[n].start for b in blocks}) for n in names)
    assert set(itertools.product(*({b[n].start for b in blocks} for n in names))) == set(starts)
