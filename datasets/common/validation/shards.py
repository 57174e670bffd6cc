import asyncio
import itertools
import math

import numpy as np
import zarr
from zarr.abc.store import Store

from datasets.common.validation.check import CheckResult, ValidationTarget, Validator, describe_positions, positions_of
from datasets.common.validation.sampling import LEAD_DIM, lead_mask


class CheckExpectedShards(Validator):
    """Every shard that should hold data is stored.

    A shard is expected when its region holds an expected value: any published append-dim position, lead
    times up to the position's `ingested_forecast_length` (every lead where it is missing or the dataset has
    none; never lead 0 of a variable without an hour-0 value) and every grid point. A shard whose region is
    all NaN is never stored, so a missing expected shard means its data is missing (or was deleted).
    """

    variables: tuple[str, ...] = ()

    def run(self, target: ValidationTarget) -> list[CheckResult]:
        return [self._check(target, name) for name in target.variables(self.variables)]

    def _check(self, target: ValidationTarget, name: str) -> CheckResult:
        array = zarr.open_array(target.store, path=name, mode="r", zarr_format=3)
        dims = [str(d) for d in target.ds[name].dims]
        shards = array.shards or array.chunks
        counts = [math.ceil(size / shard) for size, shard in zip(array.shape, shards, strict=True)]
        stored = set(asyncio.run(_list_keys(target.store, f"{name}/")))
        mask = lead_mask(target, name, np.arange(array.shape[0]), "ingested")
        lead_axis = dims.index(LEAD_DIM) if LEAD_DIM in dims else None
        expected = missing = 0
        missing_append_shards: set[int] = set()
        for coords in itertools.product(*(range(c) for c in counts)):
            append_region = slice(coords[0] * shards[0], (coords[0] + 1) * shards[0])
            if lead_axis is None:
                wanted = mask[append_region].any()
            else:
                lead_region = slice(coords[lead_axis] * shards[lead_axis], (coords[lead_axis] + 1) * shards[lead_axis])
                wanted = mask[append_region, lead_region].any()
            if not wanted:
                continue
            expected += 1
            if f"{name}/{array.metadata.encode_chunk_key(coords)}" not in stored:
                missing += 1
                missing_append_shards.add(coords[0])
        if not missing:
            return self.result(True, f"all {expected} expected shards stored", name)
        indices = [
            i
            for s in sorted(missing_append_shards)
            for i in range(s * shards[0], min((s + 1) * shards[0], array.shape[0]))
        ]
        positions = positions_of(target, indices)
        return self.result(
            False,
            f"{missing} of {expected} expected shards missing, covering {describe_positions(positions)}",
            name,
            positions,
        )


async def _list_keys(store: Store, prefix: str) -> list[str]:
    return [key async for key in store.list_prefix(prefix)]
