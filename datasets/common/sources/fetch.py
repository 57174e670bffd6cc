"""Read source objects: plain HTTP(S) with urllib3 (http_source.py), S3 and the local filesystem with obstore.

Every request is retried on our terms (retry.py: bounded, counted, Retry-After honoured up to a cap; obstore's own
retries are off); an optional request rate limit per host; nearby byte ranges fetched in one request; downloads
written atomically. Each failure ends as one of: not found, a range past the end of the object, or unavailable
(after the retries).
"""

import os
import re
import tempfile
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextvars import copy_context
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache
from pathlib import Path
from urllib.parse import urlparse

import obstore
import urllib3
from obstore.exceptions import BaseError, PermissionDeniedError
from obstore.store import ObjectStore

from datasets.common.config_models import FrozenBaseModel
from datasets.common.errors import SourceNotFoundError, SourceReadError, SourceUnavailableError
from datasets.common.sources import http_source
from datasets.common.sources.http_source import (
    RETRYABLE_STATUSES,
    ByteRange,
    ObjectHead,
    RangeNotSatisfiableError,
    html_answer,
    http_get,
    http_head,
    is_html,
)
from datasets.common.sources.retry import RetryableError, RetryPolicy, retrying
from datasets.common.storage import ObjectStorageEnvironment, object_store

CACHE_DIR_ENV = "REFORMAT_CACHE_DIR"
_AWS_HOST = re.compile(r"^(?P<bucket>[a-z0-9.-]+?)\.s3(?:[.-](?P<region>[a-z0-9-]+))?\.amazonaws\.com$")
# obstore: "Generic HTTP error: Error performing GET <url> in 5.1ms - Server returned non-2xx status code: 503 …"
_REASON = re.compile(r"Error performing \w+ \S+ in [^-]+ - (?P<reason>.+)$")
_STATUS = re.compile(r"status code: (?P<status>\d{3})")


class FetchSettings(FrozenBaseModel):
    # HTTP: no byte for this long fails the request (read timeout); object stores: the whole request's limit.
    timeout_seconds: float = 120
    connect_timeout_seconds: float = 10
    retries: RetryPolicy = RetryPolicy()
    coalesce_bytes: int = 1024 * 1024
    # Requests in flight at once for the byte ranges of one object (after coalescing)
    range_parallelism: int = 8
    user_agent: str = "reformatters/0.1 (weather archive reformatter)"
    requests_per_minute: dict[str, float] = {"nomads.ncep.noaa.gov": 120}


_settings = FetchSettings()


def configure_fetch(settings: FetchSettings) -> None:
    """Replace the fetch settings (e.g. faster retries in tests); clients are rebuilt on next use."""
    global _settings
    _settings = settings
    _store.cache_clear()
    _limiter.cache_clear()
    http_source.clear_connections()


class _Location(FrozenBaseModel):
    store_key: tuple[str, ...]
    path: str
    host: str

    @property
    def kind(self) -> str:
        return self.store_key[0]


def _locate(url: str) -> _Location:
    parsed = urlparse(url)
    match parsed.scheme:
        case "s3":
            env = ObjectStorageEnvironment.read()  # the stores' own rules; the cache key changes with them
            key = ("s3", parsed.netloc, env.region, env.endpoint or "", "signed" if env.signed else "anonymous")
            host = urlparse(env.endpoint).netloc if env.endpoint else parsed.netloc
            return _Location(store_key=key, path=parsed.path.lstrip("/"), host=host)
        case "http" | "https":
            if aws := _AWS_HOST.match(parsed.netloc):
                region = aws["region"] or "us-east-1"
                endpoint = f"https://s3.{region}.amazonaws.com"
                key = ("s3", aws["bucket"], region, endpoint, "anonymous")
                return _Location(store_key=key, path=parsed.path.lstrip("/"), host=parsed.netloc)
            key = ("http", f"{parsed.scheme}://{parsed.netloc}")
            return _Location(store_key=key, path=parsed.path.lstrip("/"), host=parsed.netloc)
        case "file" | "":
            return _Location(store_key=("file",), path=str(Path(parsed.path).absolute()), host="")
        case other:
            raise ValueError(f"unsupported source URL scheme {other!r} in {url!r}")


@cache
def _store(store_key: tuple[str, ...]) -> ObjectStore:
    settings = _settings
    client_options = {
        "timeout": timedelta(seconds=settings.timeout_seconds),
        "connect_timeout": timedelta(seconds=settings.connect_timeout_seconds),
        "user_agent": settings.user_agent,
        "allow_http": True,
    }
    retry_config = {"max_retries": 0}  # retried by `retrying`, which counts retries and bounds them
    match store_key:
        case ("s3", bucket, region, endpoint, signed):
            return object_store(
                f"s3://{bucket}",
                anonymous=signed == "anonymous",
                endpoint=endpoint or None,
                region=region,
                client_options=client_options,
                retry_config=retry_config,
            )
        case ("file",):
            return object_store("")
        case _:
            raise AssertionError(f"unknown store key {store_key}")


