import email.utils
import time
from collections.abc import Callable

import pytest

from datasets.common.errors import SourceUnavailableError
from datasets.common.sources.http_source import retry_after_seconds
from datasets.common.sources.retry import RetryableError, RetryPolicy, counting_retries, retrying

POLICY = RetryPolicy(initial_backoff_seconds=0.5, max_backoff_seconds=20, max_retry_after_seconds=60)


def test_backoff_doubles_with_jitter_up_to_its_cap() -> None:
    for retries, ceiling in ((0, 0.5), (1, 1.0), (3, 4.0), (10, 20.0)):
        delays = [POLICY.delay_seconds(retries, None) for _ in range(50)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(set(delays)) > 1


def test_retry_after_is_honoured_up_to_its_cap() -> None:
    assert POLICY.delay_seconds(0, 7.0) == 7.0
    assert POLICY.delay_seconds(0, 3600.0) == 60.0
    assert 0.25 <= POLICY.delay_seconds(0, 0.0) <= 0.5  # never sooner than the backoff


def test_retry_after_header_values() -> None:
    assert retry_after_seconds("120") == 120.0
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    seconds = retry_after_seconds(when)
    assert seconds is not None
    assert 25 <= seconds <= 31
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None


def failing(times: int) -> tuple[list[int], Callable[[], str]]:
    attempts: list[int] = []

    def request() -> str:
        attempts.append(1)
        if len(attempts) <= times:
            raise RetryableError("HTTP 503")
        return "data"

    return attempts, request


def test_retries_are_counted_and_bounded() -> None:
    policy = RetryPolicy(max_retries=3, initial_backoff_seconds=0.001, max_backoff_seconds=0.002)
    attempts, request = failing(2)
    with counting_retries() as count:
        assert retrying(request, policy, "http://host/x") == "data"
    assert (len(attempts), count.value) == (3, 2)

    attempts, request = failing(10)
    with (
        counting_retries() as count,
        pytest.raises(SourceUnavailableError, match=r"http://host/x: HTTP 503 \(after 3 retries\)"),
    ):
        retrying(request, policy, "http://host/x")
    assert (len(attempts), count.value) == (4, 3)


def test_no_retry_starts_after_the_retry_timeout() -> None:
    policy = RetryPolicy(
        max_retries=100, initial_backoff_seconds=0.02, max_backoff_seconds=0.02, retry_timeout_seconds=0.1
    )
    attempts, request = failing(100)
    with pytest.raises(SourceUnavailableError):
        retrying(request, policy, "http://host/x")
    assert 2 <= len(attempts) < 20
