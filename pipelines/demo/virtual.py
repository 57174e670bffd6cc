"""`main demo --virtual`: the virtual GFS dataset built from the demo's archive slice, then opened and mapped.

The references must stay readable after the demo ends, so the archive is kept next to the repository and referenced
by file:// URLs (a loopback server would be gone); a reader authorizes that folder's virtual chunk container.
"""

import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import xarray as xr

from datasets.common.virtual.config import prefix_of
from datasets.noaa.gfs.forecast.synthetic_archive import write_synthetic_gfs_archive
from datasets.noaa.gfs.forecast_virtual import noaa_gfs_forecast_virtual
from pipelines.demo.map_plot import plot_map
from pipelines.demo.slice import sliced_dataset
from pipelines.local import run_local
from steps.context import StepContext
from steps.join import JoinSummary
from steps.run_request import RunRequest

DEFAULT_VIRTUAL_STORE = Path("data/demo/noaa-gfs-forecast-virtual.icechunk")
MAP_VARIABLE = "temperature_2m"


def archive_folder(store: Path) -> Path:
    return store.parent / f"{store.stem}-archive"


def virtual_context(store: Path) -> StepContext:
    return StepContext.create(noaa_gfs_forecast_virtual(), str(store), str(archive_folder(store).absolute()))


def run_virtual_demo(
    store: Path, init_times: list, leads: list, workers: int, verbose: bool = False
) -> tuple[JoinSummary, Path]:
    archive = archive_folder(store)
    shutil.rmtree(archive, ignore_errors=True)
    write_synthetic_gfs_archive(archive, init_times, leads, workers=workers)
    with tempfile.TemporaryDirectory(prefix="gfs-virtual-template-") as template:
        dataset = sliced_dataset(noaa_gfs_forecast_virtual(), leads, Path(template))
        summary = _backfill(
            StepContext.create(dataset, str(store), str(archive.absolute())), init_times, workers, verbose
        )
    field = open_virtual_demo(store)[MAP_VARIABLE].isel(init_time=0, lead_time=0)
    title = f"{MAP_VARIABLE} as published (K), init {init_times[0]:%Y-%m-%dT%H}, lead 0 h (synthetic GFS, virtual)"
    return summary, plot_map(field, store.parent / f"{store.stem}-{MAP_VARIABLE}.png", title)


def _backfill(context: StepContext, init_times: list, workers: int, verbose: bool) -> JoinSummary:
    request = RunRequest(
        operation="backfill",
        run_id=f"demo-virtual-{datetime.now(UTC):%Y%m%dT%H%M%S}",
        append_dim_end=init_times[-1] + context.dataset.template_config.append_dim_frequency,
        workers=workers,
        overwrite_chunks=True,  # running the demo again rewrites the same references
    )
    return run_local(context, request, verbose=verbose)


def open_virtual_demo(store: Path) -> xr.Dataset:
    session = virtual_context(store).repository().readonly_session("main")
    return xr.open_zarr(session.store, consolidated=False, decode_timedelta=True)


def how_to_open_virtual(store: Path) -> str:
    prefix = prefix_of(str(archive_folder(store).absolute()))
    return f'''import icechunk
import xarray as xr

# Every chunk is a reference into the GRIB files under {prefix}; reading it decodes the
# message with the reformatters.grib2 codec (installed with this project). Authorize that folder:
repo = icechunk.Repository.open(
    icechunk.local_filesystem_storage("{store}"),
    authorize_virtual_chunk_access=icechunk.containers_credentials(
        {{"{prefix}": icechunk.credentials.LocalFileSystemAccess}}
    ),
)
ds = xr.open_zarr(repo.readonly_session("main").store, consolidated=False, decode_timedelta=True)
ds["{MAP_VARIABLE}"].sel(init_time="2021-05-01T00", lead_time="0h").plot()'''
