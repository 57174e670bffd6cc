import inspect
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

import datasets
from datasets.common.dynamical_dataset import DynamicalDataset
from pipelines.authoring.grib_inspection import inspect_grib, resolve_url
from pipelines.authoring.grib_report_view import print_report
from pipelines.authoring.scaffold import (
    IntegrationNames,
    format_python,
    next_steps,
    scaffold,
    write_checked_in_template,
)
from pipelines.request_cli import SourceUrlOption


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

    @app.command("inspect-grib")
    def inspect_grib_command(
        path_or_url: Annotated[
            str, typer.Argument(help="A GRIB file: local path, http(s):// or s3:// URL.", show_default=False)
        ],
        field: Annotated[
            list[str] | None,
            typer.Option("--field", help="Show statistics of this field: N or N.k as in the .idx (repeatable)."),
        ] = None,
        match: Annotated[
            str | None,
            typer.Option(
                "--match",
                help="Regular expression on .idx lines, e.g. ':TMP:2 m above ground:'; with an .idx only the "
                "matching messages are downloaded.",
            ),
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
        source_url: SourceUrlOption = None,
    ) -> None:
        """Show a source file the way a template needs it: every field with its .idx line, the hypercubes
        cfgrib/xarray builds, the grid, and statistics of chosen fields. A relative PATH_OR_URL hangs from
        --source-url (env REFORMAT_SOURCE_URL); a URL's host or bucket is replaced by it."""
        url = resolve_url(path_or_url, source_url)
        with tempfile.TemporaryDirectory(prefix="inspect-grib-") as scratch:
            report = inspect_grib(url, Path(scratch), match=match, field_labels=field or ())
        if as_json:
            typer.echo(report.model_dump_json(indent=2))
        else:
            print_report(report, Console())
