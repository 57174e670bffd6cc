"""Plain HTTP(S) sources (web servers and mirrors: NOMADS, DWD open data, a `--source-url` mirror) read with urllib3,
so every answer is seen as it is: its status, Retry-After, a redirect to a throttling page, its Content-Range, a body
cut short. Each answer is classified: data, not found, a range past the end, retryable, or unavailable."""

import email.utils
import re
import time
from datetime import datetime
from functools import cache

import urllib3
from urllib3.exceptions import HTTPError, MaxRetryError

from datasets.common.config_models import FrozenBaseModel
from datasets.common.errors import SourceNotFoundError, SourceUnavailableError
from datasets.common.sources.retry import RetryableError

type ByteRange = tuple[int, int | None]  # [start, end), end None: to the end of the object

RETRYABLE_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
NOT_FOUND_STATUSES = frozenset({404, 410})
MAX_REDIRECTS = 5
_CONTENT_RANGE = re.compile(r"bytes (?P<first>\d+)-(?P<last>\d+)/(?P<total>\d+)")
_UNSATISFIED_RANGE = re.compile(r"bytes \*/(?P<total>\d+)")


class ObjectHead(FrozenBaseModel):
    """What identifies one version of a source object: a replaced object has a new ETag or last-modified time."""

    size: int
    etag: str | None
    last_modified: datetime


class RangeNotSatisfiableError(Exception):
    """The requested range starts at or past the end of the object (HTTP 416); `size` is the object's size."""

    def __init__(self, size: int) -> None:
        super().__init__(f"the object has {size} bytes")
        self.size = size


@cache
def _pool(user_agent: str) -> urllib3.PoolManager:
    return urllib3.PoolManager(maxsize=32, headers={"User-Agent": user_agent})


def clear_connections() -> None:
    _pool.cache_clear()


def _request(
    method: str, url: str, headers: dict[str, str], timeout: urllib3.Timeout, user_agent: str
) -> urllib3.BaseHTTPResponse:
    retries = urllib3.Retry(total=None, connect=0, read=0, status=0, other=0, redirect=MAX_REDIRECTS)
    try:
        response = _pool(user_agent).request(method, url, headers=headers, timeout=timeout, retries=retries)
    except HTTPError as e:  # connection refused or reset, timeouts, a body cut short, redirect loops
        raise RetryableError(_summary(e)) from None
    _check_status(response, url)
    return response


def _summary(error: HTTPError) -> str:
    cause = error.reason if isinstance(error, MaxRetryError) and error.reason is not None else error
    return f"{type(cause).__name__}: {cause}"


def is_html(content_type: str | None) -> bool:
    return (content_type or "").split(";")[0].strip().lower() == "text/html"


def html_answer(where: str | None = None) -> RetryableError:
    # NOMADS answers bot-like traffic with a redirect to an HTML page: a throttle, not the object's content.
    page = f" ({where})" if where else ""
    return RetryableError(f"answered with an HTML page{page} instead of data: throttled?")


def _check_status(response: urllib3.BaseHTTPResponse, url: str) -> None:
    status = response.status
    if status in NOT_FOUND_STATUSES:
        raise SourceNotFoundError(f"{url}: not found ({status})")
    if status == 416:
        unsatisfied = _UNSATISFIED_RANGE.fullmatch(response.headers.get("Content-Range", ""))
        raise RangeNotSatisfiableError(int(unsatisfied["total"]) if unsatisfied else 0)
    if status in RETRYABLE_STATUSES:
        raise RetryableError(f"HTTP {status}", retry_after=retry_after_seconds(response.headers.get("Retry-After")))
    if not 200 <= status < 300:
        raise SourceUnavailableError(f"{url}: HTTP {status}")
    if is_html(response.headers.get("Content-Type")):
        raise html_answer(response.url or url)


def retry_after_seconds(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (a number of seconds or an HTTP date); None if absent or unreadable."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def http_get(url: str, byte_range: ByteRange | None, timeout: urllib3.Timeout, user_agent: str) -> bytes:
    """The object, or the bytes of `byte_range` (fewer only where the object ends before the range does)."""
    headers = {}
    if byte_range is not None:
        start, end = byte_range
        headers["Range"] = f"bytes={start}-{'' if end is None else end - 1}"
    response = _request("GET", url, headers, timeout, user_agent)
    data = response.data
    if byte_range is None:
        return data
    if response.status != 206:  # a server that ignores Range sends the whole object
        if start >= len(data):
            raise RangeNotSatisfiableError(len(data))
        return data[start:end]
    answered = _CONTENT_RANGE.fullmatch(response.headers.get("Content-Range", ""))
    if answered is None or int(answered["first"]) != start:
        raise RetryableError(f"answered {response.headers.get('Content-Range')!r} to a range from byte {start}")
    declared = int(answered["last"]) - start + 1
    if len(data) != declared:
        raise RetryableError(f"short body: {len(data)} of the {declared} bytes of its range")
    requested = (int(answered["total"]) if end is None else end) - start
    if declared < requested and int(answered["last"]) + 1 != int(answered["total"]):
        raise RetryableError(f"short range: {declared} of {requested} bytes before the end of the object")
    return data


def http_head(url: str, timeout: urllib3.Timeout, user_agent: str) -> ObjectHead:
    response = _request("HEAD", url, {}, timeout, user_agent)
    length, modified = response.headers.get("Content-Length"), response.headers.get("Last-Modified")
    if length is None or not length.isdigit() or modified is None:
        raise SourceUnavailableError(f"{url}: HEAD gave no Content-Length or Last-Modified")
    try:
        last_modified = email.utils.parsedate_to_datetime(modified)
    except (TypeError, ValueError):
        raise SourceUnavailableError(f"{url}: HEAD gave an unreadable Last-Modified {modified!r}") from None
    return ObjectHead(size=int(length), etag=response.headers.get("ETag"), last_modified=last_modified)
