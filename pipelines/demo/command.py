"""`main demo`: the whole pipeline on this machine, offline, on a generated slice of the GFS archive.

Writes NOAA-layout GRIB2 files (full 0.25 degree grid, all noaa-gfs-forecast variables, real `.idx` inventories)
to a temporary folder, serves them over loopback HTTP with byte ranges, backfills noaa-gfs-forecast — its
template trimmed to the slice's lead times, so the run asks only for files the slice holds — from that mirror with
plan → write xN → join, and draws a map of one field from the published Icechunk repository.
"""

import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
import xarray as xr
from rich.console import Console

from datasets.common.errors import UserInputError
from datasets.common.storage import open_repository, parse_store_config
from datasets.common.timestamps import timedelta
from datasets.noaa.gfs.forecast import noaa_gfs_forecast
from datasets.noaa.gfs.forecast.synthetic_archive import write_synthetic_gfs_archive
from pipelines.demo.map_plot import plot_map
from pipelines.demo.range_server import RangeServer
from pipelines.demo.slice import sliced_dataset
from pipelines.demo.virtual import DEFAULT_VIRTUAL_STORE, archive_folder, how_to_open_virtual, run_virtual_demo
from pipelines.local import run_local
from pipelines.step_cli import SummaryJsonOption, VerboseOption, write_json
from steps.context import StepContext
from steps.join import JoinSummary
from steps.run_request import RunRequest

DEFAULT_STORE = Path("data/demo/noaa-gfs-forecast.icechunk")
MAP_VARIABLE = "temperature_2m"
MAX_INITS = 8
MAX_HOURS = 48

console = Console(stderr=True)


def demo_slice(inits: int, hours: int) -> tuple[list[pd.Timestamp], list[pd.Timedelta]]:
    if not 1 <= inits <= MAX_INITS:
        raise UserInputError(f"--inits must be between 1 and {MAX_INITS}, not {inits}")
    if not 0 <= hours <= MAX_HOURS:
        raise UserInputError(f"--hours must be between 0 and {MAX_HOURS}, not {hours}")
    config = noaa_gfs_forecast().template_config
    init_times = list(pd.date_range(config.append_dim_start, periods=inits, freq=config.append_dim_frequency))
    return init_times, [timedelta(f"{h}h") for h in range(hours + 1)]


def run_demo(store: Path, inits: int, hours: int, workers: int, verbose: bool = False) -> tuple[JoinSummary, Path]:
    """Generate, serve and backfill the slice into `store`; return the run summary and the map's path."""
    init_times, leads = demo_slice(inits, hours)
    with tempfile.TemporaryDirectory(prefix="gfs-archive-") as scratch:
        archive = Path(scratch) / "archive"
        with console.status(f"generating {len(init_times) * len(leads)} GRIB2 files of the GFS archive (0.25°)…"):
            write_synthetic_gfs_archive(archive, init_times, leads, workers=workers)
        dataset = sliced_dataset(noaa_gfs_forecast(), leads, Path(scratch) / "template")
        server = RangeServer(archive)
        try:
            console.print(f"serving them at {server.base_url} (loopback HTTP with byte ranges)")
            context = StepContext.create(dataset, str(store), server.base_url)
            request = RunRequest(
                run_id=f"demo-{datetime.now(UTC):%Y%m%dT%H%M%S}",
                append_dim_end=init_times[-1] + dataset.template_config.append_dim_frequency,
                workers=workers,
                overwrite_chunks=True,  # running the demo again rewrites the same shards
            )
            summary = run_local(context, request, verbose=verbose)
        finally:
            server.close()
    field = open_demo(store)[MAP_VARIABLE].isel(init_time=0, lead_time=0)
    title = f"{MAP_VARIABLE}, init {init_times[0]:%Y-%m-%dT%H}, lead 0 h (synthetic GFS)"
    return summary, plot_map(field, store.parent / f"{store.stem}-{MAP_VARIABLE}.png", title)


def open_demo(store: Path) -> xr.Dataset:
    repo = open_repository(parse_store_config(str(store)), create=False)
    return xr.open_zarr(repo.readonly_session("main").store, consolidated=False, decode_timedelta=True)


def how_to_open(store: Path) -> str:
    return f'''import icechunk
import xarray as xr

repo = icechunk.Repository.open(icechunk.local_filesystem_storage("{store}"))
ds = xr.open_zarr(repo.readonly_session("main").store, consolidated=False, decode_timedelta=True)
ds["{MAP_VARIABLE}"].sel(init_time="2021-05-01T00", lead_time="0h").plot()'''


def add_demo_command(app: typer.Typer) -> None:
    @app.command()
    def demo(
        store: Annotated[Path | None, typer.Option("--store", help="Where to write the Icechunk repository.")] = None,
        inits: Annotated[int, typer.Option("--inits", help="Init times, every 6 h from 2021-05-01T00.")] = 2,
        hours: Annotated[int, typer.Option("--hours", help="Last lead time, in hours (leads are hourly).")] = 6,
        workers: Annotated[int, typer.Option("--workers", min=1, help="Worker processes.")] = 2,
        virtual: Annotated[
            bool, typer.Option("--virtual", help="Build noaa-gfs-forecast-virtual: references into the archive.")
        ] = False,
        verbose: VerboseOption = False,
        json_path: SummaryJsonOption = None,
    ) -> None:
        """Run the pipeline offline: generate a slice of the GFS archive, serve it on loopback HTTP, backfill
        noaa-gfs-forecast from it into an Icechunk repository and draw a map. With --virtual, keep the slice next to
        the repository and build noaa-gfs-forecast-virtual from it: references, decoded when read."""
        if virtual:
            store = store or DEFAULT_VIRTUAL_STORE
            summary, png = run_virtual_demo(store, *demo_slice(inits, hours), workers, verbose)
            opening = how_to_open_virtual(store.absolute())
        else:
            store = store or DEFAULT_STORE
            summary, png = run_demo(store, inits, hours, workers, verbose)
            opening = how_to_open(store.absolute())
        if json_path is not None:
            write_json(json_path, summary)
        store = store.absolute()
        console.print(
            f"\n[bold]{summary.message}[/bold]: {summary.append_dim_extent} init times, {hours + 1} lead times "
            f"(0-{hours} h), {len(summary.variables)} variables",
            highlight=False,
            soft_wrap=True,
        )
        typer.echo(f"Icechunk repository: {store}")
        if virtual:
            typer.echo(f"Source GRIB files it references: {archive_folder(store)}")
        typer.echo(f"Map of {MAP_VARIABLE}: {png.absolute()}")
        typer.echo(f"Open it with xarray:\n\n{opening}\n")
