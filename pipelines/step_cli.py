import json
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from pydantic import BaseModel

from datasets.common.dynamical_dataset import DynamicalDataset
from datasets.common.errors import UserInputError
from pipelines.cli_support import SourceUrlOption, StoreOption, check_window, parse_timestamp
from pipelines.local import run_local
from steps.context import StepContext
from steps.join import join
from steps.plan import plan
from steps.run_state import Filters, Operation
from steps.write import write

EndArgument = Annotated[
    pd.Timestamp,
    typer.Argument(parser=parse_timestamp, help="Append-dim end (exclusive), ISO 8601.", show_default=False),
]
StartOption = Annotated[
    pd.Timestamp | None,
    typer.Option("--filter-start", parser=parse_timestamp, help="Only shards ending at or after this time."),
]
FilterEndOption = Annotated[
    pd.Timestamp | None,
    typer.Option("--filter-end", parser=parse_timestamp, help="Only shards starting before this time."),
]
ContainsOption = Annotated[
    list[pd.Timestamp] | None,
    typer.Option("--filter-contains", parser=parse_timestamp, help="Only shards holding this time (repeatable)."),
]
VariablesOption = Annotated[
    list[str] | None, typer.Option("--filter-variable-names", help="Only these variables (repeatable).")
]
RunIdOption = Annotated[str | None, typer.Option("--run-id", help="Reuse to resume an interrupted run.")]
WorkersOption = Annotated[int, typer.Option("--workers", min=1, help="Worker processes.")]
ReplicaOption = Annotated[
    list[str] | None,
    typer.Option(
        "--replica",
        help="Replica store URL (repeatable; .zarr = plain Zarr v3, else Icechunk); env REFORMAT_REPLICA_URLS.",
    ),
]
OutputOption = Annotated[Path, typer.Option("--output", help="Where to write the step's JSON result.")]


def filters_from(
    dataset: DynamicalDataset[Any, Any],
    start: pd.Timestamp | None,
    end: pd.Timestamp | None,
    contains: list[pd.Timestamp] | None,
    variables: list[str] | None,
) -> Filters:
    check_window(start, end)
    known = {v.name for v in dataset.template_config.data_vars}
    unknown = [name for name in variables or [] if name not in known]
    if unknown:
        raise UserInputError(f"unknown variable name(s) {', '.join(unknown)} (known: {', '.join(sorted(known))})")
    return Filters(
        start=start.isoformat() if start is not None else None,
        end=end.isoformat() if end is not None else None,
        contains=tuple(c.isoformat() for c in contains or []),
        variable_names=tuple(variables or []),
    )


def default_run_id(operation: str) -> str:
    return f"{operation}-{datetime.now(UTC):%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"