class _RateLimiter:
    def __init__(self, requests_per_minute: float) -> None:
        self.interval = 60 / requests_per_minute
        self.lock = threading.Lock()
        self.next_start = 0.0

    def acquire(self, requests: int = 1) -> None:
        with self.lock:
            now = time.monotonic()
            start = max(now, self.next_start)
            self.next_start = start + requests * self.interval
        time.sleep(max(0.0, start - now))


@cache
def _limiter(host: str) -> _RateLimiter | None:
    per_minute = _settings.requests_per_minute.get(host)
    return _RateLimiter(per_minute) if per_minute else None


def _reason(error: BaseException) -> str:
    first_line = str(error).split("\n\nDebug source")[0].strip().splitlines()[0]
    return reason["reason"].strip() if (reason := _REASON.search(first_line)) else first_line


def _object_error(url: str, location: _Location, error: BaseException, start: int | None) -> Exception:
    """What an obstore failure means: not found, a range past the end, retryable, or unavailable."""
    if isinstance(error, FileNotFoundError):
        return SourceNotFoundError(f"{url}: not found")
    if isinstance(error, PermissionDeniedError):
        if location.kind == "s3":  # S3 answers 403 for a missing key when the caller may not list the bucket
            return SourceNotFoundError(f"{url}: not found (403)")
        return SourceUnavailableError(f"{url}: {_reason(error)}")
    reason = _reason(error)
    status = int(found["status"]) if (found := _STATUS.search(reason)) else None
    if status in RETRYABLE_STATUSES:
        return RetryableError(reason)
    if start is not None and (status == 416 or "range" in reason.lower()):
        size = _object_head(url, location).size
        return RangeNotSatisfiableError(size) if start >= size else RetryableError(reason)
    if status is not None:
        return SourceUnavailableError(f"{url}: {reason}")
    return RetryableError(reason)  # timeouts, connections refused or reset, bodies cut short


def _object_head(url: str, location: _Location) -> ObjectHead:
    try:
        meta = obstore.head(_store(location.store_key), location.path)
    except (FileNotFoundError, BaseError) as e:
        raise _object_error(url, location, e, None) from None
    return ObjectHead(size=meta["size"], etag=meta["e_tag"], last_modified=meta["last_modified"])


def _object_get(url: str, location: _Location, byte_range: ByteRange | None) -> bytes:
    store = _store(location.store_key)
    start, end = byte_range if byte_range is not None else (None, None)
    try:
        if end is None:
            result = obstore.get(store, location.path, options={} if start is None else {"range": {"offset": start}})
            if is_html(result.attributes.get("Content-Type")):
                raise html_answer()
            return bytes(result.bytes())
        assert start is not None, "a closed range has a start"
        data = bytes(obstore.get_range(store, location.path, start=start, end=end))
    except (FileNotFoundError, BaseError) as e:
        raise _object_error(url, location, e, start) from None
    if len(data) < end - start and start + len(data) != _object_head(url, location).size:
        raise RetryableError(f"short body: {len(data)} of {end - start} bytes")
    return data


def _request[T](url: str, http: Callable[[urllib3.Timeout, str], T], stored: Callable[[_Location], T]) -> T:
    """One request with retries and the host's rate limit: `http` for a web server, `stored` for an object store."""
    location = _locate(url)
    limiter = _limiter(location.host)
    timeout = urllib3.Timeout(connect=_settings.connect_timeout_seconds, read=_settings.timeout_seconds)

    def attempt() -> T:
        if limiter is not None:
            limiter.acquire()
        if location.kind == "http":
            return http(timeout, _settings.user_agent)
        return stored(location)

    return retrying(attempt, _settings.retries, url)


def _get(url: str, byte_range: ByteRange | None) -> bytes:
    return _request(
        url,
        lambda timeout, user_agent: http_get(url, byte_range, timeout, user_agent),
        lambda location: _object_get(url, location, byte_range),
    )


def object_head(url: str) -> ObjectHead:
    return _request(url, lambda timeout, agent: http_head(url, timeout, agent), lambda loc: _object_head(url, loc))


def object_size(url: str) -> int:
    return object_head(url).size


def join_url(base: str, relative_path: str) -> str:
    return f"{base.rstrip('/')}/{relative_path.lstrip('/')}"


