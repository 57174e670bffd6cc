from typing import Any

import numpy as np
import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from datasets.common.dynamical_dataset import DynamicalDataset
from pipelines.argo.cli import add_dataset_argo_commands
from pipelines.request_cli import StoreOption
from pipelines.step_cli import add_step_commands
from pipelines.validate_cli import add_validate_commands
from pipelines.virtual_cli import add_virtual_commands


def build_dataset_app(dataset: DynamicalDataset[Any, Any]) -> typer.Typer:
    app = typer.Typer(no_args_is_help=True, help=dataset.description, add_completion=False)

    @app.command("update-template")
    def update_template() -> None:
        """Render the template config to the checked-in templates/latest.zarr."""
        path = dataset.template_config.update_template()
        Console().print(f"wrote {path}")

    @app.command()
    def info(store: StoreOption = None) -> None:
        """Dims, shapes, variables, chunk and shard sizes, and the store URL."""
        print_info(dataset, store)

    add_step_commands(app, dataset)
    if dataset.virtual is not None:
        add_virtual_commands(app, dataset)
    add_validate_commands(app, dataset)
    add_dataset_argo_commands(app, dataset)
    return app


def print_info(dataset: DynamicalDataset[Any, Any], store: str | None) -> None:
    console = Console(width=max(120, Console().width))
    config = dataset.template_config
    attrs = config.dataset_attributes
    template = config.build_template()
    console.print(f"[bold]{attrs.dataset_id}[/bold] v{attrs.dataset_version}: {attrs.name}")
    console.print(attrs.description)
    dims = ", ".join(f"{d}={template.sizes[d]}" for d in config.dims if d != config.append_dim)
    console.print(
        f"dims: {', '.join(config.dims)}  ({config.append_dim} from {config.append_dim_start.isoformat()} "
        f"every {format_duration(config.append_dim_frequency)}; {dims})"
    )
    console.print(f"store: {dataset.primary_store(store).url}")
    console.print(f"source: {dataset.source_url()}")
    table = Table("variable", "units", "step", "chunks", "chunk MB raw", "shards", "shard MB raw")
    table.columns[0].no_wrap = True  # names and units are never cut
    table.columns[1].overflow = "fold"
    for var in config.data_vars:
        encoding = var.encoding
        table.add_row(
            var.name,
            var.attrs.units,
            var.attrs.step_type,
            str(encoding.chunks),
            f"{encoding.chunk_bytes() / 1e6:.1f}",
            str(encoding.shards),
            f"{encoding.shard_bytes() / 1e6:.1f}",
        )
    console.print(table)
    per_step = sum(np.prod([template.sizes[d] for d in config.dims[1:]]) * 4 for _ in config.data_vars)
    console.print(f"uncompressed size per {config.append_dim} step: {per_step / 1e6:,.1f} MB")


def format_duration(duration: pd.Timedelta) -> str:
    hours = duration.total_seconds() / 3600
    return f"{hours:g} h" if hours < 48 else f"{hours / 24:g} days"
