"""The low-latency update of a virtual dataset: one process polls the archive until its deadline and commits each
newly published file's references to `main` as soon as the file's `.idx` is there.

Each commit holds whole files (every variable's reference from one `.idx`) together with the metadata that exposes
them, so a reader of `main` sees a file entirely or not at all. A commit is Icechunk's optimistic commit on `main`:
if another run published in between, the commit fails, the poll re-reads `main` and tries again.
"""

import asyncio
import time
from collections.abc import Callable, Sequence
from typing import Any

import icechunk
import numpy as np
import pandas as pd
import xarray as xr

from datasets.common.config_models import FrozenBaseModel
from datasets.common.errors import UserInputError
from datasets.common.results import SourceFileStatus, VariableResult, merge_results
from datasets.common.timestamps import timestamp, utc_now
from datasets.common.virtual.references import MessageReference, Outcome, chunk_index
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
    done: set[tuple[pd.Timestamp, pd.Timedelta]] = set()
    results: list[dict[str, VariableResult]] = []
    files = commits = 0
    first_poll = True
    while True:
        watched = _watched_jobs(context, repo, now if now is not None else utc_now())
        if first_poll:
            done |= _already_referenced(repo, watched)
            first_poll = False
        pending = [c for job in watched for c in _pending(job, done, virtual.probe_window)]
        if pending:
            job = watched[0]  # every watched job reads the same variables from the same source
            found = job.find_references(pending)
            ready = [(c, o) for c, o in zip(pending, found, strict=True) if _is_ready(o)]
            if ready:
                snapshot, committed = _commit(context, repo, job, ready)
                results.append(committed)
                files += len(ready)
                commits += 1
                done.update((c.init_time, c.lead_time) for c, _ in ready)
                on_commit(snapshot)
        remaining = [c for job in watched for c in _pending(job, done, None)]
        if not remaining or time.monotonic() + interval > deadline:
            break
        time.sleep(interval)
    extent = _extent(repo, context.append_dim)
    state = "every watched file referenced" if not remaining else f"deadline reached, {len(remaining)} files pending"
    return VirtualUpdateSummary(
        files_committed=files,
        commits=commits,
        complete=not remaining,
        append_dim_extent=extent,
        variables=merge_results(results),
        message=f"committed {files} files in {commits} commits; {state}",
    )


def _watched_jobs(context: StepContext, repo: icechunk.Repository, now: pd.Timestamp) -> list[NoaaVirtualRegionJob]:
    """One job per init still arriving: from the newest published one (or `update_lookback` ago) up to now."""
    config = context.dataset.template_config
    virtual = context.dataset.virtual
    assert virtual is not None
    published = open_published(repo.readonly_session("main").store)
    first = max(config.append_dim_start, (now - virtual.update_lookback).floor(config.append_dim_frequency))
    if published is not None:
        first = min(first, timestamp(published[config.append_dim].values[-1]))
    template = config.get_template(now.floor(config.append_dim_frequency) + config.append_dim_frequency)
    jobs = context.dataset.region_job_class.get_jobs(
        template, config.append_dim, config.data_vars, filter_start=first, source_url=context.source_url
    )
    assert all(isinstance(job, NoaaVirtualRegionJob) for job in jobs), "a virtual dataset's jobs write references"
    return jobs


def _coords(job: NoaaVirtualRegionJob) -> list[Any]:
    processing_ds = job.template_ds.isel({job.append_dim: job.region})
    return list(job.generate_source_file_coords(processing_ds, job.data_vars))


def _pending(job: NoaaVirtualRegionJob, done: set[tuple[pd.Timestamp, pd.Timedelta]], limit: int | None) -> list[Any]:
    """The job's files not yet referenced, in lead-time order; at most `limit` per init."""
    by_init: dict[pd.Timestamp, list[Any]] = {}
    for coord in _coords(job):
        if (coord.init_time, coord.lead_time) not in done:
            by_init.setdefault(coord.init_time, []).append(coord)
    return [c for coords in by_init.values() for c in coords[:limit]]


def _already_referenced(
    repo: icechunk.Repository, jobs: Sequence[NoaaVirtualRegionJob]
) -> set[tuple[pd.Timestamp, pd.Timedelta]]:
    """Files of the watched inits that `main` already references (any of their variables has a chunk)."""
    store = repo.readonly_session("main").store
    published = open_published(store)
    if published is None:
        return set()
    keys: dict[str, tuple[pd.Timestamp, pd.Timedelta]] = {}
    for job in jobs:
        for coord in _coords(job):
            loc = coord.out_loc()
            if any(loc[dim] not in published.get_index(dim) for dim in loc):
                continue
            for var in job.data_vars:
                index = chunk_index(published, [str(d) for d in published[var.name].dims], loc)
                keys[f"{var.name}/c/{'/'.join(map(str, index))}"] = (coord.init_time, coord.lead_time)

    async def exists() -> list[bool]:
        return list(await asyncio.gather(*(store.exists(key) for key in keys)))

    return {file for file, found in zip(keys.values(), asyncio.run(exists()), strict=True) if found}


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


def _extent(repo: icechunk.Repository, append_dim: str) -> int:
    published = open_published(repo.readonly_session("main").store)
    return 0 if published is None else published.sizes[append_dim]