def cache_dir(dataset_id: str) -> Path:
    root = Path(os.environ.get(CACHE_DIR_ENV) or Path(tempfile.gettempdir()) / "reformatters-cache")
    path = root / dataset_id
    path.mkdir(parents=True, exist_ok=True)
    return path


class SharedReads[T]:
    """What several source coords of one job read alike (the index of a file that serves many leads or members),
    read once: the first thread to ask reads it, the others wait for its value or its failure. Keeps the `size`
    newest keys (None: all)."""

    def __init__(self, size: int | None = None) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._reads: OrderedDict[str, Future[T]] = OrderedDict()

    def get(self, key: str, read: Callable[[], T]) -> T:
        with self._lock:
            future = self._reads.get(key)
            first = future is None
            if future is None:
                future = self._reads[key] = Future()
                while self._size is not None and len(self._reads) > self._size:
                    self._reads.popitem(last=False)
            else:
                self._reads.move_to_end(key)
        if first:
            try:
                future.set_result(read())
            except BaseException as e:  # the threads waiting for it must not wait forever
                future.set_exception(e)
        return future.result()


def fetch_bytes(url: str) -> bytes:
    data = _get(url, None)
    if not data:
        raise SourceNotFoundError(f"{url}: zero-byte object")
    return data


@dataclass
class _Span:
    """One request: [start, end) covering the ranges `members` (indices into the caller's ranges)."""

    start: int
    end: int | None
    members: list[int] = field(default_factory=list)


def _spans(ranges: Sequence[ByteRange], gap: int) -> list[_Span]:
    """Closed ranges less than `gap` bytes apart in one span each; every open-ended range in its own."""
    spans: list[_Span] = []
    for start, end, i in sorted((s, e, i) for i, (s, e) in enumerate(ranges) if e is not None):
        last = spans[-1] if spans else None
        if last is not None and last.end is not None and start <= last.end + gap:
            last.end = max(last.end, end)
            last.members.append(i)
        else:
            spans.append(_Span(start, end, [i]))
    spans.extend(_Span(start, None, [i]) for i, (start, end) in enumerate(ranges) if end is None)
    return spans


def fetch_available_ranges(
    url: str, ranges: Sequence[ByteRange], *, coalesce_bytes: int | None = None, one_request_at_a_time: bool = False
) -> list[bytes | None]:
    """The bytes of each [start, end) range (end None: to the end), ranges closer than `coalesce_bytes` (default: the
    settings') fetched in one request. A range running past the end of the object is cut there; one starting past
    it is None. A zero-byte object is not found."""
    gap = _settings.coalesce_bytes if coalesce_bytes is None else coalesce_bytes
    spans = _spans(ranges, gap)
    results: list[bytes | None] = [None] * len(ranges)

    def fetch(span: _Span) -> None:
        try:
            data = _get(url, (span.start, span.end))
        except RangeNotSatisfiableError as e:
            if e.size == 0:
                raise SourceNotFoundError(f"{url}: zero-byte object") from None
            return
        for i in span.members:
            start, end = ranges[i]
            results[i] = data[start - span.start : None if end is None else end - span.start] or None

    if one_request_at_a_time or len(spans) < 2:
        for span in spans:
            fetch(span)
    else:
        with ThreadPoolExecutor(min(len(spans), _settings.range_parallelism)) as pool:
            for done in [pool.submit(copy_context().run, fetch, span) for span in spans]:
                done.result()
    return results


def fetch_ranges(url: str, ranges: Sequence[ByteRange]) -> list[bytes]:
    """Every range whole (nearby ones fetched together); one running past the end of the object is a read error."""
    pieces = []
    for (start, end), piece in zip(ranges, fetch_available_ranges(url, ranges), strict=True):
        if piece is None or (end is not None and len(piece) != end - start):
            raise SourceReadError(f"{url}: bytes {start}-{end} run past the end of the object")
        pieces.append(piece)
    return pieces


def write_atomically(dest: Path, chunks: Iterable[bytes]) -> Path:
    """`chunks` written to `dest` through a temporary file: `dest` is whole or absent, never partly written."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    temp = dest.with_name(f".{dest.name}.{uuid.uuid4().hex}.tmp")
    try:
        with temp.open("wb") as f:
            for chunk in chunks:
                f.write(chunk)
        temp.replace(dest)
    finally:
        temp.unlink(missing_ok=True)
    return dest


def download_to_file(url: str, dest: Path, ranges: Sequence[ByteRange] | None = None) -> Path:
    """The whole object, or the concatenation of `ranges`, written to `dest` atomically."""
    return write_atomically(dest, [fetch_bytes(url)] if ranges is None else fetch_ranges(url, ranges))
