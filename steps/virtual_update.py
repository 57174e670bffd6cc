"""The low-latency update of a virtual dataset: one process polls the archive until its deadline and commits each
newly published file's references to `main` as soon as the file's `.idx` is there.

Each commit holds whole files (every variable's reference from one `.idx`) together with the metadata that exposes
them, so a reader of `main` sees a file entirely or not at all. A commit is Icechunk's optimistic commit on `main`:
if another run published in between, the commit fails, the poll re-reads `main` and tries again.
"""

import asyncio
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any, cast

import icechunk
import numpy as np
import pandas as pd
import xarray as xr
import zarr

from datasets.common.config_models import FrozenBaseModel
from datasets.common.errors import UserInputError
from datasets.common.results import SourceFileStatus, VariableResult, merge_results
from datasets.common.timestamps import timestamp, utc_now
from datasets.common.virtual.references import MessageReference, Outcome, chunk_index
from datasets.noaa.noaa_region_job import needs_message
from datasets.noaa.noaa_virtual_region_job import NoaaVirtualRegionJob
from steps.context import StepContext
from steps.metadata import check_no_structural_drift, open_published, write_metadata

COMMIT_ATTEMPTS = 5
INGESTED = "ingested_forecast_length"


class VirtualUpdateSummary(FrozenBaseModel):
    files_committed: int
    commits: int
    complete: bool  # every file of the watched inits is referenced (else the deadline came first)
    append_dim_extent: int
    variables: dict[str, VariableResult]
    message: str


type File = tuple[Any, dict[str, Outcome]]  # a source file coordinate and each variable's outcome


def virtual_update(
    context: StepContext,
    *,
    deadline_seconds: float,
    now: pd.Timestamp | None = None,
    poll_seconds: float | None = None,
    on_commit: Callable[[str], Any] = lambda snapshot: None,
) -> VirtualUpdateSummary:
    """Poll until every file of the watched inits is referenced or the deadline passes.

    `now` fixes which inits are watched (default: the clock at each poll). Safe to kill at any point and run again:
    what was committed stays, and the next run finds it on `main`.
    """
    virtual = context.dataset.virtual
    if virtual is None:
        raise UserInputError(f"{context.dataset.dataset_id} is not a virtual dataset: use the plan/write/join update")
    deadline = time.monotonic() + deadline_seconds
    interval = poll_seconds if poll_seconds is not None else virtual.poll_seconds
    repo = context.repository(create=True)
    results: list[dict[str, VariableResult]] = []
    files = commits = 0
    watch: Watch | None = None
    while True:
        current = timestamp(
            (now if now is not None else utc_now()).floor(context.dataset.template_config.append_dim_frequency)
        )
        if watch is None or watch.current != current:
            watch = Watch(context, repo, current)
        probes = watch.probes(virtual.probe_window)
        if probes:
            found = watch.job.find_references(probes)
            ready = [(c, o) for c, o in zip(probes, found, strict=True) if _is_ready(o)]
            if ready:
                snapshot, committed = _commit(context, repo, watch.job, ready)
                results.append(committed)
                files += len(ready)
                commits += 1
                watch.referenced(c for c, _ in ready)
                on_commit(snapshot)
        if not watch.remaining or time.monotonic() + interval > deadline:
            break
        time.sleep(interval)
    state = (
        "every watched file referenced" if not watch.remaining else f"deadline reached, {watch.remaining} files pending"
    )
    return VirtualUpdateSummary(
        files_committed=files,
        commits=commits,
        complete=not watch.remaining,
        append_dim_extent=_extent(repo, context.append_dim),
        variables=merge_results(results),
        message=f"committed {files} files in {commits} commits; {state}",
    )


class Watch:
    """The files still expected for the inits arriving now: from the newest published init (or `update_lookback`
    ago) up to `current`, less those `main` already references."""

    def __init__(self, context: StepContext, repo: icechunk.Repository, current: pd.Timestamp) -> None:
        config = context.dataset.template_config
        virtual = context.dataset.virtual
        assert virtual is not None
        self.current = current
        store = repo.readonly_session("main").store
        published = open_published(store)
        first = max(
            config.append_dim_start, timestamp((current - virtual.update_lookback).floor(config.append_dim_frequency))
        )
        if published is not None:
            first = min(first, timestamp(published[config.append_dim].values[-1]))
        template = config.get_template(current + config.append_dim_frequency)
        jobs = context.dataset.region_job_class.get_jobs(
            template, config.append_dim, config.data_vars, filter_start=first, source_url=context.source_url
        )
        assert jobs, f"no init to watch up to {current}"
        assert all(isinstance(job, NoaaVirtualRegionJob) for job in jobs), "a virtual dataset's jobs write references"
        self.job = cast("NoaaVirtualRegionJob[Any]", jobs[0])  # every watched job reads the same variables
        self.pending: dict[pd.Timestamp, list[Any]] = {}
        for job in jobs:
            processing_ds = job.template_ds.isel({job.append_dim: job.region})
            for coord in job.generate_source_file_coords(processing_ds, job.data_vars):
                self.pending.setdefault(coord.init_time, []).append(coord)
        if published is not None:
            self.referenced(_already_referenced(store, published, self.job, self.pending))

    @property
    def remaining(self) -> int:
        return sum(len(coords) for coords in self.pending.values())

    def probes(self, window: int) -> list[Any]:
        """The first `window` pending files of each init, in lead-time order."""
        return [coord for coords in self.pending.values() for coord in coords[:window]]

    def referenced(self, coords: Iterable[Any]) -> None:
        done = {(c.init_time, c.lead_time) for c in coords}
        for init, pending in self.pending.items():
            self.pending[init] = [c for c in pending if (c.init_time, c.lead_time) not in done]


