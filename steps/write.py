import pickle
import time
from collections.abc import Callable
from typing import Any

import icechunk
import xarray as xr
from zarr.abc.store import Store

from datasets.common.config_models import FrozenBaseModel
from datasets.common.errors import UserInputError
from datasets.common.region_job import ProgressCallback
from datasets.common.results import VariableResult, merge_results
from steps.context import StepContext, check_same_jobs, planned_jobs, planned_template
from steps.errors import RunStateError, SourceUnavailableError
from steps.events import log_event, result_counts
from steps.metadata import render_metadata
from steps.run_state import PLAN, PlanRecord
from steps.targets import PRIMARY, MetadataOverlayStore, replica_store

JOBS_PREFIX = "jobs/"
# Environment for a process that runs `write`: glibc would otherwise mmap (and page-fault) every fresh
# decode or chunk buffer; see DESIGN.md "Performance facts".
WRITE_ENV = {"MALLOC_MMAP_THRESHOLD_": "67108864", "MALLOC_TRIM_THRESHOLD_": "268435456"}


class JobResult(FrozenBaseModel):
    key: str
    variables: dict[str, VariableResult]
    bytes_written: int = 0  # uncompressed, summed over the job's variables


class WriteSummary(FrozenBaseModel):
    run_id: str
    worker_index: int
    workers_total: int
    jobs_processed: int
    jobs_skipped: int
    variables: dict[str, VariableResult]


def job_result_name(key: str) -> str:
    return f"{JOBS_PREFIX}{key}.json"


def job_fork_name(key: str, target: str = PRIMARY) -> str:
    return f"{JOBS_PREFIX}{key}.{target}.fork"


def _no_progress(kind: str, amount: float) -> None:
    pass


def _open_targets(
    context: StepContext, record: PlanRecord, template: xr.Dataset
) -> tuple[dict[str, icechunk.Session], list[Store]]:
    """Writable sessions on the run's temp branch of the primary and each Icechunk replica, and the plain Zarr
    replicas behind the planned metadata."""
    sessions = {PRIMARY: context.repository().writable_session(record.temp_branch)}
    plain_replicas: list[Store] = []
    for replica in record.replicas:
        if replica.plan_snapshot is None:
            plain_replicas.append(replica_store(replica))
        else:
            sessions[replica.name] = context.repository(replica.config).writable_session(record.temp_branch)
    planned = {PRIMARY: record.plan_snapshot} | {r.name: r.plan_snapshot for r in record.replicas}
    for name, session in sessions.items():
        if session.snapshot_id != planned[name]:
            raise RunStateError(f"run {record.run_id!r} was already joined: the {name} temp branch moved past the plan")
    if plain_replicas:
        metadata = render_metadata(template)
        plain_replicas = [MetadataOverlayStore(store, metadata) for store in plain_replicas]
    return sessions, plain_replicas


class _CountingBytes:
    def __init__(self, progress: ProgressCallback) -> None:
        self.progress = progress
        self.bytes_written = 0

    def __call__(self, kind: str, amount: float) -> None:
        if kind == "bytes_written":
            self.bytes_written += int(amount)
        self.progress(kind, amount)


def write(
    context: StepContext,
    *,
    run_id: str,
    worker_index: int,
    progress: ProgressCallback = _no_progress,
    after_job: Callable[[str], Any] = lambda key: None,
) -> WriteSummary:
    """Process this worker's share of the plan's jobs; each job's shards land in its own forked session.

    A job whose result is already recorded is skipped, so a retried worker resumes where it stopped.
    """
    state = context.run_state(run_id)
    if not state.exists(PLAN):
        raise RunStateError(f"run {run_id!r} has no plan at {context.store.url}: run `step plan` first")
    record = state.read_model(PLAN, PlanRecord)
    if not 0 <= worker_index < record.workers_total:
        raise UserInputError(f"worker index {worker_index} is not below the run's {record.workers_total} workers")
    check_same_jobs(context, record)
    template = planned_template(context, record)
    jobs = planned_jobs(context, record, template, worker_index, record.workers_total)
    done = {name.removeprefix(JOBS_PREFIX).removesuffix(".json") for name in state.names(JOBS_PREFIX)}
    if all(job.key in done for job in jobs):
        sessions, plain_replicas = {}, []  # nothing left to write (the run may even be joined already)
    else:
        sessions, plain_replicas = _open_targets(context, record, template)

    processed = skipped = 0
    results: list[dict[str, VariableResult]] = []
    progress("jobs_total", len(jobs))
    for job in jobs:
        started = time.monotonic()
        if job.key in done:
            variables = state.read_model(job_result_name(job.key), JobResult).variables
            results.append(variables)
            skipped += 1
            progress("jobs", 1)
            log_event(
                "job", run_id=run_id, job=job.key, worker=worker_index, outcome="skipped", **result_counts(variables)
            )
            continue
        forks = {name: session.fork() for name, session in sessions.items()}
        counting = _CountingBytes(progress)
        try:
            variables = job.process([*(fork.store for fork in forks.values()), *plain_replicas], counting)
        except SourceUnavailableError as e:
            raise SourceUnavailableError(
                f"source unavailable: {e}; nothing was published (run the same command again to resume run {run_id})"
            ) from e
        for name, fork in forks.items():
            state.write_bytes(job_fork_name(job.key, name), pickle.dumps(fork))
        result = JobResult(key=job.key, variables=variables, bytes_written=counting.bytes_written)
        state.write_model(job_result_name(job.key), result)
        results.append(variables)
        processed += 1
        progress("jobs", 1)
        log_event(
            "job",
            run_id=run_id,
            job=job.key,
            worker=worker_index,
            outcome="processed",
            **result_counts(variables),
            bytes_written=counting.bytes_written,
            retries=sum(variables[group[0].name].retries for group in job.source_groups(job.data_vars)),
            seconds=round(time.monotonic() - started, 3),
        )
        after_job(job.key)

    return WriteSummary(
        run_id=run_id,
        worker_index=worker_index,
        workers_total=record.workers_total,
        jobs_processed=processed,
        jobs_skipped=skipped,
        variables=merge_results(results),
    )
