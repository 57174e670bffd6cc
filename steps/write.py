import pickle
from collections.abc import Callable
from typing import Any

from datasets.common.config_models import FrozenBaseModel
from datasets.common.region_job import ProgressCallback
from datasets.common.results import VariableResult, merge_results
from datasets.common.storage import open_repository
from steps.context import StepContext, planned_jobs, planned_template
from steps.errors import RunStateError, SourceUnavailableError
from steps.metadata import render_metadata
from steps.plan import PLAN
from steps.run_state import PlanRecord
from steps.targets import PRIMARY, MetadataOverlayStore, replica_store

JOBS_PREFIX = "jobs/"
# Environment for a process that runs `write`: glibc would otherwise mmap (and page-fault) every fresh
# decode or chunk buffer; see DESIGN.md "Performance facts".
WRITE_ENV = {"MALLOC_MMAP_THRESHOLD_": "67108864", "MALLOC_TRIM_THRESHOLD_": "268435456"}


class JobResult(FrozenBaseModel):
    key: str
    variables: dict[str, VariableResult]


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


def write(
    context: StepContext,
    *,
    run_id: str,
    worker_index: int,
    workers_total: int,
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
    sessions = {PRIMARY: context.repository().writable_session(record.temp_branch)}
    plain_replicas = []
    for replica in record.replicas:
        if replica.plan_snapshot is None:
            plain_replicas.append(replica_store(replica))
        else:
            sessions[replica.name] = open_repository(replica.config, create=False).writable_session(record.temp_branch)
    planned = {PRIMARY: record.plan_snapshot} | {r.name: r.plan_snapshot for r in record.replicas}
    for name, session in sessions.items():
        if session.snapshot_id != planned[name]:
            raise RunStateError(f"run {run_id!r} was already joined: the {name} temp branch moved past the plan")
    if plain_replicas:
        metadata = render_metadata(planned_template(context, record))
        plain_replicas = [MetadataOverlayStore(store, metadata) for store in plain_replicas]

    processed = skipped = 0
    results: list[dict[str, VariableResult]] = []
    for job in planned_jobs(context, record, worker_index, workers_total):
        if state.exists(job_result_name(job.key)):
            results.append(state.read_model(job_result_name(job.key), JobResult).variables)
            skipped += 1
            progress("regions", 1)
            continue
        forks = {name: session.fork() for name, session in sessions.items()}
        try:
            variables = job.process([*(fork.store for fork in forks.values()), *plain_replicas], progress)
        except SourceUnavailableError as e:
            raise SourceUnavailableError(
                f"source unavailable: {e}; nothing was published (run again with --run-id {run_id} to resume)"
            ) from e
        for name, fork in forks.items():
            state.write_bytes(job_fork_name(job.key, name), pickle.dumps(fork))
        state.write_model(job_result_name(job.key), JobResult(key=job.key, variables=variables))
        results.append(variables)
        processed += 1
        progress("regions", 1)
        after_job(job.key)

    return WriteSummary(
        run_id=run_id,
        worker_index=worker_index,
        workers_total=workers_total,
        jobs_processed=processed,
        jobs_skipped=skipped,
        variables=merge_results(results),
    )