def _write_json(path: Path, value: BaseModel | dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = value.model_dump_json(indent=2) if isinstance(value, BaseModel) else json.dumps(value, indent=2)
    path.write_text(text + "\n")


def add_step_commands(app: typer.Typer, dataset: DynamicalDataset[Any, Any]) -> None:
    append_dim_start = dataset.template_config.append_dim_start

    def check_end(end: pd.Timestamp) -> None:
        if end <= append_dim_start:
            raise UserInputError(
                f"end {end.isoformat()} must be after the dataset start {append_dim_start.isoformat()}"
            )

    @app.command("backfill-local")
    def backfill_local(
        append_dim_end: EndArgument,
        filter_start: StartOption = None,
        filter_end: FilterEndOption = None,
        filter_contains: ContainsOption = None,
        filter_variable_names: VariablesOption = None,
        workers: WorkersOption = 1,
        run_id: RunIdOption = None,
        overwrite_chunks: Annotated[bool, typer.Option(help="Allow rewriting published shards.")] = False,
        overwrite_metadata: Annotated[bool, typer.Option(help="Allow changing published attributes.")] = False,
        store: StoreOption = None,
        source_url: SourceUrlOption = None,
        replica: ReplicaOption = None,
    ) -> None:
        """Backfill up to APPEND_DIM_END (exclusive) with plan → write xN → join on this machine."""
        check_end(append_dim_end)
        filters = filters_from(dataset, filter_start, filter_end, filter_contains, filter_variable_names)
        context = StepContext.create(dataset, store, source_url, replica)
        summary = run_local(
            context,
            operation="backfill",
            run_id=run_id or default_run_id("backfill"),
            append_dim_end=append_dim_end,
            filters=filters,
            workers=workers,
            overwrite_chunks=overwrite_chunks,
            overwrite_metadata=overwrite_metadata,
        )
        typer.echo(f"{summary.message}; store: {context.store.url}")

    if dataset.virtual is None:  # a virtual dataset's update polls (pipelines/virtual_cli.py)

        @app.command()
        def update(
            workers: WorkersOption = dataset.operational.update_workers,
            run_id: RunIdOption = None,
            store: StoreOption = None,
            source_url: SourceUrlOption = None,
            replica: ReplicaOption = None,
        ) -> None:
            """Append what is new in the source and reprocess the latest published position."""
            context = StepContext.create(dataset, store, source_url, replica)
            summary = run_local(context, operation="update", run_id=run_id or default_run_id("update"), workers=workers)
            typer.echo(f"{summary.message}; store: {context.store.url}")

    step_app = typer.Typer(no_args_is_help=True, help="Single steps, as Argo pods run them.")
    app.add_typer(step_app, name="step")

    @step_app.command("plan")
    def plan_command(
        operation: Annotated[str, typer.Option("--operation", help="backfill or update.")],
        run_id: Annotated[str, typer.Option("--run-id")],
        output: OutputOption,
        append_dim_end: Annotated[
            pd.Timestamp | None,
            typer.Option(
                "--append-dim-end", parser=parse_timestamp, envvar="REFORMAT_APPEND_DIM_END", help="Backfill end."
            ),
        ] = None,
        filter_start: Annotated[
            pd.Timestamp | None,
            typer.Option("--filter-start", parser=parse_timestamp, envvar="REFORMAT_FILTER_START"),
        ] = None,
        filter_end: Annotated[
            pd.Timestamp | None,
            typer.Option("--filter-end", parser=parse_timestamp, envvar="REFORMAT_FILTER_END"),
        ] = None,
        filter_contains: Annotated[
            list[pd.Timestamp] | None,
            typer.Option(
                "--filter-contains", parser=parse_timestamp, envvar="REFORMAT_FILTER_CONTAINS", help="Space-separated."
            ),
        ] = None,
        filter_variable_names: Annotated[
            list[str] | None,
            typer.Option("--filter-variable-names", envvar="REFORMAT_FILTER_VARIABLE_NAMES", help="Space-separated."),
        ] = None,
        workers_total: Annotated[int, typer.Option("--workers-total", min=1)] = 1,
        overwrite_chunks: Annotated[bool, typer.Option(envvar="REFORMAT_OVERWRITE_CHUNKS")] = False,
        overwrite_metadata: Annotated[bool, typer.Option(envvar="REFORMAT_OVERWRITE_METADATA")] = False,
        worker_indices_output: Annotated[
            Path | None, typer.Option("--worker-indices-output", help="Also write the worker index list here.")
        ] = None,
        store: StoreOption = None,
        source_url: SourceUrlOption = None,
        replica: ReplicaOption = None,
    ) -> None:
        """Compute the jobs and prepare the run's temp branch; write the fan-out list.

        Optional settings may also come from REFORMAT_* environment variables (empty = not set): Argo pods
        pass them that way because a container's argument list cannot leave out an unset flag."""
        if operation not in ("backfill", "update"):
            raise UserInputError(f"unknown operation {operation!r}: use backfill or update")
        checked: Operation = "backfill" if operation == "backfill" else "update"
        if append_dim_end is not None:
            check_end(append_dim_end)
        record = plan(
            StepContext.create(dataset, store, source_url, replica),
            operation=checked,
            run_id=run_id,
            append_dim_end=append_dim_end,
            filters=filters_from(dataset, filter_start, filter_end, filter_contains, filter_variable_names),
            workers_total=workers_total,
            overwrite_chunks=overwrite_chunks,
            overwrite_metadata=overwrite_metadata,
        )
        _write_json(
            output,
            {
                "run_id": record.run_id,
                "operation": record.operation,
                "workers_total": record.workers_total,
                "worker_indices": record.worker_indices,
                "jobs": len(record.job_keys),
                "template_end": record.template_end,
            },
        )
        if worker_indices_output is not None:
            worker_indices_output.parent.mkdir(parents=True, exist_ok=True)
            worker_indices_output.write_text(json.dumps(record.worker_indices))

    @step_app.command("write")
    def write_command(
        run_id: Annotated[str, typer.Option("--run-id")],
        worker_index: Annotated[int, typer.Option("--worker-index", min=0)],
        workers_total: Annotated[int, typer.Option("--workers-total", min=1)],
        output: OutputOption,
        store: StoreOption = None,
        source_url: SourceUrlOption = None,
    ) -> None:
        """Process one worker's share of the run's jobs."""
        if worker_index >= workers_total:
            raise UserInputError(f"--worker-index {worker_index} must be below --workers-total {workers_total}")
        summary = write(
            StepContext.create(dataset, store, source_url),
            run_id=run_id,
            worker_index=worker_index,
            workers_total=workers_total,
        )
        _write_json(output, summary)

    @step_app.command("join")
    def join_command(
        run_id: Annotated[str, typer.Option("--run-id")],
        output: OutputOption,
        store: StoreOption = None,
    ) -> None:
        """Merge the workers' writes and publish atomically."""
        summary = join(StepContext.create(dataset, store), run_id=run_id)
        _write_json(output, summary)
        typer.echo(summary.message)
