import sys
from collections.abc import Sequence
from typing import Any

import typer
from rich.console import Console
from rich.table import Table
from typer import Abort
from typer.exceptions import TyperException

from datasets.common.dynamical_dataset import DynamicalDataset
from datasets.common.errors import UserInputError
from datasets.registry import DATASETS
from pipelines.argo.cli import add_argo_commands
from pipelines.authoring.cli import add_authoring_commands
from pipelines.dataset_cli import build_dataset_app
from pipelines.demo.command import add_demo_command
from steps.errors import OperationFailedError
from steps.events import configure_logging


def build_app(datasets: Sequence[DynamicalDataset[Any, Any]]) -> typer.Typer:
    app = typer.Typer(
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        help="Reformat weather-model GRIB archives into Zarr v3 datasets in Icechunk.\n\n"
        "Run `main DATASET-ID --help` for a dataset's commands.",
    )

    @app.callback()
    def root() -> None:
        pass

    @app.command("datasets")
    def list_datasets() -> None:
        """List every registered dataset."""
        table = Table("dataset id", "version", "name")
        table.columns[0].no_wrap = True
        for dataset in datasets:
            attrs = dataset.template_config.dataset_attributes
            table.add_row(attrs.dataset_id, attrs.dataset_version, attrs.name)
        Console().print(table)

    add_demo_command(app)
    add_argo_commands(app, datasets)
    add_authoring_commands(app, datasets)
    for dataset in datasets:
        app.add_typer(build_dataset_app(dataset), name=dataset.dataset_id, help=dataset.description)
    return app


app = build_app(DATASETS)


def run(typer_app: typer.Typer, args: Sequence[str] | None = None) -> int:
    try:
        exit_code = typer_app(args=list(args) if args is not None else None, standalone_mode=False)
    except TyperException as e:
        if type(e).__name__ == "NoArgsIsHelpError":  # typer printed the help: asking for it is not an error
            return 0
        message = e.format_message().strip().splitlines()[0]
        if message.startswith("No such command"):
            message = f"unknown dataset id or command {message.removeprefix('No such command ').rstrip('.')} (see `main --help`)"
        return _fail(message)
    except Abort:
        return _fail("aborted")
    except UserInputError as e:
        return _fail(str(e))
    except OperationFailedError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return exit_code if isinstance(exit_code, int) else 0


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def main() -> None:
    configure_logging()
    sys.exit(run(app))
