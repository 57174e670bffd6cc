"""Running the same command again is resuming: which run a request without a run id belongs to."""

import secrets
from typing import Literal

from datasets.common.config_models import FrozenBaseModel
from datasets.common.timestamps import utc_now
from steps.context import StepContext
from steps.join import JoinSummary
from steps.run_request import RunRequest
from steps.run_state import JOIN, PLAN, PUBLISHED, PlanRecord, RunIndex
from steps.write import JOBS_PREFIX


class RunChoice(FrozenBaseModel):
    run_id: str
    status: Literal["new", "resume", "published"]
    message: str | None = None
    summary: JoinSummary | None = None  # of the run that already published the request


def new_run_id(operation: str) -> str:
    return f"{operation}-{utc_now():%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"


def choose_run(context: StepContext, request: RunRequest) -> RunChoice:
    """The request's own run id; else the unfinished run of the same request if it can still publish, or the
    backfill that already published it; else a new run."""
    if request.run_id is not None:
        return RunChoice(run_id=request.run_id, status="new")
    new = RunChoice(run_id=new_run_id(request.operation), status="new")
    previous = RunIndex(context.store).latest(context.resolve(request, new.run_id))
    if previous is None:
        return new
    state = context.run_state(previous)
    if state.exists(JOIN):
        summary = state.read_model(JOIN, JoinSummary)
        if request.operation == "backfill" and summary.published:
            return RunChoice(
                run_id=previous,
                status="published",
                message=f"already published by run {previous} (snapshot {summary.snapshot}): nothing to do",
                summary=summary,
            )
        return new
    if not state.exists(PLAN):
        return RunChoice(run_id=previous, status="resume", message=f"resuming run {previous} (it stopped in plan)")
    record = state.read_model(PLAN, PlanRecord)
    if not state.exists(PUBLISHED) and not _main_is_where_the_run_left_it(context, record):
        return new.model_copy(
            update={"message": f"run {previous} can no longer publish (main moved since its plan): starting a new run"}
        )
    done = sum(1 for name in state.names(JOBS_PREFIX) if name.endswith(".json"))
    return RunChoice(
        run_id=previous,
        status="resume",
        message=f"resuming run {previous}: {done} of {len(record.jobs)} jobs already done",
    )


def _main_is_where_the_run_left_it(context: StepContext, record: PlanRecord) -> bool:
    """Main still at the run's base (it may publish), or at the run's own joined commit (it did)."""
    repo = context.repository()
    main = repo.lookup_branch("main")
    return main == record.base_snapshot or (
        record.temp_branch in repo.list_branches() and repo.lookup_branch(record.temp_branch) == main
    )
