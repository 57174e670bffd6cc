"""Read source objects over HTTP(S), S3 or the local filesystem with obstore.

One cached store per source root; retries with jittered exponential backoff (obstore's: 5xx, 429,
connection errors and timeouts); an optional request rate limit per host; downloads written atomically.
"""

import os
import re
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from urllib.parse import urlparse

import obstore
from obstore.exceptions import BaseError, PermissionDeniedError
from obstore.store import HTTPStore, LocalStore, ObjectStore, S3Store

from datasets.common.config_models import FrozenBaseModel
from datasets.common.errors import SourceNotFoundError, SourceReadError, SourceUnavailableError

CACHE_DIR_ENV = "REFORMAT_CACHE_DIR"
_AWS_HOST = re.compile(r"^(?P<bucket>[a-z0-9.-]+?)\.s3(?:[.-](?P<region>[a-z0-9-]+))?\.amazonaws\.com$")

# obstore: "Generic HTTP error: Error performing GET <url> in 5.1s, after 6 retries, max_retries: 6, ... - <reason>"
_RETRIED = re.compile(r"Error performing \w+ \S+ in [^,]+, after (?P<retries>\d+) retries.*? - (?P<reason>.+)$")

type ByteRange = tuple[int, int | None]


class FetchSettings(FrozenBaseModel):
    timeout_seconds: float = 120
    connect_timeout_seconds: float = 10
    max_retries: int = 6
    initial_backoff_seconds: float = 0.5
    max_backoff_seconds: float = 20
    retry_timeout_seconds: float = 300
    coalesce_bytes: int = 1024 * 1024
    user_agent: str = "reformatters/0.1 (weather archive reformatter)"
    requests_per_minute: dict[str, float] = {"nomads.ncep.noaa.gov": 120}


_settings = FetchSettings()


def configure_fetch(settings: FetchSettings) -> None:
    """Replace the fetch settings (e.g. faster retries in tests); stores are rebuilt on next use."""
    global _settings
    _settings = settings
    _store.cache_clear()
    _limiter.cache_clear()


class _Location(FrozenBaseModel):
    store_key: tuple[str, ...]
    path: str
    host: str

    @property
    def is_s3(self) -> bool:
        return self.store_key[0] == "s3"


def _locate(url: str) -> _Location:
    parsed = urlparse(url)
    match parsed.scheme:
        case "s3":
            endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL") or ""
            region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
            signed = "signed" if os.environ.get("AWS_ACCESS_KEY_ID") else "anonymous"
            key = ("s3", parsed.netloc, region, endpoint, signed)
            return _Location(
                store_key=key, path=parsed.path.lstrip("/"), host=urlparse(endpoint).netloc or parsed.netloc
            )
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
    retry_config = {
        "max_retries": settings.max_retries,
        "retry_timeout": timedelta(seconds=settings.retry_timeout_seconds),
        "backoff": {
            "init_backoff": timedelta(seconds=settings.initial_backoff_seconds),
            "max_backoff": timedelta(seconds=settings.max_backoff_seconds),
            "base": 2,
        },
    }
    match store_key:
        case ("s3", bucket, region, endpoint, signed):
            return S3Store(
                bucket,
                region=region,
                endpoint=endpoint or None,
                skip_signature=signed == "anonymous",
                virtual_hosted_style_request=False,
                client_options=client_options,
                retry_config=retry_config,
            )
        case ("http", root):
            return HTTPStore.from_url(root, client_options=client_options, retry_config=retry_config)
        case ("file",):
            return LocalStore()
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


def _summary(error: BaseException) -> str:
    first_line = str(error).split("\n\nDebug source")[0].strip().splitlines()[0]
    if retried := _RETRIED.search(first_line):
        return f"{retried['reason'].strip()} (after {retried['retries']} retries)"
    return first_line


