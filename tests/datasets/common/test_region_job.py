from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import icechunk
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from hypothesis import given
from hypothesis import strategies as st
from zarr.abc.store import Store
from zarr.storage import LocalStore

from datasets.common import region_job
from datasets.common.dynamical_dataset import DynamicalDataset
from datasets.common.region_job import split_variables, worker_share
from datasets.common.results import VariableResult
from datasets.common.shard_writer import write_block
from datasets.common.timestamps import timestamp
from datasets.common.transforms.rounding import round_for_storage
from tests.support.runs import INITS
from tests.support.synthetic_dataset import (
    DATA_VARS,
    LEAD_TIMES,
    START,
    SyntheticRegionJob,
    expected_value,
    write_source_archive,
)


def template(synthetic: DynamicalDataset, steps: int) -> xr.Dataset:
    return synthetic.template_config.get_template(timestamp(START + steps * pd.Timedelta("6h")))


def test_jobs_are_shards_in_order(synthetic: DynamicalDataset) -> None:
    jobs = SyntheticRegionJob.get_jobs(template(synthetic, 5), "init_time", DATA_VARS)
    assert [(j.region.start, j.region.stop) for j in jobs] == [(0, 2), (2, 4), (4, 5)]
    assert all(j.data_vars == DATA_VARS for j in jobs)


def test_filters(synthetic: DynamicalDataset) -> None:
    ds = template(synthetic, 8)

    def regions(**filters: Any) -> list[int]:
        return [j.region.start for j in SyntheticRegionJob.get_jobs(ds, "init_time", DATA_VARS, **filters)]

    t = timestamp
    assert regions(filter_start=t("2024-01-01T12:00")) == [2, 4, 6]
    assert regions(filter_start=t("2024-01-01T06:00")) == [0, 2, 4, 6]
    assert regions(filter_end=t("2024-01-01T12:00")) == [0]
    assert regions(filter_end=t("2024-01-01T12:01")) == [0, 2]
    assert regions(filter_contains=[t("2024-01-02T06:00"), t("2024-01-01")]) == [0, 4]
    assert regions(filter_start=t("2024-01-01T12:00"), filter_end=t("2024-01-02T00:00")) == [2]
    names = SyntheticRegionJob.get_jobs(ds, "init_time", DATA_VARS, filter_variable_names=["wind_u_10m"])
    assert {tuple(v.name for v in j.data_vars) for j in names} == {("wind_u_10m",)}


@given(st.integers(0, 200), st.integers(1, 40))
def test_worker_share_assigns_every_job_once(n_jobs: int, workers_total: int) -> None:
    jobs = list(range(n_jobs))
    shares = [worker_share(jobs, i, workers_total) for i in range(workers_total)]
    assert sorted(j for share in shares for j in share) == jobs
    assert max(map(len, shares)) - min(map(len, shares)) <= 1
    assert shares == [worker_share(jobs, i, workers_total) for i in range(workers_total)]
    firsts = [share[0] for share in shares if share]
    assert firsts == sorted(firsts)
    if n_jobs >= workers_total > 1:
        assert firsts[1] - firsts[0] >= n_jobs // workers_total


def test_keys_of_many_variables_stay_short_and_unique(synthetic: DynamicalDataset) -> None:
    ds = template(synthetic, 2)
    many = tuple(v.model_copy(update={"name": f"{v.name}_{'x' * 40}_{i}"}) for i in range(9) for v in DATA_VARS[:1])
    job = SyntheticRegionJob.get_jobs(ds, "init_time", DATA_VARS)[0]
    long_job = job.model_copy(update={"data_vars": many})
    other = job.model_copy(update={"data_vars": many[:-1]})
    assert job.key == f"init_time-0-2-{'+'.join(v.name for v in DATA_VARS)}"
    assert len(long_job.key) < 200
    assert long_job.key.startswith(f"init_time-0-2-{many[0].name}+8-more-")
    assert long_job.key != other.key


class KeepsAllButTheLastPosition(SyntheticRegionJob):
    def region_to_write(self, store: Store) -> slice:
        return slice(max(self.region.start, self.published_extent), self.region.stop)


def test_a_job_writes_only_the_region_its_hook_leaves(synthetic: DynamicalDataset, source: Path) -> None:
    ds = template(synthetic, 2)
    session = icechunk.Repository.create(icechunk.in_memory_storage()).writable_session("main")
    ds.to_zarr(session.store, mode="w", compute=False, zarr_format=3, consolidated=False)
    name = DATA_VARS[0].name
    published = np.full(ds[name].shape, 7.0, dtype=np.float32)
    xr.Dataset({name: (ds[name].dims, published)}).to_zarr(session.store, region="auto", mode="r+")

    def run(published_extent: int) -> dict[str, VariableResult]:
        job = KeepsAllButTheLastPosition.get_jobs(
            ds, "init_time", DATA_VARS, source_url=str(source), published_extent=published_extent
        )[0]
        return job.process([session.store])

    nothing = run(2)
    assert nothing == {v.name: VariableResult(name=v.name) for v in DATA_VARS}
    results = run(1)
    stored = xr.open_zarr(session.store, consolidated=False)[name].values
    assert (stored[0] == 7).all()
    expected = np.stack([expected_value(name, INITS[1], lead) for lead in LEAD_TIMES]).astype(np.float32)
    np.testing.assert_array_equal(stored[1], round_for_storage(expected, DATA_VARS[0].internal_attrs))
    assert results[name].last_append_dim_value == INITS[1]
    assert results[name].succeeded == len(LEAD_TIMES)


