"""The low-latency update of a virtual dataset, and kill -9 during a virtual backfill or update."""

import multiprocessing
import os
import shutil
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import xarray as xr

from datasets.common.sources.synthetic_archive import gfs_relative_path
from datasets.common.timestamps import timedelta, timestamp
from pipelines.demo.range_server import RangeServer
from pipelines.local import run_local
from steps.context import StepContext
from steps.join import join
from steps.metadata import open_published
from steps.plan import plan
from steps.run_request import RunRequest
from steps.virtual_update import virtual_update
from steps.write import write
from tests.support.gfs_archive import write_test_archive
from tests.support.virtual_archive import (
    assert_equals_source,
    partial_files,
    references_by_chunk,
    small_virtual_gfs,
)

INITS = list(pd.date_range(timestamp("2021-05-01T00:00"), periods=2, freq="6h"))
LEADS = [timedelta(f"{h}h") for h in range(8)]
NOW = INITS[1] + timedelta("4h")  # both inits are watched
KILL_TIMEOUT_SECONDS = 60


def publish(staging: Path, archive: Path, init: pd.Timestamp, lead: pd.Timedelta) -> None:
    """As NOAA does: the GRIB file first, its `.idx` once the file is whole."""
    relative = gfs_relative_path(init, lead)
    (archive / relative).parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(staging / relative, archive / relative)
    shutil.copy(staging / f"{relative}.idx", archive / f"{relative}.idx")


class Archive:
    def __init__(self, tmp_path: Path, serve: Callable[[Path], RangeServer]) -> None:
        self.staging, self.root = tmp_path / "staging", tmp_path / "archive"
        write_test_archive(self.staging, INITS, LEADS)
        self.root.mkdir()
        self.server = serve(self.root)
        self.tmp_path = tmp_path

    def publish(self, init: pd.Timestamp, leads: list[pd.Timedelta]) -> None:
        for lead in leads:
            publish(self.staging, self.root, init, lead)

    def context(self, name: str, probe_window: int = 16) -> StepContext:
        # only the archive's lead times: an update ends once it has referenced them all, not at its deadline
        dataset = small_virtual_gfs(self.tmp_path / "template", self.server.base_url, lead_hours=len(LEADS))
        assert dataset.virtual is not None
        dataset = dataset.model_copy(
            update={"virtual": dataset.virtual.model_copy(update={"probe_window": probe_window})}
        )
        return StepContext.create(dataset, str(self.tmp_path / f"{name}.icechunk"), self.server.base_url)


@pytest.fixture
def archive(tmp_path: Path, http_archive: Callable[[Path], RangeServer]) -> Archive:
    return Archive(tmp_path, http_archive)


def names(context: StepContext) -> list[str]:
    return [v.name for v in context.dataset.template_config.data_vars]


def main_store(context: StepContext) -> Any:
    return context.repository().readonly_session("main").store


@pytest.mark.slow
def test_update_commits_files_as_they_arrive_and_readers_never_see_a_partial_file(archive: Archive) -> None:
    archive.publish(INITS[0], LEADS)
    context = archive.context("store", probe_window=4)
    run_local(context, RunRequest(operation="backfill", run_id="b", append_dim_end=INITS[1]), show_progress=False)
    snapshots: list[str] = []
    problems: list[str] = []
    stop = threading.Event()

    def poll() -> None:
        while not stop.is_set():
            session = context.repository().readonly_session("main")
            if not snapshots or snapshots[-1] != session.snapshot_id:
                snapshots.append(session.snapshot_id)
                problems.extend(partial_files(session.store, context.dataset))

    def arrive() -> None:
        for lead in LEADS:
            time.sleep(0.05)
            archive.publish(INITS[1], [lead])

    threads = [threading.Thread(target=poll), threading.Thread(target=arrive)]
    for thread in threads:
        thread.start()
    summary = virtual_update(context, deadline_seconds=KILL_TIMEOUT_SECONDS, now=NOW, poll_seconds=0.05)
    stop.set()
    for thread in threads:
        thread.join()
    assert not problems
    assert summary.files_committed == len(LEADS)
    assert summary.commits >= 2
    assert summary.complete
    assert len(snapshots) >= 3, "the reader saw the update's commits one by one"
    ds = xr.open_zarr(main_store(context), consolidated=False, decode_timedelta=True)
    assert list(ds["ingested_forecast_length"].values) == [LEADS[-1].to_timedelta64()] * 2
    assert_equals_source(ds, context.dataset, archive.root, INITS, LEADS)
    rerun = virtual_update(context, deadline_seconds=0.5, now=NOW, poll_seconds=0.1)
    assert rerun.files_committed == 0, "files already referenced on main are not committed again"


def _update_forever(context: StepContext) -> None:
    virtual_update(context, deadline_seconds=KILL_TIMEOUT_SECONDS, now=NOW, poll_seconds=0.05)


def _write(context: StepContext) -> None:
    write(context, run_id="b", worker_index=0)


def kill_when(target: Callable[[StepContext], None], context: StepContext, ready: Callable[[], bool]) -> None:
    process = multiprocessing.get_context("spawn").Process(target=target, args=(context,))
    process.start()
    deadline = time.monotonic() + KILL_TIMEOUT_SECONDS
    while not ready() and process.is_alive() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert process.is_alive(), "the process finished before it could be killed"
    assert process.pid is not None
    os.kill(process.pid, signal.SIGKILL)
    process.join()
    assert process.exitcode == -signal.SIGKILL


@pytest.mark.slow
def test_killed_update_rerun_gives_the_references_of_an_uninterrupted_one(archive: Archive) -> None:
    archive.publish(INITS[0], LEADS)
    archive.publish(INITS[1], LEADS)
    clean = archive.context("clean", probe_window=2)
    assert virtual_update(clean, deadline_seconds=KILL_TIMEOUT_SECONDS, now=NOW, poll_seconds=0.05).complete
    killed = archive.context("killed", probe_window=2)
    repo = killed.repository(create=True)
    first = repo.lookup_branch("main")
    commits = lambda: sum(1 for _ in repo.ancestry(branch="main")) - sum(1 for _ in repo.ancestry(snapshot_id=first))  # noqa: E731
    kill_when(_update_forever, killed, lambda: commits() >= 3)
    assert not partial_files(main_store(killed), killed.dataset)
    assert virtual_update(killed, deadline_seconds=KILL_TIMEOUT_SECONDS, now=NOW, poll_seconds=0.05).complete
    assert references_by_chunk(main_store(killed), names(killed)) == references_by_chunk(
        main_store(clean), names(clean)
    )


@pytest.mark.slow
def test_killed_virtual_backfill_rerun_gives_the_references_of_an_uninterrupted_one(archive: Archive) -> None:
    archive.publish(INITS[0], LEADS)
    archive.publish(INITS[1], LEADS)
    end = INITS[1] + timedelta("6h")
    clean = archive.context("clean")
    run_local(clean, RunRequest(operation="backfill", run_id="b", append_dim_end=end), show_progress=False)
    killed = archive.context("killed")
    plan(killed, RunRequest(operation="backfill", run_id="b", append_dim_end=end))
    state = killed.run_state("b")
    kill_when(_write, killed, lambda: any(state.names("jobs/")))
    assert open_published(main_store(killed)) is None, "nothing is published before join"
    write(killed, run_id="b", worker_index=0)
    join(killed, run_id="b")
    assert references_by_chunk(main_store(killed), names(killed)) == references_by_chunk(
        main_store(clean), names(clean)
    )
