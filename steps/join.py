import pickle
from collections.abc import Iterator
from itertools import batched
from typing import Any

import icechunk
import numpy as np
import xarray as xr

from datasets.common.config_models import FrozenBaseModel
from datasets.common.results import VariableResult, merge_results
from steps.context import StepContext, check_same_jobs, planned_template
from steps.errors import RunStateError, SourceUnavailableError
from steps.events import log_event, result_counts
from steps.metadata import check_no_shrink, open_published, published_extent, write_metadata
from steps.run_state import JOIN, PLAN, PUBLISHED, PlanRecord, RunState
from steps.targets import PRIMARY, publish_icechunk, replica_store
from steps.write import JOBS_PREFIX, JobResult, job_fork_name, job_result_name

# Job results and forks a join holds at once: read together, then merged.
JOIN_BATCH = 1000


class PublishRecord(FrozenBaseModel):
    snapshot: str | None
    message: str


class JoinSummary(FrozenBaseModel):
    run_id: str
    operation: str
    published: bool
    snapshot: str | None
    message: str
    append_dim_extent: int
    variables: dict[str, VariableResult]
    bytes_written: int = 0

    @property
    def source_files_failed(self) -> int:
        return sum(len(r.not_found) + len(r.read_failed) for r in self.variables.values())


def join(context: StepContext, *, run_id: str) -> JoinSummary:
    """Merge the workers' sessions, write final metadata, publish atomically to main, clean up.

    Safe to re-run after a crash at any point: each stage is recorded before the next begins.
    """
    state = context.run_state(run_id)
    if state.exists(JOIN):
        return state.read_model(JOIN, JoinSummary)
    if not state.exists(PLAN):
        raise RunStateError(f"run {run_id!r} has no plan at {context.store.url}")
    record = state.read_model(PLAN, PlanRecord)
    results, bytes_written = _job_results(state, record)
    repo = context.repository()

    if state.exists(PUBLISHED):
        outcome = state.read_model(PUBLISHED, PublishRecord)
    else:
        check_same_jobs(context, record)
        outcome = _merge_and_publish(context, state, record, results)
        state.write_model(PUBLISHED, outcome)

    for target_repo in [repo, *(context.repository(r.config) for r in record.replicas if r.plan_snapshot)]:
        if record.temp_branch in target_repo.list_branches():
            target_repo.delete_branch(record.temp_branch)
    state.delete([name for name in state.names("jobs/") if name.endswith(".fork")])

    summary = JoinSummary(
        run_id=run_id,
        operation=record.operation,
        published=outcome.snapshot is not None,
        snapshot=outcome.snapshot,
        message=outcome.message,
        append_dim_extent=published_extent(repo.readonly_session("main").store, context.append_dim),
        variables=results,
        bytes_written=bytes_written,
    )
    state.write_model(JOIN, summary)
    log_event(
        "join",
        run_id=run_id,
        operation=record.operation,
        published=summary.published,
        snapshot=summary.snapshot,
        append_dim_extent=summary.append_dim_extent,
        bytes_written=summary.bytes_written,
        **result_counts(results),
    )
    return summary


def _job_results(state: RunState, record: PlanRecord) -> tuple[dict[str, VariableResult], int]:
    """Every job's result merged, and the bytes they wrote; read in batches so a long run's never pile up."""
    keys = record.job_keys
    recorded = set(state.names(JOBS_PREFIX))
    missing = [key for key in keys if job_result_name(key) not in recorded]
    if missing:
        raise RunStateError(
            f"{len(missing)} of {len(keys)} jobs of run {record.run_id!r} have no result "
            f"(first: {missing[0]}): re-run their write workers, then join"
        )
    results: dict[str, VariableResult] = {}
    bytes_written = 0
    for batch in batched(keys, JOIN_BATCH, strict=False):
        jobs = [JobResult.model_validate_json(data) for data in state.read_many([job_result_name(k) for k in batch])]
        results = merge_results([results, *(job.variables for job in jobs)])
        bytes_written += sum(job.bytes_written for job in jobs)
    return results, bytes_written


