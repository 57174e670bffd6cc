"""A virtual GFS dataset (all 25 variables, coarse grid: reference work does not depend on the grid) over a loopback
HTTP archive: references per second of a backfill (plan → write xN → join), and the seconds from a file appearing in
the archive (its `.idx` last, as NOAA publishes) to its chunks being readable on `main` during the low-latency update.

Run: `uv run python -m benchmarks.virtual_pipeline [--inits 4] [--files 20] [--interval 0.5]`.
"""

import argparse
import shutil
import statistics
import tempfile
import threading
import time
from pathlib import Path

import pandas as pd
import zarr
from zarr.core.sync import sync

from datasets.common.sources.synthetic_archive import gfs_relative_path
from datasets.common.timestamps import timedelta, timestamp
from datasets.noaa.gfs.forecast.template_config import gfs_lead_times
from pipelines.demo.range_server import RangeServer
from pipelines.local import run_local
from steps.context import StepContext
from steps.run_request import RunRequest
from steps.virtual_update import virtual_update
from tests.support.gfs_archive import write_test_archive
from tests.support.virtual_archive import small_virtual_gfs

START = timestamp("2021-05-01T00:00")


def backfill(root: Path, inits: int, workers: int) -> None:
    init_times = list(pd.date_range(START, periods=inits, freq="6h"))
    server = RangeServer(root / "archive")
    try:
        dataset = small_virtual_gfs(root / "template", server.base_url)
        context = StepContext.create(dataset, str(root / f"backfill-{workers}.icechunk"), server.base_url)
        begin = time.perf_counter()
        request = RunRequest(
            operation="backfill", run_id="b", append_dim_end=init_times[-1] + timedelta("6h"), workers=workers
        )
        summary = run_local(context, request, show_progress=False)
        seconds = time.perf_counter() - begin
    finally:
        server.close()
    references = sum(r.counters.get("references", 0) for r in summary.variables.values())
    files = inits * len(gfs_lead_times())
    print(
        f"backfill, {workers} worker(s): {files} files, {references} references in {seconds:.1f} s = "
        f"{references / seconds:,.0f} references/s ({files / seconds:.1f} files/s, plan + write + join)"
    )


def arrival_to_visible(root: Path, files: int, interval: float, poll: float) -> None:
    staging, archive = root / "archive", root / f"arriving-{poll}"
    init_times = [START, START + timedelta("6h")]
    leads = [timedelta(lead) for lead in gfs_lead_times()[:files]]
    for lead in leads:
        copy(staging, archive, init_times[0], lead)
    server = RangeServer(archive)
    try:
        dataset = small_virtual_gfs(root / "template", server.base_url)
        context = StepContext.create(dataset, str(root / f"update-{poll}.icechunk"), server.base_url)
        run_local(
            context, RunRequest(operation="backfill", run_id="b", append_dim_end=init_times[1]), show_progress=False
        )
        arrived: dict[int, float] = {}
        visible: dict[int, float] = {}
        stop = threading.Event()

        def arrive() -> None:
            time.sleep(1.0)
            for j, lead in enumerate(leads):
                copy(staging, archive, init_times[1], lead)
                arrived[j] = time.monotonic()
                time.sleep(interval)

        def watch() -> None:
            while not stop.is_set():
                store = context.repository().readonly_session("main").store
                try:
                    array = zarr.open_array(store, path="temperature_2m", mode="r", zarr_format=3)
                except FileNotFoundError:
                    continue
                if array.shape[0] > 1:
                    for j in range(len(leads)):
                        if j not in visible and sync(store.exists(f"temperature_2m/c/1/{j}/0/0")):
                            visible[j] = time.monotonic()
                time.sleep(0.01)

        threads = [threading.Thread(target=arrive), threading.Thread(target=watch)]
        for thread in threads:
            thread.start()
        summary = virtual_update(
            context,
            deadline_seconds=2 + files * interval + 3 * poll + 3,
            now=init_times[1] + timedelta("4h"),
            poll_seconds=poll,
        )
        stop.set()
        for thread in threads:
            thread.join()
    finally:
        server.close()
    delays = sorted(visible[j] - arrived[j] for j in visible)
    print(
        f"update, poll every {poll} s: {len(delays)} of {files} files visible, arrival → readable on main: median "
        f"{statistics.median(delays):.2f} s, max {max(delays):.2f} s ({summary.commits} commits)"
    )


def copy(staging: Path, archive: Path, init: pd.Timestamp, lead: pd.Timedelta) -> None:
    relative = gfs_relative_path(init, lead)
    (archive / relative).parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(staging / relative, archive / relative)
    shutil.copy(staging / f"{relative}.idx", archive / f"{relative}.idx")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--inits", type=int, default=4)
    parser.add_argument("--files", type=int, default=20)
    parser.add_argument("--interval", type=float, default=0.5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        init_times = list(pd.date_range(START, periods=max(2, args.inits), freq="6h"))
        write_test_archive(root / "archive", init_times, list(gfs_lead_times()))
        for workers in (1, 2):
            backfill(root, args.inits, workers)
        for poll in (1.0, 0.25):
            arrival_to_visible(root, args.files, args.interval, poll)


if __name__ == "__main__":
    main()
