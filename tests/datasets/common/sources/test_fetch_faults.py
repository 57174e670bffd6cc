"""Each transport fault over plain HTTP (urllib3) and S3 (obstore, the loopback server as a path-style endpoint):
retried once and then the right bytes, or past the retry budget a SourceUnavailableError; never wrong bytes."""

from collections.abc import Callable
from pathlib import Path

import pytest

from datasets.common.errors import SourceNotFoundError, SourceReadError, SourceUnavailableError
from datasets.common.sources.fetch import configure_fetch, fetch_available_ranges, fetch_bytes, fetch_ranges
from datasets.common.sources.retry import counting_retries
from tests.support.archive_fixtures import TEST_FETCH_SETTINGS
from tests.support.fault_server import Fault, FaultServer, RedirectToHtml, ResetMidBody, ShortBody, Slow, Status

CONTENT = bytes(range(256)) * 40  # 10240 bytes
READ_TIMEOUT_SECONDS = 1.0  # only where a fault is a slow answer
KEY = "bucket/a/data.bin"
RANGES = [(0, 100), (5000, 6000)]
FAULTS: dict[str, Fault] = {
    "500": Status(status=500),
    "502": Status(status=502),
    "503": Status(status=503),
    "429 + Retry-After": Status(status=429, retry_after="1"),
    "503 + Retry-After": Status(status=503, retry_after="1"),
    "302 to HTML": RedirectToHtml(),
    "reset mid-body": ResetMidBody(),
    "short body": ShortBody(),
    "slow": Slow(seconds=3 * READ_TIMEOUT_SECONDS),
}


@pytest.fixture(params=["http", "s3"])
def served(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    http_archive: Callable[[Path], FaultServer],
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[FaultServer, str]:
    """The server and the URL of KEY through it: plain HTTP, or anonymous path-style S3 (GET /bucket/key)."""
    (tmp_path / "root" / "bucket" / "a").mkdir(parents=True)
    (tmp_path / "root" / KEY).write_bytes(CONTENT)
    (tmp_path / "root" / "bucket" / "a" / "empty.bin").write_bytes(b"")
    server = http_archive(tmp_path / "root")
    if request.param == "http":
        return server, f"{server.base_url}/{KEY}"
    monkeypatch.setenv("AWS_ENDPOINT_URL", server.base_url)
    monkeypatch.delenv("AWS_ENDPOINT_URL_S3", raising=False)
    monkeypatch.delenv("AWS_ACCESS_KEY_ID", raising=False)
    return server, f"s3://{KEY}"


def inject(server: FaultServer, fault: Fault, times: int | None) -> None:
    if isinstance(fault, Slow):
        configure_fetch(TEST_FETCH_SETTINGS.model_copy(update={"timeout_seconds": READ_TIMEOUT_SECONDS}))
    server.inject(KEY, fault, times)


@pytest.mark.parametrize("fault", FAULTS.values(), ids=FAULTS.keys())
@pytest.mark.parametrize("whole", [True, False], ids=["whole object", "ranges"])
def test_a_passing_fault_is_retried_once(served: tuple[FaultServer, str], fault: Fault, whole: bool) -> None:
    server, url = served
    inject(server, fault, times=1)
    with counting_retries() as retries:
        if whole:
            assert fetch_bytes(url) == CONTENT
        else:
            assert fetch_ranges(url, RANGES) == [CONTENT[s:e] for s, e in RANGES]
    assert retries.value == 1


@pytest.mark.parametrize("fault", FAULTS.values(), ids=FAULTS.keys())
def test_a_lasting_fault_makes_the_source_unavailable(served: tuple[FaultServer, str], fault: Fault) -> None:
    server, url = served
    inject(server, fault, times=None)
    with counting_retries() as retries, pytest.raises(SourceUnavailableError, match=r"\(after 3 retries\)$"):
        fetch_ranges(url, RANGES)
    assert retries.value == 3
    assert len([r for r in server.requests_for(KEY) if r.method == "GET"]) == 4  # S3 may also ask HEAD for the size


def test_missing_empty_and_past_the_end(served: tuple[FaultServer, str]) -> None:
    _, url = served
    with pytest.raises(SourceNotFoundError):
        fetch_ranges(url.replace("data.bin", "missing.bin"), RANGES)
    with pytest.raises(SourceNotFoundError, match="zero-byte"):
        fetch_ranges(url.replace("data.bin", "empty.bin"), RANGES)
    size = len(CONTENT)
    ranges = [(0, 10), (size - 10, size + 10), (size + 5, size + 20), (size + 30, None)]
    assert fetch_available_ranges(url, ranges) == [CONTENT[:10], CONTENT[-10:], None, None]
    with pytest.raises(SourceReadError, match="past the end"):
        fetch_ranges(url, ranges[:2])
