"""Split a processing region into blocks of whole shards, so the buffers a job holds fit a memory budget."""

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import xarray as xr

from datasets.common.config_models import DataVar

# Block dim -> slice of it; `{}` is the whole region
type Block = Mapping[str, slice]


@dataclass(frozen=True)
class BlockPlan:
    blocks: tuple[Block, ...]
    parallelism: int  # buffers in flight (variables processed at once)
    block_size: int  # elements of the largest block: each buffer holds this many


def shard_shape(template_var: xr.DataArray) -> tuple[int, ...]:
    return tuple(template_var.encoding.get("shards") or template_var.encoding["chunks"])


def append_dim_shard_size(template_ds: xr.Dataset, append_dim: str, data_vars: Sequence[DataVar[Any]]) -> int:
    sizes = set()
    for var in data_vars:
        sizes.add(shard_shape(template_ds[var.name])[template_ds[var.name].dims.index(append_dim)])
    assert len(sizes) == 1, f"data variables disagree on the append-dim shard size: {sizes}"
    return sizes.pop()


def plan_blocks(
    sizes: Mapping[str, int],
    shards: Mapping[str, int],
    block_dims: Sequence[str],
    itemsize: int,
    budget_bytes: int | None,
    parallelism: int,
) -> BlockPlan:
    """Blocks (rectangles of whole shards along `block_dims`) that tile a region of `sizes`, and how many of them
    may be in flight, so that parallelism x largest block <= budget_bytes.

    Parallelism drops (to 1 at least) when blocks of one shard would not fit it; one shard is the smallest block,
    even when it alone exceeds the budget. Among the shard counts per block that fit, the fewest blocks win (each
    block decodes every source message again), then the smallest largest block (blocks as even as possible).
    Without a budget, or with nothing to split, the whole region is one block.
    """
    assert set(block_dims) <= set(sizes), f"block dims {block_dims} not all in {tuple(sizes)}"
    assert parallelism >= 1
    if budget_bytes is None or not block_dims:
        return BlockPlan(blocks=({},), parallelism=parallelism, block_size=math.prod(sizes.values()))
    counts = {d: math.ceil(sizes[d] / shards[d]) for d in block_dims}

    def size(per_block: Mapping[str, int]) -> int:
        return math.prod(min(per_block[d] * shards[d], n) if d in per_block else n for d, n in sizes.items())

    def count(per_block: Mapping[str, int]) -> int:
        return math.prod(math.ceil(counts[d] / per_block[d]) for d in block_dims)

    one_shard = dict.fromkeys(block_dims, 1)
    parallelism = max(1, min(parallelism, budget_bytes // max(1, itemsize * size(one_shard))))
    candidates = (
        dict(zip(block_dims, combination, strict=True))
        for combination in itertools.product(*(range(1, counts[d] + 1) for d in block_dims))
    )
    fitting = [c for c in candidates if parallelism * itemsize * size(c) <= budget_bytes] or [one_shard]
    best = min(fitting, key=lambda c: (count(c), size(c)))
    if count(best) == 1:
        return BlockPlan(blocks=({},), parallelism=parallelism, block_size=size(best))
    steps = {d: best[d] * shards[d] for d in block_dims}
    ranges = [
        [slice(start, min(start + steps[d], sizes[d])) for start in range(0, sizes[d], steps[d])] for d in block_dims
    ]
    blocks = tuple(dict(zip(block_dims, slices, strict=True)) for slices in itertools.product(*ranges))
    return BlockPlan(blocks=blocks, parallelism=parallelism, block_size=size(best))
