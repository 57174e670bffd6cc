import inspect
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer

import datasets
from datasets.common.dynamical_dataset import DynamicalDataset
from pipelines.authoring.scaffold import (
    IntegrationNames,
    format_python,
    next_steps,
    scaffold,
    write_checked_in_template,
)


def project_root() -> Path:
    """The checkout the running `datasets` package lives in: new integrations are written there."""
    return Path(inspect.getfile(datasets)).resolve().parents[1]


def add_authoring_commands(app: typer.Typer, registered: Sequence[DynamicalDataset[Any, Any]]) -> None:
    @app.command("initialize-new-integration")
    def initialize_new_integration(
        provider: Annotated[str, typer.Argument(help="e.g. noaa", show_default=False)],
        model: Annotated[str, typer.Argument(help="e.g. gfs", show_default=False)],
        variant: Annotated[str, typer.Argument(help="e.g. forecast", show_default=False)],
    ) -> None:
        """Scaffold datasets/PROVIDER/MODEL/VARIANT as a working NOAA-style dataset, with its test and
        checked-in template, and register it. Never overwrites."""
        names = IntegrationNames.parse(provider, model, variant)
        root = project_root()
        written = scaffold(names, root, [d.dataset_id for d in registered])
        formatted = format_python(root, written)
        template = write_checked_in_template(names)
        typer.echo(f"{names.dataset_id} scaffolded and registered:")
        for path in sorted([*written, template.relative_to(root)]):
            typer.echo(f"  {path.as_posix()}")
        typer.echo("Next steps:")
        for number, step in enumerate(next_steps(names, formatted), 1):
            typer.echo(f"  {number}. {step}")
