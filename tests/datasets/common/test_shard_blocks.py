import itertools
import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from datasets.common.shard_blocks import plan_blocks

GEFS_SIZES = {"init_time": 1, "ensemble_member": 31, "lead_time": 181, "latitude": 721, "longitude": 1440}
GEFS_SHARDS = {"init_time": 1, "ensemble_member": 31, "lead_time": 192, "latitude": 374, "longitude": 368}
LAT_LON = ("latitude", "longitude")
SHARD = 31 * 181 * 374 * 368  # elements of one (first) shard of the region
SHARD_BYTES = 4 * SHARD


def shapes(blocks: tuple) -> list[tuple[int, int]]:
    return [(b["latitude"].stop - b["latitude"].start, b["longitude"].stop - b["longitude"].start) for b in blocks]


def test_no_budget_or_nothing_to_split_is_one_block_per_variable_in_flight() -> None:
    for plan in (
        plan_blocks(GEFS_SIZES, GEFS_SHARDS, LAT_LON, 4, None, 2),
        plan_blocks(GEFS_SIZES, GEFS_SHARDS, (), 4, 1, 2),
    ):
        assert plan.blocks == ({},)
        assert plan.parallelism == 2
        assert plan.block_size == math.prod(GEFS_SIZES.values())


def test_a_region_within_the_budget_is_one_block() -> None:
    plan = plan_blocks(GEFS_SIZES, GEFS_SHARDS, LAT_LON, 4, 2 * 4 * math.prod(GEFS_SIZES.values()), 2)
    assert (plan.blocks, plan.parallelism) == (({},), 2)


def test_variables_in_flight_share_the_budget() -> None:
    # With one variable in flight, two shard columns of both rows fit a budget of four shards (the last row is
    # lower); with two, each holds at most two shards: one shard column of both rows.
    one = plan_blocks(GEFS_SIZES, GEFS_SHARDS, LAT_LON, 4, 4 * SHARD_BYTES, 1)
    assert one.parallelism == 1
    assert one.blocks == (
        {"latitude": slice(0, 721), "longitude": slice(0, 736)},
        {"latitude": slice(0, 721), "longitude": slice(736, 1440)},
    )
    two = plan_blocks(GEFS_SIZES, GEFS_SHARDS, LAT_LON, 4, 4 * SHARD_BYTES, 2)
    assert two.parallelism == 2
    assert shapes(two.blocks) == [(721, 368)] * 3 + [(721, 336)]
    assert two.parallelism * two.block_size * 4 <= 4 * SHARD_BYTES


def test_fewest_blocks_then_the_most_even_ones() -> None:
    # Three of a row's four shards would fit, but 2 + 2 makes as few blocks as 3 + 1 and smaller ones.
    plan = plan_blocks(GEFS_SIZES, GEFS_SHARDS, ("longitude",), 4, 3 * 721 * SHARD // 374 * 4, 1)
    assert [b["longitude"] for b in plan.blocks] == [slice(0, 736), slice(736, 1440)]
    assert plan.block_size == 31 * 181 * 721 * 736


def test_parallelism_drops_to_one_when_one_shard_exceeds_half_the_budget() -> None:
    plan = plan_blocks(GEFS_SIZES, GEFS_SHARDS, LAT_LON, 4, SHARD_BYTES * 3 // 2, 2)
    assert plan.parallelism == 1
    assert len(plan.blocks) == 8
    assert plan.block_size == SHARD


def test_one_shard_is_the_smallest_block() -> None:
    plan = plan_blocks(GEFS_SIZES, GEFS_SHARDS, LAT_LON, 4, 1, 2)
    assert plan.parallelism == 1
    assert plan.block_size == SHARD
    assert len(plan.blocks) == 2 * 4
    assert plan.blocks[0] == {"latitude": slice(0, 374), "longitude": slice(0, 368)}
    assert plan.blocks[-1] == {"latitude": slice(374, 721), "longitude": slice(1104, 1440)}


@settings(deadline=None)
@given(
    st.lists(st.tuples(st.integers(1, 16), st.integers(1, 6)), min_size=1, max_size=3),
    st.integers(1, 40),
    st.integers(0, 30_000),
    st.integers(1, 4),
)
def test_blocks_tile_the_region_in_whole_shards_within_the_budget(
    dims: list[tuple[int, int]], leading: int, budget: int, parallelism: int
) -> None:
    names = [f"d{i}" for i in range(len(dims))]
    sizes = {"lead": leading} | {n: size for n, (size, _) in zip(names, dims, strict=True)}
    shards = {"lead": leading} | {n: shard for n, (_, shard) in zip(names, dims, strict=True)}
    plan = plan_blocks(sizes, shards, names, 4, budget, parallelism)
    blocks = [block or {n: slice(0, sizes[n]) for n in names} for block in plan.blocks]

    covered = np.zeros([size for size, _ in dims], dtype=int)
    for block in blocks:
        covered[tuple(block[n] for n in names)] += 1
        for n in names:
            assert block[n].start % shards[n] == 0
            assert block[n].stop % shards[n] == 0 or block[n].stop == sizes[n]
        assert leading * math.prod(block[n].stop - block[n].start for n in names) <= plan.block_size
    assert (covered == 1).all()
    assert 1 <= plan.parallelism <= parallelism
    one_shard = leading * math.prod(min(shards[n], sizes[n]) for n in names)
    within = plan.parallelism * plan.block_size * 4 <= budget
    assert within or (plan.parallelism == 1 and plan.block_size == one_shard)
    starts = [tuple(block[n].start for n in names) for block in blocks]
    assert starts == sorted(starts)
    assert set(itertools.product(*({b[n].start for b in blocks} for n in names))) == set(starts)
