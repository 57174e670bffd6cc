import json
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import BaseModel

from datasets.common.dynamical_dataset import DynamicalDataset
from pipelines.argo.progress import ProgressFile
from pipelines.local import run_local
from pipelines.request_cli import RunIdOption, StoreOption, request_command
from steps.context import StepContext
from steps.join import join
from steps.outcome import run_outcome
from steps.plan import plan
from steps.run_request import RunRequest
from steps.run_state import PlanRecord
from steps.write import write

OutputOption = Annotated[Path, typer.Option("--output", help="Where to write the step's JSON result.")]
VerboseOption = Annotated[bool, typer.Option("--verbose", help="List every source file that failed.")]
SummaryJsonOption = Annotated[
    Path | None, typer.Option("--json", help="Write the run's summary (every variable's failures) to this file.")
]
ValuesDirOption = Annotated[
    Path | None, typer.Option("--values-dir", help="Also write each figure to a file of this folder (Argo outputs).")
]


def write_json(path: Path, value: BaseModel | dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = value.model_dump_json(indent=2) if isinstance(value, BaseModel) else json.dumps(value, indent=2)
    path.write_text(text + "\n")


def plan_outputs(record: PlanRecord) -> dict[str, str]:
    """What the plan step outputs (Argo output parameters): a summary, and the number of write workers to fan out
    to (`withSequence`: a count, not a list, keeps the output and the workflow object small)."""
    summary = {
        "run_id": record.run_id,
        "operation": record.operation,
        "workers_total": record.workers_total,
        "jobs": len(record.jobs),
        "template_end": record.template_end,
    }
    return {"plan": json.dumps(summary, indent=2), "workers": str(record.workers_total)}


def _write_values(folder: Path | None, values: dict[str, Any]) -> None:
    if folder is None:
        return
    folder.mkdir(parents=True, exist_ok=True)
    for name, value in values.items():
        (folder / name).write_text(str(value))


def add_step_commands(app: typer.Typer, dataset: DynamicalDataset[Any, Any]) -> None:
    def run_here(request: RunRequest, verbose: bool, json_path: Path | None) -> None:
        context = StepContext.for_request(dataset, request)
        summary = run_local(context, request, verbose=verbose)
        if json_path is not None:
            write_json(json_path, summary)
        typer.echo(f"{summary.message}; store: {context.store.url}")

    def backfill_local(
        request: RunRequest, verbose: VerboseOption = False, json_path: SummaryJsonOption = None
    ) -> None:
        """Backfill up to APPEND_DIM_END (exclusive) with plan → write xN → join on this machine. Running the
        same command again resumes an unfinished run, or says the backfill is already published."""
        run_here(request, verbose, json_path)

    def update(request: RunRequest, verbose: VerboseOption = False, json_path: SummaryJsonOption = None) -> None:
        """Append what is new in the source and reprocess the latest published position. Running it again after
        an interruption resumes the unfinished update."""
        run_here(request, verbose, json_path)

    request_command(app, "backfill-local", backfill_local, operation="backfill")
    if dataset.virtual is None:  # a virtual dataset's update polls instead (pipelines/virtual_cli.py)
        request_command(
            app, "update", update, operation="update", defaults={"workers": dataset.operational.update_workers}
        )

    step_app = typer.Typer(no_args_is_help=True, help="Single steps, as Argo pods run them.")
    app.add_typer(step_app, name="step")

    def plan_command(
        request: RunRequest,
        output: OutputOption,
        workers_output: Annotated[
            Path | None, typer.Option("--workers-output", help="Also write the number of write workers here.")
        ] = None,
    ) -> None:
        """Compute the jobs and prepare the run's temp branch; write the number of write workers.

        Every option may also come from its REFORMAT_* environment variable (empty = not set): Argo pods pass
        them that way because a container's argument list cannot leave out an unset flag."""
        record = plan(StepContext.for_request(dataset, request), request)
        outputs = plan_outputs(record)
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(outputs["plan"] + "\n")
        if workers_output is not None:
            workers_output.parent.mkdir(parents=True, exist_ok=True)
            workers_output.write_text(outputs["workers"])

    request_command(step_app, "plan", plan_command, operation=None, positional=False)

    @step_app.command("write")
    def write_command(
        run_id: RunIdOption,
        worker_index: Annotated[int, typer.Option("--worker-index", min=0)],
        output: OutputOption,
        store: StoreOption = None,
    ) -> None:
        """Process one worker's share of the run's jobs, from the source the plan recorded. Under Argo
        (ARGO_PROGRESS_FILE set) it reports `jobs done/total` after each job."""
        context = StepContext.create(dataset, store)
        summary = write(context, run_id=run_id, worker_index=worker_index, progress=ProgressFile.from_env())
        write_json(output, summary)

    @step_app.command("join")
    def join_command(
        run_id: RunIdOption, output: OutputOption, values_dir: ValuesDirOption = None, store: StoreOption = None
    ) -> None:
        """Merge the workers' writes and publish atomically."""
        summary = join(StepContext.create(dataset, store), run_id=run_id)
        write_json(output, summary)
        _write_values(
            values_dir, {"source-files-failed": summary.source_files_failed, "bytes-written": summary.bytes_written}
        )
        typer.echo(summary.message)

    @step_app.command("outcome")
    def outcome_command(
        run_id: RunIdOption,
        status: Annotated[str, typer.Option("--status", help="How the workflow ended (Argo's workflow.status).")],
        failures: Annotated[
            str, typer.Option("--failures", help="Argo's workflow.failures: a JSON list of the failed nodes.")
        ] = "",
        values_dir: ValuesDirOption = None,
        store: StoreOption = None,
    ) -> None:
        """Say what the run came to: published, nothing new, or failed and why (an Argo exit handler)."""
        outcome = run_outcome(StepContext.create(dataset, store), run_id=run_id, status=status, failures=failures)
        _write_values(values_dir, {"outcome": str(outcome), "published": int(outcome.published)})
        typer.echo(str(outcome))
