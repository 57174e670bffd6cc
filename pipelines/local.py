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
from rich.filesize import decimal
from rich.progress import BarColumn, Progress, ProgressColumn, Task, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.text import Text

from datasets.common.dynamical_dataset import DynamicalDataset
from datasets.common.storage import StoreConfig
from pipelines.run_summary import print_summary
from steps.context import StepContext
from steps.expected_work import expected_work
from steps.join import JoinSummary, join
from steps.plan import plan
from steps.resume import choose_run
from steps.run_request import RunRequest
from steps.write import WRITE_ENV, WriteSummary, write

console = Console(stderr=True)
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc mallopt parameters


def run_local(
    context: StepContext,
    request: RunRequest,
    *,
    now: pd.Timestamp | None = None,
    show_progress: bool = True,
    verbose: bool = False,
) -> JoinSummary:
    """plan → write xN (worker processes) → join, on this machine; without a run id, the unfinished run of the same
    request resumes, and a backfill already published is not done again. `verbose`: the summary lists every
    failed source file.

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
        TextColumn("{task.description:<12}"),
        BarColumn(bar_width=24),
        _Amount(),
        _Rate(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=not show_progress,
    ) as progress:
        expected = expected_work(context, record) if show_progress else None
        tasks = {
            "jobs": progress.add_task("jobs", total=len(record.jobs), unit="jobs"),
            "source_files": progress.add_task(
                "source files", total=expected.source_files if expected else None, unit="files"
            ),
            "bytes_written": progress.add_task(
                "written", total=expected.bytes_written if expected else None, unit="bytes"
            ),
        }

        def on_event(kind: str, amount: float) -> None:
            if kind in tasks:
                progress.advance(tasks[kind], amount)

        summaries = _run_writers(context, run_id, record.workers_total, on_event)
    summary = join(context, run_id=run_id)
    if show_progress:
        print_summary(console, summary, summaries, verbose=verbose)
    return summary


class _Amount(ProgressColumn):
    def render(self, task: Task) -> Text:
        amount = decimal if task.fields["unit"] == "bytes" else (lambda n: f"{n:,}")
        total = "?" if task.total is None else amount(int(task.total))
        return Text(f"{amount(int(task.completed))}/{total}", style="progress.download")


class _Rate(ProgressColumn):
    """The average rate since the task started (a window of a few events says little about a handful of jobs)."""

    def render(self, task: Task) -> Text:
        elapsed = task.finished_time if task.finished else task.elapsed
        if not elapsed or not task.completed:
            return Text("")
        speed = task.completed / elapsed
        unit = task.fields["unit"]
        rate = f"{decimal(int(speed))}/s" if unit == "bytes" else f"{speed:.3g} {unit}/s"
        return Text(rate, style="progress.data.speed")


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
