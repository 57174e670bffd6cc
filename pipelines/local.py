import ctypes
import multiprocessing
import os
import platform
import queue
import threading
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import pandas as pd
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from datasets.common.dynamical_dataset import DynamicalDataset
from datasets.common.storage import StoreConfig
from steps.context import StepContext
from steps.join import JoinSummary, join
from steps.plan import plan
from steps.resume import choose_run
from steps.run_request import RunRequest
from steps.write import WRITE_ENV, WriteSummary, write

console = Console(stderr=True)
MAX_LISTED_FAILURES = 20
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc mallopt parameters


def run_local(
    context: StepContext, request: RunRequest, *, now: pd.Timestamp | None = None, show_progress: bool = True
) -> JoinSummary:
    """plan → write xN (worker processes) → join, on this machine; without a run id, the unfinished run of the same
    request resumes, and a backfill already published is not done again.

    Workers only write chunks and leave forked sessions in the run state; plan and join are the only
    commits, made here, one at a time — so a local-filesystem repository never sees concurrent commits.
    """
    choice = choose_run(context, request)
    if choice.message is not None:
        console.print(choice.message, highlight=False)
    if choice.summary is not None:
        return choice.summary
    run_id = choice.run_id
    record = plan(context, request.model_copy(update={"run_id": run_id}), now=now)
    with Progress(
        TextColumn("{task.description:<14}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[extra]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=not show_progress,
    ) as progress:
        regions = progress.add_task("jobs", total=len(record.job_keys), extra="")
        files = progress.add_task("source files", total=None, extra="")
        written = progress.add_task("written", total=None, extra="")
        counts = {"source_files": 0.0, "bytes_written": 0.0}

        def on_event(kind: str, amount: float) -> None:
            if kind == "jobs":
                progress.advance(regions, amount)
                return
            if kind == "jobs_total":
                return
            counts[kind] = counts.get(kind, 0.0) + amount
            progress.update(files, completed=counts["source_files"])
            progress.update(written, extra=f"{counts['bytes_written'] / 1e6:,.1f} MB")

        summaries = _run_writers(context, run_id, record.workers_total, on_event)
        progress.update(written, extra=f"{counts['bytes_written'] / 1e6:,.1f} MB")
    summary = join(context, run_id=run_id)
    if show_progress:
        print_summary(summary, summaries)
    return summary


def _run_writers(context: StepContext, run_id: str, workers_total: int, on_event: Any) -> list[WriteSummary]:
    if workers_total == 1:
        _keep_large_buffers_in_the_heap()
        return [write(context, run_id=run_id, worker_index=0, progress=on_event)]
    for name, value in WRITE_ENV.items():
        os.environ.setdefault(name, value)  # read by glibc when each spawned worker starts
    spawn = multiprocessing.get_context("spawn")
    events = spawn.Queue()
    stop = threading.Event()
    drainer = threading.Thread(target=_drain, args=(events, stop, on_event), daemon=True)
    drainer.start()
    try:
        with ProcessPoolExecutor(
            max_workers=workers_total, mp_context=spawn, initializer=_receive_events, initargs=(events,)
        ) as pool:
            futures = [
                pool.submit(_write_in_worker, context.dataset, context.store, run_id, index)
                for index in range(workers_total)
            ]
            return [future.result() for future in futures]
    finally:
        stop.set()
        drainer.join()
        events.close()


def _keep_large_buffers_in_the_heap() -> None:
    """For a write in this process, what WRITE_ENV does for spawned workers (glibc reads it only at start)."""
    if platform.libc_ver()[0] != "glibc":
        return
    libc = ctypes.CDLL(None)
    libc.mallopt(M_MMAP_THRESHOLD, int(WRITE_ENV["MALLOC_MMAP_THRESHOLD_"]))
    libc.mallopt(M_TRIM_THRESHOLD, int(WRITE_ENV["MALLOC_TRIM_THRESHOLD_"]))


def _drain(events: Any, stop: threading.Event, on_event: Any) -> None:
    while not stop.is_set() or not events.empty():
        try:
            kind, amount = events.get(timeout=0.1)
        except queue.Empty:
            continue
        on_event(kind, amount)


_worker_events: Any = None  # the parent's event queue, in a worker process


def _receive_events(events: Any) -> None:
    global _worker_events
    _worker_events = events


def _write_in_worker(
    dataset: DynamicalDataset[Any, Any], store: StoreConfig, run_id: str, worker_index: int
) -> WriteSummary:
    context = StepContext(dataset=dataset, store=store, source_url=dataset.source_url())

    def forward(kind: str, amount: float) -> None:
        _worker_events.put((kind, amount))

    return write(context, run_id=run_id, worker_index=worker_index, progress=forward)


def print_summary(summary: JoinSummary, writes: list[WriteSummary]) -> None:
    table = Table("variable", "source files ok", "not found", "read failed", "last written", title=summary.message)
    for name, result in sorted(summary.variables.items()):
        last = result.last_append_dim_value
        table.add_row(
            name,
            str(result.succeeded),
            str(len(result.not_found)),
            str(len(result.read_failed)),
            last.isoformat() if last is not None else "-",
        )
    console.print(table)
    skipped = sum(w.jobs_skipped for w in writes)
    if skipped:
        console.print(f"resumed: {skipped} jobs already done were skipped")
    read_failed = sorted({entry for r in summary.variables.values() for entry in r.read_failed})
    not_found = sorted({url for r in summary.variables.values() for url in r.not_found})
    for label, entries in (("read failed", read_failed), ("not found", not_found)):
        for entry in entries[:MAX_LISTED_FAILURES]:
            console.print(f"  [yellow]{label}[/yellow] {entry}", soft_wrap=True, highlight=False)
        if len(entries) > MAX_LISTED_FAILURES:
            console.print(f"  … and {len(entries) - MAX_LISTED_FAILURES} more {label}")
