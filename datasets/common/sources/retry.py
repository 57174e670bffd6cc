"""Bounded retries of source requests, and a count of the retries made while a piece of work ran.

A request that fails in a way that may pass (a 5xx or 429 answer, a throttling page, a reset connection, a short
body, a timeout) raises `RetryableError`; `retrying` waits (jittered exponential backoff, or the server's
Retry-After up to a cap) and tries again within the policy's budget, then gives up with `SourceUnavailableError`.
"""

import random
import threading
import time
from collections.abc import Callable, Generator
from contextlib import contextmanager
from contextvars import ContextVar

from datasets.common.config_models import FrozenBaseModel
from datasets.common.errors import SourceUnavailableError


class RetryableError(Exception):
    """A request failed in a way that may pass; `retry_after`: the seconds the server asked us to wait, if it did."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RetryPolicy(FrozenBaseModel):
    max_retries: int = 6
    initial_backoff_seconds: float = 0.5
    max_backoff_seconds: float = 20
    # A server's Retry-After is honoured up to this; a longer wait is cut to it.
    max_retry_after_seconds: float = 60
    # No retry starts after this long since the first try of a request.
    retry_timeout_seconds: float = 300

    def delay_seconds(self, retries_so_far: int, retry_after: float | None) -> float:
        backoff = min(self.max_backoff_seconds, self.initial_backoff_seconds * 2**retries_so_far)
        backoff *= random.uniform(0.5, 1.0)  # workers failing together do not retry together
        if retry_after is None:
            return backoff
        return min(max(retry_after, backoff), self.max_retry_after_seconds)


class RetryCount:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.value = 0

    def add(self) -> None:
        with self._lock:
            self.value += 1


_current_count: ContextVar[RetryCount | None] = ContextVar("source_retries", default=None)


@contextmanager
def counting_retries() -> Generator[RetryCount]:
    """Count the retries of every request made in this context (and in contexts copied from it)."""
    count = RetryCount()
    token = _current_count.set(count)
    try:
        yield count
    finally:
        _current_count.reset(token)


def retrying[T](request: Callable[[], T], policy: RetryPolicy, what: str) -> T:
    started, retries = time.monotonic(), 0
    while True:
        try:
            return request()
        except RetryableError as e:
            delay = policy.delay_seconds(retries, e.retry_after)
            if retries >= policy.max_retries or time.monotonic() + delay - started > policy.retry_timeout_seconds:
                after = f" (after {retries} retries)" if retries else ""
                raise SourceUnavailableError(f"{what}: {e}{after}") from None
            if (count := _current_count.get()) is not None:
                count.add()
            time.sleep(delay)
            retries += 1
