"""The durable record of runs, kept beside the primary store at `<store>.runs/`: one folder per run, and an index
from each request's identity to the run that serves it (so running the same command again resumes that run)."""

from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Self

import obstore
from pydantic import BaseModel, model_validator

from datasets.common.config_models import FrozenBaseModel
from datasets.common.region_job import RegionJob, job_key
from datasets.common.storage import StoreConfig, object_store
from steps.run_request import RUN_ID, RunRequest
from steps.targets import ReplicaPlan

READ_CONCURRENCY = 32
PLAN = "plan.json"
JOIN = "join.json"
PUBLISHED = "published.json"


class CodeIdentity(FrozenBaseModel):
    """The code and checked-in template a run was planned with."""

    version: str
    template_digest: str

    def __str__(self) -> str:
        return f"reformatters {self.version}, template {self.template_digest}"


class PlannedJobs(FrozenBaseModel):
    """Each job of a run: its append-dim region and the group of variables it writes (groups listed once).

    Jobs are stored as runs of shards, so a 5-year list is a few lines: `(start, size, count, groups)` stands for the
    `count` regions of `size` positions from `start` on, each written by one job per listed group, in that order."""

    append_dim: str
    variable_groups: tuple[tuple[str, ...], ...]
    runs: tuple[tuple[int, int, int, tuple[int, ...]], ...]

    @classmethod
    def of(cls, append_dim: str, jobs: Sequence[RegionJob[Any, Any]]) -> Self:
        groups: dict[tuple[str, ...], int] = {}
        entries = [
            (job.region.start, job.region.stop, groups.setdefault(tuple(v.name for v in job.data_vars), len(groups)))
            for job in jobs
        ]
        return cls(append_dim=append_dim, variable_groups=tuple(groups), runs=_runs(entries))

    @model_validator(mode="before")
    @classmethod
    def _from_regions(cls, data: Any) -> Any:
        """Reads a record written before runs: one `(start, stop, group)` per job."""
        if isinstance(data, dict) and "regions" in data:
            data = {k: v for k, v in data.items() if k != "regions"} | {"runs": _runs(data["regions"])}
        return data

    def __len__(self) -> int:
        return sum(count * len(groups) for _, _, count, groups in self.runs)

    def __iter__(self) -> Iterator[tuple[slice, tuple[str, ...]]]:  # ty: ignore[incompatible-method-override]
        for first, size, count, groups in self.runs:
            for start in range(first, first + size * count, size):
                for group in groups:
                    yield slice(start, start + size), self.variable_groups[group]

    @property
    def keys(self) -> list[str]:
        return [job_key(self.append_dim, region, names) for region, names in self]

    def differences(self, other: "PlannedJobs") -> str:
        """`other` against this list, in a few words: what a person needs to see what changed."""
        mine, theirs = self.keys, other.keys
        mine_set, theirs_set = set(mine), set(theirs)
        removed = [k for k in mine if k not in theirs_set]
        added = [k for k in theirs if k not in mine_set]
        parts = [f"{len(mine)} jobs planned, {len(theirs)} now"]
        if removed:
            parts.append(f"{len(removed)} gone (e.g. {removed[0]})")
        if added:
            parts.append(f"{len(added)} new (e.g. {added[0]})")
        return "; ".join(parts)


def _runs(entries: Iterable[Sequence[int]]) -> tuple[tuple[int, int, int, tuple[int, ...]], ...]:
    """`(start, stop, group)` per job, in order, as runs of shards (see PlannedJobs)."""
    per_region: list[tuple[int, int, list[int]]] = []  # consecutive jobs of one region
    for start, stop, group in entries:
        if per_region and per_region[-1][:2] == (start, stop):
            per_region[-1][2].append(group)
        else:
            per_region.append((start, stop, [group]))
    runs: list[tuple[int, int, int, tuple[int, ...]]] = []
    for start, stop, groups in per_region:
        if runs:
            first, size, count, run_groups = runs[-1]
            if stop - start == size and start == first + size * count and tuple(groups) == run_groups:
                runs[-1] = (first, size, count + 1, run_groups)
                continue
        runs.append((start, stop - start, 1, tuple(groups)))
    return tuple(runs)


class PlanRecord(FrozenBaseModel):
    """What a run does, fixed at plan time: write and join execute it."""

    run_id: str
    dataset_id: str
    request: RunRequest  # with the store, source and replicas it resolved to
    identity: CodeIdentity
    planned_at: str
    template_end: str
    workers_total: int
    jobs: PlannedJobs
    temp_branch: str
    base_snapshot: str
    plan_snapshot: str
    published_extent: int
    replicas: tuple[ReplicaPlan, ...] = ()

    @property
    def operation(self) -> str:
        return self.request.operation

    @property
    def source_url(self) -> str:
        assert self.request.source_url is not None, "a planned request has its source resolved"
        return self.request.source_url

    @property
    def job_keys(self) -> list[str]:
        return self.jobs.keys


class _JsonObjects:
    def __init__(self, url: str) -> None:
        self._store = object_store(url)

    def exists(self, name: str) -> bool:
        try:
            obstore.head(self._store, name)
        except FileNotFoundError:
            return False
        return True

    def read_bytes(self, name: str) -> bytes:
        return bytes(obstore.get(self._store, name).bytes())

    def read_many(self, names: Sequence[str]) -> list[bytes]:
        """Several objects at once (a join reads thousands: one at a time, object-store latency adds up)."""
        with ThreadPoolExecutor(READ_CONCURRENCY) as pool:
            return list(pool.map(self.read_bytes, names))

    def write_bytes(self, name: str, data: bytes) -> None:
        obstore.put(self._store, name, data)

    def read_model[M: BaseModel](self, name: str, model: type[M]) -> M:
        return model.model_validate_json(self.read_bytes(name))

    def write_model(self, name: str, value: BaseModel) -> None:
        self.write_bytes(name, value.model_dump_json(indent=2).encode())

    def names(self, prefix: str) -> Iterator[str]:
        for batch in obstore.list(self._store, prefix=prefix):
            for meta in batch:
                yield meta["path"]

    def delete(self, names: list[str]) -> None:
        if names:
            obstore.delete(self._store, names)


class RunState(_JsonObjects):
    """One run's record at `<store>.runs/<run_id>/`. Only plan and join commit to the repository; workers leave
    their forked sessions and results here."""

    def __init__(self, store_config: StoreConfig, run_id: str) -> None:
        assert RUN_ID.match(run_id), f"run id {run_id!r} was not validated"
        self.run_id = run_id
        super().__init__(store_config.sibling_url(f".runs/{run_id}"))


class RunPointer(FrozenBaseModel):
    run_id: str


class RunIndex(_JsonObjects):
    """`<store>.runs/requests/<identity>.json`: the latest run of each request."""

    def __init__(self, store_config: StoreConfig) -> None:
        super().__init__(store_config.sibling_url(".runs/requests"))

    def latest(self, request: RunRequest) -> str | None:
        name = f"{request.identity}.json"
        return self.read_model(name, RunPointer).run_id if self.exists(name) else None

    def remember(self, request: RunRequest, run_id: str) -> None:
        self.write_model(f"{request.identity}.json", RunPointer(run_id=run_id))
