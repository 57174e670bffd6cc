from typing import Any

import pandas as pd
import xarray as xr

from datasets.common.errors import UserInputError
from datasets.common.region_job import split_variables
from datasets.common.timestamps import timestamp, utc_now
from steps.context import StepContext, end_of, jobs_for, temp_branch_name
from steps.metadata import attributes_differ, check_no_structural_drift, open_published
from steps.run_state import Filters, Operation, PlanRecord
from steps.targets import ReplicaPlan, prepare_icechunk

PLAN = "plan.json"


def plan(
    context: StepContext,
    *,
    operation: Operation,
    run_id: str,
    append_dim_end: pd.Timestamp | None = None,
    filters: Filters | None = None,
    workers_total: int = 1,
    overwrite_chunks: bool = False,
    overwrite_metadata: bool = False,
    now: pd.Timestamp | None = None,
) -> PlanRecord:
    """Compute the run's jobs and prepare a temp branch from main holding the expanded metadata.

    Re-running plan for the same run id returns the existing plan.
    """
    filters = filters or Filters()
    state = context.run_state(run_id)
    if state.exists(PLAN):
        return state.read_model(PLAN, PlanRecord)

    repo = context.repository(create=True)
    base_snapshot = repo.lookup_branch("main")
    published = open_published(repo.readonly_session(snapshot_id=base_snapshot).store)
    config = context.dataset.template_config
    append_dim = config.append_dim

    match operation:
        case "backfill":
            if append_dim_end is None:
                raise UserInputError("a backfill needs an append-dim end")
            template = config.get_template(append_dim_end)
            if published is not None and published.sizes[append_dim] > template.sizes[append_dim]:
                template = config.get_template(end_of(published, append_dim, config.append_dim_frequency))
            jobs = jobs_for(context, template, filters)
            if published is not None:
                _guard_backfill(context, published, template, jobs, overwrite_chunks, overwrite_metadata)
        case "update":
            if published is None:
                raise UserInputError(f"nothing is published at {context.store.url} yet: run a backfill first")
            jobs, template = context.dataset.region_job_class.operational_update_jobs(
                published,
                config.get_template,
                append_dim,
                config.data_vars,
                now or utc_now(),
                source_url=context.source_url,
            )
            check_no_structural_drift(published, template, append_dim)
            if template.sizes[append_dim] < published.sizes[append_dim]:
                raise UserInputError("refusing: the update's template is shorter than the published dataset")
            filters = Filters()
    if not jobs:
        raise UserInputError("no jobs: the filters select nothing")
    variable_parts = -(-workers_total // len(jobs)) if len(jobs) < workers_total else 1
    jobs = split_variables(jobs, variable_parts)

    branch = temp_branch_name(run_id)
    message = f"plan {operation} {run_id}"
    _, plan_snapshot = prepare_icechunk(context.store, branch, template, message, base_snapshot)
    replicas = []
    for index, replica in enumerate(context.replicas):
        name = f"replica-{index}"
        if replica.format == "icechunk":
            replica_base, replica_plan = prepare_icechunk(replica, branch, template, message)
            replicas.append(
                ReplicaPlan(name=name, config=replica, base_snapshot=replica_base, plan_snapshot=replica_plan)
            )
        else:
            replicas.append(ReplicaPlan(name=name, config=replica))

    record = PlanRecord(
        run_id=run_id,
        operation=operation,
        dataset_id=context.dataset.dataset_id,
        template_end=end_of(template, append_dim, config.append_dim_frequency).isoformat(),
        filters=filters,
        source_url=context.source_url,
        workers_total=max(1, min(workers_total, len(jobs))),
        job_keys=tuple(job.key for job in jobs),
        temp_branch=branch,
        base_snapshot=base_snapshot,
        plan_snapshot=plan_snapshot,
        published_extent=0 if published is None else published.sizes[append_dim],
        replicas=tuple(replicas),
        variable_parts=variable_parts,
    )
    state.write_model(PLAN, record)
    return record


def _guard_backfill(
    context: StepContext,
    published: xr.Dataset,
    template: xr.Dataset,
    jobs: list[Any],
    overwrite_chunks: bool,
    overwrite_metadata: bool,
) -> None:
    append_dim = context.append_dim
    check_no_structural_drift(published, template, append_dim)
    published_extent = published.sizes[append_dim]
    overlapping = [job for job in jobs if job.region.start < published_extent]
    if overlapping and not overwrite_chunks:
        first = timestamp(template[append_dim].values[overlapping[0].region.start])
        raise UserInputError(
            f"refusing: {len(overlapping)} jobs rewrite published data (from {first.isoformat()}); "
            "pass --overwrite-chunks to allow it"
        )
    differing = attributes_differ(published, template)
    if differing and not overwrite_metadata:
        raise UserInputError(
            f"refusing: metadata differs from the published dataset ({', '.join(differing[:5])}); "
            "pass --overwrite-metadata to allow it"
        )
