"""End-to-end GFS throughput on the same files: our pipeline, the naive xarray path, and the floor.

Writes 16 GFS-layout files (one init, leads 0-15 h) of 10 full-grid 0.25 degree complex-packed messages with
small-scale noise (realistic packed sizes), then, each in a fresh process:
- ours: `run_local` backfill of noaa-gfs-forecast from a loopback HTTP mirror, with one worker (the `backfill-local`
  default: threads inside one process) and with one worker process per core;
- naive: `xarray.open_dataset(engine="cfgrib")` per variable per file, concat, `to_zarr` into Icechunk;
- floor: eccodes decode of every message, rounding, and zarr writes of the same shards into a plain Zarr store,
  one process per core.
Run: `uv run python -m benchmarks.gfs_end_to_end [ARCHIVE_DIR] [--leads N]` (files already in ARCHIVE_DIR are reused;
`--leads 105` fills one whole lead-time chunk, so no chunk is mostly padding).
"""

import argparse
import os
import tempfile
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import pandas as pd
import zarr
from zarr.storage import LocalStore

from benchmarks.gfs_baselines import cfgrib_filters, floor_path, naive_path
from benchmarks.measure import Measurement, measure
from datasets.common.sources.fetch import CACHE_DIR_ENV
from datasets.common.sources.synthetic_archive import gfs_relative_path, write_gfs_archive
from datasets.common.storage import open_repository, parse_store_config
from datasets.common.timestamps import timedelta, timestamp
from datasets.noaa.gfs.forecast import noaa_gfs_forecast
from datasets.noaa.gfs.forecast.synthetic_archive import FULL_GRID, grib_variable
from datasets.noaa.gfs.forecast.template_config import GFS_DATA_VARS
from pipelines.demo.range_server import RangeServer
from pipelines.local import run_local
from steps.context import StepContext
from steps.run_request import RunRequest
from steps.write import WRITE_ENV

INIT = timestamp("2021-05-01T00:00")
DATA_VARS = [v for v in GFS_DATA_VARS if v.internal_attrs.window_kind is None][:10]
CORES = os.cpu_count() or 1


def write_archive(root: Path, leads: list[pd.Timedelta]) -> list[Path]:
    paths = [root / gfs_relative_path(INIT, lead) for lead in leads]
    if all(p.exists() and p.with_name(p.name + ".idx").exists() for p in paths):
        return paths
    variables = [grib_variable(v).model_copy(update={"noise": 0.8, "fraction_bits": 4}) for v in DATA_VARS]
    return write_gfs_archive(root, [INIT], leads, variables, FULL_GRID, workers=os.cpu_count() or 1)


def our_path(source_url: str, store: Path, workers: int, leads: int) -> None:
    context = StepContext.create(noaa_gfs_forecast(), str(store), source_url)
    request = RunRequest(
        run_id="benchmark",
        append_dim_end=INIT + timedelta("6h"),
        filter_variable_names=tuple(v.name for v in DATA_VARS),
        workers=workers,
    )
    summary = run_local(context, request, show_progress=False)
    assert summary.published, summary.message
    assert all(r.succeeded == leads for r in summary.variables.values()), "every message must be read"


def in_fresh_process(action: Callable[..., None], *args: object) -> Measurement:
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
        return pool.submit(measure, action, *args).result()


def report(label: str, m: Measurement, messages: int, grib_bytes: int) -> None:
    print(
        f"{label:<8} wall {m.wall_seconds:6.2f} s  cpu {m.cpu_seconds:6.2f} s  "
        f"{grib_bytes / m.wall_seconds / 1e6:6.1f} MB/s GRIB  {messages / m.wall_seconds:6.1f} msg/s  "
        f"{messages / m.wall_seconds / CORES:6.1f} msg/s per core  {messages / m.cpu_seconds:5.1f} msg per cpu-s  "
        f"peak RSS {m.peak_rss_bytes / 1e6:6.0f} MB"
    )


def stored_values(store: Path, name: str, leads: int) -> np.ndarray:
    if store.suffix == ".zarr":
        return np.asarray(zarr.open_array(LocalStore(store), path=name, mode="r")[0, :leads])
    repo = open_repository(parse_store_config(str(store)), create=False)
    return np.asarray(zarr.open_array(repo.readonly_session("main").store, path=name, mode="r")[0, :leads])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("archive_dir", nargs="?", type=Path, help="keep the generated archive here")
    parser.add_argument("--leads", type=int, default=16, help="hourly lead times 0..N-1 (at most 120)")
    args = parser.parse_args()
    assert 1 <= args.leads <= 120, "GFS lead times are hourly up to 120 h"
    with tempfile.TemporaryDirectory() as tmp:
        root = args.archive_dir or Path(tmp) / "archive"
        paths = write_archive(root, [timedelta(f"{h}h") for h in range(args.leads)])
        grib_bytes = sum(p.stat().st_size for p in paths)
        messages = len(paths) * len(DATA_VARS)
        print(
            f"{len(paths)} files x {len(DATA_VARS)} messages on the {FULL_GRID.ni}x{FULL_GRID.nj} grid, "
            f"{grib_bytes / 1e6:.0f} MB of GRIB; {os.cpu_count()} cores; load average before "
            f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}"
        )
        os.environ[CACHE_DIR_ENV] = str(Path(tmp) / "cache")
        os.environ.update(WRITE_ENV)  # every path runs with the same glibc malloc settings
        server = RangeServer(root)
        try:
            ours = in_fresh_process(our_path, server.base_url, Path(tmp) / "ours.icechunk", 1, args.leads)
            ours_processes = in_fresh_process(
                our_path, server.base_url, Path(tmp) / "ours-processes.icechunk", CORES, args.leads
            )
        finally:
            server.close()
        names = [v.name for v in DATA_VARS]
        for stale in (index for path in paths for index in path.parent.glob(f"{path.name}.*.idx")):
            stale.unlink()  # cfgrib's index files from an earlier run
        naive = in_fresh_process(naive_path, paths, cfgrib_filters(paths[0]), names, Path(tmp) / "naive.icechunk")
        floor = in_fresh_process(floor_path, paths, DATA_VARS, Path(tmp) / "floor.zarr", os.cpu_count() or 1)
        for label, m in (("ours", ours), (f"ours {CORES}p", ours_processes), ("naive", naive), ("floor", floor)):
            report(label, m, messages, grib_bytes)
        print(
            f"ours / floor wall {ours.wall_seconds / floor.wall_seconds:.2f} (target <= 1.3); "
            f"naive / ours wall {naive.wall_seconds / ours.wall_seconds:.2f} (target >= 2.5); "
            f"load average after {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
        )
        wind = DATA_VARS[3].name
        ours_values = stored_values(Path(tmp) / "ours.icechunk", wind, args.leads)
        floor_values = stored_values(Path(tmp) / "floor.zarr", wind, args.leads)
        same = np.array_equal(ours_values, floor_values, equal_nan=True)
        print(f"ours and floor store identical {wind}: {same}")


if __name__ == "__main__":
    main()
