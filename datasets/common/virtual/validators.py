"""Checks of a virtual dataset: its manifests hold every expected reference, and sampled references decode."""

import asyncio
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import zarr
from pydantic import Field

from datasets.common.sources.fetch import fetch_ranges
from datasets.common.sources.grib import decode_message
from datasets.common.validation import CheckCurrentData
from datasets.common.validation.check import CheckResult, ValidationTarget, Validator, describe_positions, positions_of
from datasets.common.validation.sampling import LEAD_DIM, lead_mask
from datasets.common.virtual.codec import GribCodec


def virtual_validators(max_delay: pd.Timedelta) -> tuple[Validator, ...]:
    return (CheckCurrentData(max_delay=max_delay), CheckManifestComplete(), CheckDecodeHealth())


@dataclass(frozen=True)
class References:
    """Every reference of one array as read from its manifests: chunk coordinates, URL, offset, length."""

    coords: np.ndarray
    paths: list[str]
    offsets: np.ndarray
    lengths: np.ndarray

    def __len__(self) -> int:
        return len(self.paths)


def read_references(store: Any, name: str) -> References:
    async def read() -> References:
        coords, paths, offsets, lengths = [np.empty((0, 0), dtype=np.int64)], [], [np.empty(0)], [np.empty(0)]
        async for found, _kinds, batch_paths, starts, sizes, _inline in store.array_chunk_iterator(name):
            coords.append(found.astype(np.int64))
            paths.extend(batch_paths)
            offsets.append(starts)
            lengths.append(sizes)
        return References(
            coords=np.concatenate(coords[1:]) if len(coords) > 1 else coords[0],
            paths=paths,
            offsets=np.concatenate(offsets).astype(np.int64),
            lengths=np.concatenate(lengths).astype(np.int64),
        )

    return asyncio.run(read())


def _manifest_readable(target: ValidationTarget) -> bool:
    return hasattr(target.store, "array_chunk_iterator")


class CheckManifestComplete(Validator):
    """Every expected (position, lead time, variable) has a reference, found by reading manifests, not data.

    Expected: every lead time up to `expected_forecast_length` (never lead 0 of a variable without an hour-0 value);
    at the newest position, which may still be arriving, only up to its `ingested_forecast_length`.
    """

    variables: tuple[str, ...] = ()

    def run(self, target: ValidationTarget) -> list[CheckResult]:
        if not _manifest_readable(target):
            return [self.result(False, "the store is not an Icechunk repository: no manifests to read")]
        return [self._check(target, name) for name in target.variables(self.variables)]

    def _check(self, target: ValidationTarget, name: str) -> CheckResult:
        dims = [str(d) for d in target.ds[name].dims]
        count = target.ds.sizes[target.append_dim]
        positions = np.arange(count)
        expected = lead_mask(target, name, positions, "full")
        if count:
            expected[-1] = lead_mask(target, name, positions[-1:], "ingested")[0]
        present = np.zeros_like(expected)
        coords = read_references(target.store, name).coords
        if len(coords):
            coords = coords[coords[:, 0] < count]
            present[coords[:, 0], coords[:, dims.index(LEAD_DIM)] if LEAD_DIM in dims else 0] = True
        missing = expected & ~present
        if not missing.any():
            return self.result(True, f"all {int(expected.sum())} expected references present", name)
        at_fault = positions_of(target, np.flatnonzero(missing.any(axis=1)))
        return self.result(
            False,
            f"{int(missing.sum())} of {int(expected.sum())} expected references missing, at {describe_positions(at_fault)}",
            name,
            at_fault,
        )


class CheckDecodeHealth(Validator):
    """Sampled references decode to the template's grid through the dataset's codec, equal to eccodes' decode of
    the same bytes fetched directly, with values present and none infinite.

    Samples `newest` references of each variable at the newest position and `random` more anywhere (fixed by
    `seed`).
    """

    newest: int = Field(default=1, ge=0)
    random: int = Field(default=8, ge=0)
    seed: int = 0
    variables: tuple[str, ...] = ()

    def run(self, target: ValidationTarget) -> list[CheckResult]:
        if not _manifest_readable(target):
            return [self.result(False, "the store is not an Icechunk repository: no references to sample")]
        names = target.variables(self.variables)
        rng = np.random.default_rng(self.seed)
        sampled: list[tuple[str, References, int]] = []
        pool: list[tuple[str, References, int]] = []
        for name in names:
            references = read_references(target.store, name)
            rows = np.arange(len(references))
            newest = rows[references.coords[:, 0] == target.ds.sizes[target.append_dim] - 1] if len(rows) else rows
            for row in rng.permutation(newest)[: self.newest]:
                sampled.append((name, references, int(row)))
            pool.extend((name, references, int(row)) for row in rows)
        for index in rng.permutation(len(pool))[: self.random]:
            sampled.append(pool[int(index)])
        if not sampled:
            return [self.result(False, "no reference to sample")]
        problems = [p for p in (self._problem(target, *s) for s in sampled) if p]
        positions = sorted({p for p, _ in problems})
        if problems:
            message = f"{len(problems)} of {len(sampled)} sampled references unhealthy: {problems[0][1]}"
            return [self.result(False, message, positions=positions)]
        return [self.result(True, f"{len(sampled)} sampled references decode to the template's grid")]

    def _problem(self, target: ValidationTarget, name: str, references: References, row: int) -> tuple[str, str] | None:
        index = tuple(int(i) for i in references.coords[row])
        position = positions_of(target, [index[0]])[0]
        start, length = int(references.offsets[row]), int(references.lengths[row])
        where = f"{name}{list(index)} = {references.paths[row]} bytes {start}-{start + length - 1}"
        array = zarr.open_array(target.store, path=name, mode="r", zarr_format=3)
        serializer = array.serializer
        assert isinstance(serializer, GribCodec), f"{name} is not a virtual (GRIB-referencing) array"
        try:
            through_codec = np.asarray(array.get_block_selection(index)).reshape(serializer.grid.nj, serializer.grid.ni)
            message = fetch_ranges(references.paths[row], [(start, start + length)])[0]
            direct = decode_message(message, serializer.grid)
        except Exception as e:  # any failure to read or decode is what this check reports
            return position, f"{where}: {type(e).__name__}: {e}"
        if not np.array_equal(through_codec, direct, equal_nan=True):
            return position, f"{where}: the codec's values differ from eccodes' decode of the same bytes"
        if np.isinf(direct).any() or np.isnan(direct).all():
            return position, f"{where}: values are infinite or all missing"
        return None
