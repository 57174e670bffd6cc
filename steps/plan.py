from typing import Any

import pandas as pd
import xarray as xr

from datasets.common.errors import UserInputError
from datasets.common.timestamps import timestamp, utc_now
from steps.context import StepContext, compute_jobs, end_of, temp_branch_name
from steps.errors import RunStateError
from steps.events import log_event
from steps.metadata import attributes_differ, check_no_structural_drift, open_published
from steps.run_request import RunRequest
from steps.run_state import PLAN, PlannedJobs, PlanRecord, RunIndex
from steps.targets import ReplicaPlan, prepare_icechunk


def plan(context: StepContext, request: RunRequest, *, now: pd.Timestamp | None = None) -> PlanRecord:
    """Compute the run's jobs and prepare a temp branch from main holding the expanded metadata.

    Re-running plan for the same run id returns the existing plan.
    """
    config = context.dataset.template_config
    request.check(config.append_dim_start, {v.name for v in config.data_vars})
    if request.run_id is None:
        raise UserInputError("a plan needs a run id")
    resolved = context.resolve(request, request.run_id)
    state = context.run_state(request.run_id)
    if state.exists(PLAN):
        record = state.read_model(PLAN, PlanRecord)
        if record.request.identity != resolved.identity:
            raise RunStateError(f"run {request.run_id!r} was planned for another request: use another run id")
        return record
    RunIndex(context.store).remember(resolved, request.run_id)

    now = now or utc_now()
    repo = context.repository(create=True)
    base_snapshot = repo.lookup_branch("main")
    published = open_published(repo.readonly_session(snapshot_id=base_snapshot).store)
    append_dim = config.append_dim
    if request.operation == "update" and published is None:
        raise UserInputError(f"nothing is published at {context.store.url} yet: run a backfill first")
    jobs, template = compute_jobs(context, resolved, published, now)
    if published is not None and request.operation == "backfill":
        _guard_backfill(context, published, template, jobs, request)
    if published is not None and request.operation == "update":
        check_no_structural_drift(published, template, append_dim)
        if template.sizes[append_dim] < published.sizes[append_dim]:
            raise UserInputError("refusing: the update's template is shorter than the published dataset")
    if not jobs:
        raise UserInputError("no jobs: the filters select nothing")

    branch = temp_branch_name(request.run_id)
    message = f"plan {request.operation} {request.run_id}"
    _, plan_snapshot = prepare_icechunk(repo, branch, template, message, base_snapshot)
    replicas = []
    for index, replica in enumerate(context.replicas):
        name = f"replica-{index}"
        if replica.format == "icechunk":
            replica_base, replica_plan = prepare_icechunk(
                context.repository(replica, create=True), branch, template, message
            )
            replicas.append(
                ReplicaPlan(name=name, config=replica, base_snapshot=replica_base, plan_snapshot=replica_plan)
            )
        else:
            replicas.append(ReplicaPlan(name=name, config=replica))

    record = PlanRecord(
        run_id=request.run_id,
        dataset_id=context.dataset.dataset_id,
        request=resolved,
        identity=context.identity(),
        planned_at=now.isoformat(),
        template_end=end_of(template, append_dim, config.append_dim_frequency).isoformat(),
        workers_total=max(1, min(request.workers, len(jobs))),
        jobs=PlannedJobs.of(append_dim, jobs),
        temp_branch=branch,
        base_snapshot=base_snapshot,
        plan_snapshot=plan_snapshot,
        published_extent=0 if published is None else published.sizes[append_dim],
        replicas=tuple(replicas),
    )
    state.write_model(PLAN, record)
    log_event(
        "plan",
        run_id=record.run_id,
        operation=record.operation,
        jobs=len(record.jobs),
        workers=record.workers_total,
        template_end=record.template_end,
        published_extent=record.published_extent,
    )
    return record


def _guard_backfill(
    context: StepContext, published: xr.Dataset, template: xr.Dataset, jobs: list[Any], request: RunRequest
) -> None:
    append_dim = context.append_dim
    check_no_structural_drift(published, template, append_dim)
    published_extent = published.sizes[append_dim]
    overlapping = [job for job in jobs if job.region.start < published_extent]
    if overlapping and not request.overwrite_chunks:
        first = timestamp(template[append_dim].values[overlapping[0].region.start])
        raise UserInputError(
            f"refusing: {len(overlapping)} jobs rewrite published data (from {first.isoformat()}); "
            "pass --overwrite-chunks to allow it"
        )
    differing = attributes_differ(published, template)
    if differing and not request.overwrite_metadata:
        raise UserInputError(
            f"refusing: metadata differs from the published dataset ({', '.join(differing[:5])}); "
            "pass --overwrite-metadata to allow it"
        )
