"""Split a processing region into blocks of whole shards, so one block at a time fits a memory budget."""

import itertools
import math
from collections.abc import Mapping, Sequence

type Block = dict[str, slice]


def shard_blocks(
    sizes: Mapping[str, int],
    shards: Mapping[str, int],
    split_dims: Sequence[str],
    itemsize: int,
    budget_bytes: int | None,
) -> list[Block]:
    """Blocks (split dim -> slice) that tile the region, each a rectangle of whole shards.

    With no budget (or nothing to split) the whole region is one block `{}`. Otherwise each block holds as many
    shards as fit in `budget_bytes`, splitting the earlier of `split_dims` first; one shard is the smallest block,
    even when it alone exceeds the budget.
    """
    if budget_bytes is None or not split_dims:
        return [{}]
    assert set(split_dims) <= set(sizes), f"split dims {split_dims} not all in {tuple(sizes)}"
    counts = {d: math.ceil(sizes[d] / shards[d]) for d in split_dims}
    per_block = dict(counts)

    def block_bytes() -> int:
        extents = [min(per_block[d] * shards[d], size) if d in per_block else size for d, size in sizes.items()]
        return itemsize * math.prod(extents)

    for dim in split_dims:
        if block_bytes() <= budget_bytes:
            break
        per_block[dim] = 1
        while per_block[dim] < counts[dim]:
            per_block[dim] += 1
            if block_bytes() > budget_bytes:
                per_block[dim] -= 1
                break
    ranges = [
        [
            slice(start, min(start + per_block[d] * shards[d], sizes[d]))
            for start in range(0, sizes[d], per_block[d] * shards[d])
        ]
        for d in split_dims
    ]
    return [dict(zip(split_dims, combination, strict=True)) for combination in itertools.product(*ranges)]