def _merge_and_publish(
    context: StepContext, state: RunState, record: PlanRecord, results: dict[str, VariableResult]
) -> PublishRecord:
    """Decide what to publish, then publish it: replicas first, the primary last."""
    repo = context.repository()
    published = open_published(repo.readonly_session(snapshot_id=record.base_snapshot).store)
    if not any(r.succeeded for r in results.values()):
        failed = sum(len(r.not_found) + len(r.read_failed) for r in results.values())
        raise SourceUnavailableError(
            f"no source file could be read ({failed} failed, e.g. {_first_failure(results)}): the source may be "
            "down or --source-url wrong; nothing was published"
        )
    final = final_template(context, record, results, published)
    check_no_shrink(published, final, context.append_dim)
    if (
        record.operation == "update"
        and published is not None
        and _same_extent_and_coords(published, final, context.append_dim)
    ):
        return PublishRecord(snapshot=None, message="nothing new in the source: nothing published")

    message = f"{record.operation} {record.run_id}"
    for replica in record.replicas:
        done = f"published-{replica.name}.json"
        if state.exists(done):
            continue
        if replica.base_snapshot is None or replica.plan_snapshot is None:
            write_metadata(final, replica_store(replica))
            snapshot = None
        else:
            snapshot = publish_icechunk(
                context.repository(replica.config),
                branch=record.temp_branch,
                base_snapshot=replica.base_snapshot,
                plan_snapshot=replica.plan_snapshot,
                forks=lambda name=replica.name: _forks(state, record, name),
                final=final,
                message=message,
            )
        state.write_model(done, PublishRecord(snapshot=snapshot, message=f"published {replica.config.url}"))
    joined = publish_icechunk(
        repo,
        branch=record.temp_branch,
        base_snapshot=record.base_snapshot,
        plan_snapshot=record.plan_snapshot,
        forks=lambda: _forks(state, record, PRIMARY),
        final=final,
        message=message,
    )
    return PublishRecord(snapshot=joined, message=f"published {message}")


def _forks(state: RunState, record: PlanRecord, target: str) -> Iterator[list[icechunk.ForkSession]]:
    for batch in batched(record.job_keys, JOIN_BATCH, strict=False):
        yield [pickle.loads(data) for data in state.read_many([job_fork_name(key, target) for key in batch])]


def _first_failure(results: dict[str, VariableResult]) -> str:
    return min((f for r in results.values() for f in (*r.not_found, *r.read_failed)), default="none")


def final_template(
    context: StepContext, record: PlanRecord, results: dict[str, VariableResult], published: xr.Dataset | None
) -> xr.Dataset:
    append_dim = context.append_dim
    template = planned_template(context, record)
    region_job_class = context.dataset.region_job_class
    with_results = region_job_class.update_template_with_results(template, results, append_dim)
    final = with_results if record.operation == "update" else template

    processed = np.zeros(final.sizes[append_dim], dtype=bool)
    for region, _ in record.jobs:
        processed[region.start : min(region.stop, final.sizes[append_dim])] = True
    for name in _append_dim_coords(final, append_dim):
        values = final[name].values.copy()
        if record.operation == "backfill" and name in with_results.coords:
            overlap = min(with_results.sizes[append_dim], len(values))
            values[:overlap][processed[:overlap]] = with_results[name].values[:overlap][processed[:overlap]]
        if published is not None and name in published.coords:
            overlap = min(published.sizes[append_dim], len(values))
            keep = ~processed[:overlap]
            values[:overlap][keep] = published[name].values[:overlap][keep]
        final[name] = final[name].copy(data=values)
    return final


def _append_dim_coords(ds: xr.Dataset, append_dim: str) -> list[Any]:
    return [name for name in ds.coords if name != append_dim and append_dim in ds[name].dims]


def _same_extent_and_coords(published: xr.Dataset, final: xr.Dataset, append_dim: str) -> bool:
    if published.sizes[append_dim] != final.sizes[append_dim]:
        return False
    return all(
        np.array_equal(published[name].values, final[name].values, equal_nan=True)
        for name in _append_dim_coords(final, append_dim)
        if name in published.coords
    )