def published_sevens(ds: xr.Dataset, store: Store) -> Store:
    ds.to_zarr(store, mode="w", compute=False, zarr_format=3, consolidated=False)
    sevens = {v.name: (ds[v.name].dims, np.full(ds[v.name].shape, 7.0, dtype=np.float32)) for v in DATA_VARS}
    xr.Dataset(sevens).to_zarr(store, region="auto", mode="r+", consolidated=False)
    return store


@pytest.mark.parametrize("published_extent", [0, 1])
@pytest.mark.parametrize("kind", ["icechunk", "zarr"])
def test_positions_after_the_last_file_are_stored_as_fill(
    synthetic: DynamicalDataset, published_extent: int, kind: str, tmp_path: Path
) -> None:
    """The buffer stops at the last lead time with a file; what the job rewrites beyond it becomes NaN, whether
    the job rewrites whole shards (old shards deleted) or only their tail (the rest of the shard kept)."""
    ds = template(synthetic, 2)
    root = Path(synthetic.source_base_url)
    write_source_archive(root, INITS[:2], missing=[(init, LEAD_TIMES[-1]) for init in INITS[:2]])
    plain = LocalStore(tmp_path / "replica.zarr")
    icechunk_store = icechunk.Repository.create(icechunk.in_memory_storage()).writable_session("main").store
    store = published_sevens(ds, icechunk_store if kind == "icechunk" else plain)
    job = KeepsAllButTheLastPosition.get_jobs(
        ds, "init_time", DATA_VARS, source_url=str(root), published_extent=published_extent
    )[0]

    results = job.process([store])

    stored = xr.open_zarr(store, consolidated=False)
    for var in DATA_VARS:
        values = stored[var.name].values
        for i in range(published_extent, 2):
            expected = [expected_value(var.name, INITS[i], lead) for lead in LEAD_TIMES[:-1]]
            np.testing.assert_array_equal(values[i, :-1], round_for_storage(np.stack(expected), var.internal_attrs))
            assert np.isnan(values[i, -1]).all()
        assert (values[:published_extent] == 7).all()
        assert results[var.name].succeeded == (2 - published_extent) * (len(LEAD_TIMES) - 1)


def test_split_variables_keeps_each_shard_and_covers_every_variable(synthetic: DynamicalDataset) -> None:
    jobs = SyntheticRegionJob.get_jobs(template(synthetic, 3), "init_time", DATA_VARS)
    assert split_variables(jobs, 1) == jobs
    split = split_variables(jobs, 3)  # more parts than variables: one variable per job
    assert [(j.region, [v.name for v in j.data_vars]) for j in split] == [
        (job.region, [var.name]) for job in jobs for var in DATA_VARS
    ]
    assert len({j.key for j in split}) == len(split)


class OneShardBlocks(KeepsAllButTheLastPosition):
    block_dims: ClassVar[tuple[str, ...]] = ("latitude", "longitude")
    memory_budget_bytes: ClassVar[int | None] = 1  # one shard per block, one variable at a time


def with_shards(ds: xr.Dataset, shards: tuple[int, ...]) -> xr.Dataset:
    ds = ds.copy()
    for var in DATA_VARS:
        ds[var.name].encoding = {**ds[var.name].encoding, "shards": shards}
    return ds


def stored_files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("published_extent", [0, 1])
def test_a_blocked_job_stores_the_same_bytes_as_an_unblocked_one(
    synthetic: DynamicalDataset, published_extent: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Blocks of one shard of a 2 x 2 grid of shards, with the last lead time missing (a cropped buffer) and a
    region whose head is already published."""
    ds = with_shards(template(synthetic, 2), (2, 3, 2, 4))
    root = Path(synthetic.source_base_url)
    write_source_archive(root, INITS[:2], missing=[(init, LEAD_TIMES[-1]) for init in INITS[:2]])
    selections = []

    def spy(stores: Sequence[Store], name: str, selection: tuple[slice, ...], values: np.ndarray) -> None:
        selections.append((name, selection))
        write_block(stores, name, selection, values)

    monkeypatch.setattr(region_job, "write_block", spy)
    results = {}
    for job_class in (KeepsAllButTheLastPosition, OneShardBlocks):
        store = published_sevens(ds, LocalStore(tmp_path / job_class.__name__))
        (job,) = job_class.get_jobs(ds, "init_time", DATA_VARS, source_url=str(root), published_extent=published_extent)
        results[job_class] = job.process([store])

    assert results[OneShardBlocks] == results[KeepsAllButTheLastPosition]
    assert stored_files(tmp_path / "OneShardBlocks") == stored_files(tmp_path / "KeepsAllButTheLastPosition")
    region = slice(published_extent, 2)
    blocks = [
        (slice(0, 2), slice(0, 4)),
        (slice(0, 2), slice(4, 8)),
        (slice(2, 4), slice(0, 4)),
        (slice(2, 4), slice(4, 8)),
    ]
    assert sorted(selections, key=str) == sorted(
        [(v.name, (region,)) for v in DATA_VARS]
        + [(v.name, (region, slice(None), *b)) for v in DATA_VARS for b in blocks],
        key=str,
    )


def test_block_dims_must_be_dims_no_source_file_locates(synthetic: DynamicalDataset, source: Path) -> None:
    class LeadTimeBlocks(SyntheticRegionJob):
        block_dims: ClassVar[tuple[str, ...]] = ("lead_time",)
        memory_budget_bytes: ClassVar[int | None] = 1

    ds = template(synthetic, 2)
    store = icechunk.Repository.create(icechunk.in_memory_storage()).writable_session("main").store
    ds.to_zarr(store, mode="w", compute=False, zarr_format=3, consolidated=False)
    (job,) = LeadTimeBlocks.get_jobs(ds, "init_time", DATA_VARS, source_url=str(source))
    with pytest.raises(AssertionError, match="no source file locates"):
        job.process([store])
