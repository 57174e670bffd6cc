from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from datasets.common.dynamical_dataset import DynamicalDataset
from datasets.common.shard_blocks import append_dim_shard_size
from datasets.common.timestamps import timestamp
from datasets.common.validation import ValidationReport
from pipelines.availability_plot import plot_availability
from pipelines.cli_support import parse_timestamp
from pipelines.request_cli import ReplicaOption, StoreOption
from steps.context import StepContext
from steps.validate import ValidationFailedError, validate

console = Console()


def add_validate_commands(app: typer.Typer, dataset: DynamicalDataset[Any, Any]) -> None:
    @app.command("validate")
    def validate_command(
        json_path: Annotated[
            Path | None, typer.Option("--json", help="Write the report as JSON here.", show_default=False)
        ] = None,
        plot: Annotated[
            Path | None,
            typer.Option(
                "--plot",
                help="Write a PNG availability heatmap here (reads a sample of every position).",
                show_default=False,
            ),
        ] = None,
        store: StoreOption = None,
        replica: ReplicaOption = None,
        now: Annotated[pd.Timestamp | None, typer.Option("--now", parser=parse_timestamp, hidden=True)] = None,
    ) -> None:
        """Check what readers of main see: freshness, NaNs, shards, holes, replicas. Exits 1 on any failure."""
        context = StepContext.create(dataset, store, replica_urls=tuple(replica or ()))
        report = validate(context, now=now, with_availability=plot is not None)
        print_report(report)
        if json_path is not None:
            json_path.parent.mkdir(parents=True, exist_ok=True)
            json_path.write_text(report.model_dump_json(indent=2) + "\n")
        if plot is not None and report.availability is not None:
            plot_availability(report.availability, plot, f"{dataset.dataset_id}: fraction of data present")
        if not report.passed:
            hint = refill_command(dataset, report)
            if hint:
                console.print(f"re-fill the listed positions with:\n  {escape(hint)}", soft_wrap=True)
            raise ValidationFailedError(f"{len(report.failures)} of {len(report.results)} checks failed")


def print_report(report: ValidationReport) -> None:
    title = f"{report.dataset_id} at {report.store_url} ({report.append_dim_extent} {report.append_dim} positions"
    if report.last_position:
        title += f", {report.first_position} to {report.last_position}"
    table = Table("check", "variable", "passed", "message", title=title + ")")
    for result in report.results:
        passed = "[green]yes[/green]" if result.passed else "[red bold]NO[/red bold]"
        table.add_row(result.check, result.variable or "-", passed, escape(result.message))
    console.print(table)


def refill_command(dataset: DynamicalDataset[Any, Any], report: ValidationReport) -> str | None:
    """One backfill-local command that rewrites every shard holding a position a failed check listed."""
    config = dataset.template_config
    positions = sorted({timestamp(p) for result in report.failures for p in result.positions})
    if not positions:
        return None
    shard_size = append_dim_shard_size(
        config.get_template(positions[-1] + config.append_dim_frequency), config.append_dim, config.data_vars
    )
    first_in_shard: dict[int, pd.Timestamp] = {}
    for position in positions:
        shard = ((position - config.append_dim_start) // config.append_dim_frequency) // shard_size
        first_in_shard.setdefault(shard, position)
    known = {v.name for v in config.data_vars}
    listed = {r.variable for r in report.failures if r.positions}
    # a listed position without a data variable (a short forecast, an init not yet due) needs every variable
    names = sorted(name for name in listed if name is not None) if listed <= known else []
    end = positions[-1] + config.append_dim_frequency
    parts = [f"main {dataset.dataset_id} backfill-local {end.isoformat()} --overwrite-chunks"]
    parts += [f"--filter-contains {p.isoformat()}" for p in first_in_shard.values()]
    if names and set(names) != known:
        parts += [f"--filter-variable-names {name}" for name in names]
    if report.store_url != dataset.primary_store().url:
        parts.append(f"--store {report.store_url}")
    return " ".join(parts)