def _call[T](
    url: str,
    location: _Location,
    requests: int,
    operation: Callable[[ObjectStore, str], T],
    needed_size: int | None = None,
) -> T:
    if (limiter := _limiter(location.host)) is not None:
        limiter.acquire(requests)
    try:
        return operation(_store(location.store_key), location.path)
    except FileNotFoundError:
        raise SourceNotFoundError(f"{url}: not found") from None
    except PermissionDeniedError as e:
        if location.is_s3:  # S3 answers 403 for a missing key when the caller may not list the bucket
            raise SourceNotFoundError(f"{url}: not found (403)") from None
        raise SourceUnavailableError(f"{url}: {_summary(e)}") from None
    except BaseError as e:
        message = _summary(e)
        if needed_size is not None and ("range" in message.lower() or "416" in message):
            size = object_size(url)
            if size == 0:
                raise SourceNotFoundError(f"{url}: zero-byte object") from None
            if size < needed_size:
                raise SourceReadError(f"{url}: needs {needed_size} bytes but the object has {size}") from None
        raise SourceUnavailableError(f"{url}: {message}") from None


class ObjectHead(FrozenBaseModel):
    """What identifies one version of a source object: a replaced object has a new ETag or last-modified time."""

    size: int
    etag: str | None
    last_modified: datetime


def object_head(url: str) -> ObjectHead:
    location = _locate(url)
    meta = _call(url, location, 1, lambda store, path: obstore.head(store, path))
    return ObjectHead(size=meta["size"], etag=meta["e_tag"], last_modified=meta["last_modified"])


def object_size(url: str) -> int:
    return object_head(url).size


def join_url(base: str, relative_path: str) -> str:
    return f"{base.rstrip('/')}/{relative_path.lstrip('/')}"


def cache_dir(dataset_id: str) -> Path:
    root = Path(os.environ.get(CACHE_DIR_ENV) or Path(tempfile.gettempdir()) / "reformatters-cache")
    path = root / dataset_id
    path.mkdir(parents=True, exist_ok=True)
    return path


def fetch_bytes(url: str) -> bytes:
    location = _locate(url)
    data = _call(url, location, 1, lambda store, path: bytes(obstore.get(store, path).bytes()))
    if not data:
        raise SourceNotFoundError(f"{url}: zero-byte object")
    return data


def _coalesced_requests(ranges: Sequence[tuple[int, int]], gap: int) -> int:
    requests, reach = 0, -1
    for start, end in sorted(ranges):
        if start > reach + gap or requests == 0:
            requests += 1
        reach = max(reach, end)
    return requests


def fetch_ranges(url: str, ranges: Sequence[ByteRange]) -> list[bytes]:
    """The bytes of each [start, end) range (end None = to the end), nearby ranges fetched together."""
    location = _locate(url)
    closed = [(i, start, end) for i, (start, end) in enumerate(ranges) if end is not None]
    results: dict[int, bytes] = {}
    if closed:
        starts, ends = [start for _, start, _ in closed], [end for _, _, end in closed]
        gap = _settings.coalesce_bytes
        requests = _coalesced_requests(list(zip(starts, ends, strict=True)), gap)
        chunks = _call(
            url,
            location,
            requests,
            lambda store, path: obstore.get_ranges(store, path, starts=starts, ends=ends, coalesce=gap),
            needed_size=max(ends),
        )
        for (i, start, end), chunk in zip(closed, chunks, strict=True):
            if len(chunk) != end - start:
                raise SourceReadError(f"{url}: bytes {start}-{end} run past the end of the object (got {len(chunk)})")
            results[i] = bytes(chunk)
    for i, (start, end) in enumerate(ranges):
        if end is None:
            results[i] = _call(
                url,
                location,
                1,
                lambda store, path, start=start: bytes(
                    obstore.get(store, path, options={"range": {"offset": start}}).bytes()
                ),
                needed_size=start + 1,
            )
    return [results[i] for i in range(len(ranges))]


def download_to_file(url: str, dest: Path, ranges: Sequence[ByteRange] | None = None) -> Path:
    """The whole object, or the concatenation of `ranges`, written to `dest` atomically."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    temp = dest.with_name(f".{dest.name}.{uuid.uuid4().hex}.tmp")
    try:
        with temp.open("wb") as f:
            if ranges is None:
                f.write(fetch_bytes(url))
            else:
                for chunk in fetch_ranges(url, ranges):
                    f.write(chunk)
        temp.replace(dest)
    finally:
        temp.unlink(missing_ok=True)
    return dest
