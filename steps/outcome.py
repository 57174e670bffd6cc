"""What a run came to, as one line for a person (the Argo UI shows it as the workflow's output): published, nothing
new, or failed and why."""

import json
from typing import Literal

import pandas as pd

from datasets.common.config_models import FrozenBaseModel
from steps.context import StepContext
from steps.join import JoinSummary
from steps.run_state import JOIN

type Result = Literal["published", "nothing new", "failed", "succeeded"]
SUCCEEDED = "Succeeded"


class RunOutcome(FrozenBaseModel):
    result: Result
    detail: str

    @property
    def published(self) -> bool:
        return self.result == "published"

    def __str__(self) -> str:
        return f"{self.result}: {self.detail}"


def run_outcome(context: StepContext, *, run_id: str, status: str, failures: str = "") -> RunOutcome:
    """The outcome of the workflow that ran `run_id` and ended in `status` (Argo's workflow.status), with Argo's
    `workflow.failures` (a JSON list of the failed nodes) saying why it failed."""
    if status != SUCCEEDED:
        return RunOutcome(result="failed", detail=first_failure(failures) or f"the workflow ended {status}")
    state = context.run_state(run_id)
    if not state.exists(JOIN):
        return RunOutcome(result="succeeded", detail="no run was joined (a validation, or a step alone)")
    summary = state.read_model(JOIN, JoinSummary)
    if not summary.published:
        return RunOutcome(result="nothing new", detail=summary.message)
    failed = summary.source_files_failed
    return RunOutcome(
        result="published",
        detail=(
            f"{summary.operation} {run_id}: {summary.append_dim_extent} {context.append_dim} values published, "
            f"{summary.bytes_written / 1e9:,.2f} GB written"
            + (f", {failed} source files missing or unreadable" if failed else "")
        ),
    )


def first_failure(failures: str) -> str | None:
    """The earliest failed node that says why, as `name: message`."""
    try:
        nodes = json.loads(failures) if failures.strip() else []
    except json.JSONDecodeError:
        return failures.strip()
    explained = [node for node in nodes or [] if isinstance(node, dict) and node.get("message")]
    if not explained:
        return None
    node = min(explained, key=lambda n: pd.Timestamp(n.get("finishedAt") or "2262-01-01T00:00:00Z"))
    return f"{node.get('displayName') or node.get('templateName') or 'a step'}: {node['message']}"
