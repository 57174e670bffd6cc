"""Wall time, CPU time and peak RSS of an action and every process it starts."""

import contextlib
import resource
import threading
import time
from collections.abc import Callable

import psutil

from datasets.common.config_models import FrozenBaseModel

SAMPLE_SECONDS = 0.05


class Measurement(FrozenBaseModel):
    wall_seconds: float
    cpu_seconds: float
    peak_rss_bytes: int


def _cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _tree_rss(process: psutil.Process) -> int:
    total = process.memory_info().rss
    for child in process.children(recursive=True):
        with contextlib.suppress(psutil.NoSuchProcess):
            total += child.memory_info().rss
    return total


def measure(action: Callable[..., None], *args: object) -> Measurement:
    """Run `action(*args)`; child processes count once they have exited (as pools' workers have at the end).

    The RSS sampler's own CPU time is left out.
    """
    process = psutil.Process()
    peak = _tree_rss(process)
    sampler_cpu = 0.0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak, sampler_cpu
        while not done.wait(SAMPLE_SECONDS):
            peak = max(peak, _tree_rss(process))
        sampler_cpu = time.thread_time()

    sampler = threading.Thread(target=sample, daemon=True)
    cpu, start = _cpu_seconds(), time.perf_counter()
    sampler.start()
    try:
        action(*args)
    finally:
        wall = time.perf_counter() - start
        done.set()
        sampler.join()
    return Measurement(wall_seconds=wall, cpu_seconds=_cpu_seconds() - cpu - sampler_cpu, peak_rss_bytes=peak)
