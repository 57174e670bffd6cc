"""Commands of a virtual dataset: its update is one process polling the archive until a deadline."""

from typing import Annotated, Any

import typer

from datasets.common.dynamical_dataset import DynamicalDataset
from pipelines.request_cli import SourceUrlOption, StoreOption
from steps.context import StepContext
from steps.virtual_update import virtual_update

# The process stops polling this long before the update's deadline, so it ends on its own with a summary.
DEADLINE_MARGIN_SECONDS = 60


def add_virtual_commands(app: typer.Typer, dataset: DynamicalDataset[Any, Any]) -> None:
    default_deadline = max(1, dataset.operational.update_deadline_seconds - DEADLINE_MARGIN_SECONDS)

    @app.command()
    def update(
        deadline_seconds: Annotated[
            float, typer.Option("--deadline-seconds", min=0, help="Stop polling after this many seconds.")
        ] = default_deadline,
        poll_seconds: Annotated[
            float | None, typer.Option("--poll-seconds", min=0.01, help="Seconds between polls of the archive.")
        ] = None,
        store: StoreOption = None,
        source_url: SourceUrlOption = None,
    ) -> None:
        """Poll the archive until the deadline; commit each newly published file's references to main as soon as
        its index is there (readers see whole files)."""
        context = StepContext.create(dataset, store, source_url)
        summary = virtual_update(context, deadline_seconds=deadline_seconds, poll_seconds=poll_seconds)
        typer.echo(f"{summary.message}; store: {context.store.url}")