def _already_referenced(
    store: Any, published: xr.Dataset, job: NoaaVirtualRegionJob, pending: dict[pd.Timestamp, list[Any]]
) -> list[Any]:
    """Files `main` already references. A commit holds whole files, so one variable with a message tells."""
    keys: dict[str, Any] = {}
    for coords in pending.values():
        for coord in coords:
            loc = coord.out_loc()
            if any(loc[dim] not in published.get_index(dim) for dim in loc):
                continue
            var = next((v for v in job.data_vars if needs_message(v.internal_attrs, coord.lead_time)), None)
            if var is not None:
                index = chunk_index(published, [str(d) for d in published[var.name].dims], loc)
                keys[f"{var.name}/c/{'/'.join(map(str, index))}"] = coord

    async def exists() -> list[bool]:
        return list(await asyncio.gather(*(store.exists(key) for key in keys)))

    return [coord for coord, found in zip(keys.values(), asyncio.run(exists()), strict=True) if found]


def _is_ready(outcomes: dict[str, Outcome]) -> bool:
    """A file is ready once its `.idx` and object are there: not every variable is simply not found."""
    return any(not (isinstance(o, tuple) and o[0] == SourceFileStatus.not_found) for o in outcomes.values())


def _commit(
    context: StepContext, repo: icechunk.Repository, job: NoaaVirtualRegionJob, ready: Sequence[File]
) -> tuple[str, dict[str, VariableResult]]:
    config = context.dataset.template_config
    append_dim = config.append_dim
    ingested: dict[pd.Timestamp, pd.Timedelta] = {}
    for coord, outcomes in ready:
        if any(isinstance(o, MessageReference) for o in outcomes.values()):
            ingested[coord.init_time] = max(ingested.get(coord.init_time, coord.lead_time), coord.lead_time)
    for _ in range(COMMIT_ATTEMPTS):
        session = repo.writable_session("main")
        published = open_published(session.store)
        final = _final_template(config, published, ingested)
        if published is not None and published.sizes[append_dim] == final.sizes[append_dim]:
            _write_ingested(final, session.store)  # same extent: only the ingested lengths change
        else:
            if published is not None:
                check_no_structural_drift(published, final, append_dim)
            write_metadata(final, session.store)
        writer = job.model_copy(update={"template_ds": final})
        results = writer.write_references([session.store], [c for c, _ in ready], [o for _, o in ready])
        try:
            snapshot = session.commit(
                f"virtual update: {len(ready)} files", metadata={"stage": "virtual-update", "files": len(ready)}
            )
        except icechunk.ConflictError:
            continue
        return snapshot, results
    raise icechunk.ConflictError(f"main kept moving: {COMMIT_ATTEMPTS} commits of {len(ready)} files conflicted")


def _final_template(
    config: Any, published: xr.Dataset | None, ingested: dict[pd.Timestamp, pd.Timedelta]
) -> xr.Dataset:
    """The template up to the newest init with data, keeping the published ingested lengths and raising them to
    what this commit adds."""
    append_dim = config.append_dim
    ends = [max(ingested) + config.append_dim_frequency] if ingested else []
    if published is not None:
        ends.append(timestamp(published[append_dim].values[-1]) + config.append_dim_frequency)
    final = config.get_template(max(ends))
    values = final[INGESTED].values.copy()
    if published is not None:
        values[: published.sizes[append_dim]] = published[INGESTED].values
    index = final.get_index(append_dim)
    for init, lead in ingested.items():
        i = index.get_loc(init)
        values[i] = lead.to_timedelta64() if np.isnat(values[i]) else max(values[i], lead.to_timedelta64())
    return final.assign_coords({INGESTED: final[INGESTED].copy(data=values)})


def _write_ingested(final: xr.Dataset, store: Any) -> None:
    encoded = xr.conventions.encode_cf_variable(final[INGESTED].variable, name=INGESTED)
    zarr.open_array(store, path=INGESTED, mode="r+", zarr_format=3)[:] = encoded.values.astype(np.int64)


def _extent(repo: icechunk.Repository, append_dim: str) -> int:
    published = open_published(repo.readonly_session("main").store)
    return 0 if published is None else published.sizes[append_dim]
