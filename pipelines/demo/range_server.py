"""A loopback HTTP server for a folder, with byte ranges (206/416, suffix ranges), S3-style preconditions
(If-Match, If-Unmodified-Since: 412 when the object changed) and injectable failures."""

import email.utils
import http.server
import threading
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from datasets.common.config_models import FrozenBaseModel


class RequestRecord(FrozenBaseModel):
    method: str
    path: str
    range: str | None


class _Failure:
    def __init__(self, status: int, times: int | None) -> None:
        self.status = status
        self.remaining = times


class RangeServer:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.requests: list[RequestRecord] = []
        self._failures: dict[str, _Failure] = {}
        self._lock = threading.Lock()
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler_class(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def fail(self, path: str, status: int = 500, times: int | None = None) -> None:
        """Answer `status` for `path` (relative to the root) `times` times, or always when None."""
        with self._lock:
            self._failures[path.lstrip("/")] = _Failure(status, times)

    def requests_for(self, path: str) -> list[RequestRecord]:
        return [r for r in self.requests if r.path == path.lstrip("/")]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def _failure_status(self, path: str) -> int | None:
        with self._lock:
            failure = self._failures.get(path)
            if failure is None or failure.remaining == 0:
                return None
            if failure.remaining is not None:
                failure.remaining -= 1
            return failure.status


def parse_range(header: str, size: int) -> tuple[int, int] | None:
    """Inclusive (first, last) for a single `bytes=` range; None when unsatisfiable. Raises ValueError if malformed."""
    unit, _, spec = header.partition("=")
    if unit.strip() != "bytes" or "," in spec:
        raise ValueError(f"unsupported range {header!r}")
    first_text, _, last_text = spec.strip().partition("-")
    if not first_text:
        suffix = int(last_text)
        if suffix == 0 or size == 0:
            return None
        return (max(0, size - suffix), size - 1)
    first = int(first_text)
    last = int(last_text) if last_text else size - 1
    if last < first:
        raise ValueError(f"malformed range {header!r}")
    if first >= size:
        return None
    return (first, min(last, size - 1))


def _bare_etag(tag: str) -> str:
    return tag.strip().removeprefix("W/").strip('"')


def _preconditions_hold(request_headers: Any, etag: str, modified: float) -> bool:
    if (if_match := request_headers.get("If-Match")) is not None:
        wanted = {_bare_etag(tag) for tag in if_match.split(",")}
        if "*" not in wanted and _bare_etag(etag) not in wanted:
            return False
    if (since := request_headers.get("If-Unmodified-Since")) is not None:
        limit = email.utils.parsedate_to_datetime(since).timestamp()
        if int(modified) > limit:
            return False
    return True


def _handler_class(server: RangeServer) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out in separate writes: don't wait for an ACK between

        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_HEAD(self) -> None:
            self._respond(send_body=False)

        def do_GET(self) -> None:
            self._respond(send_body=True)

        def _empty(self, status: int, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def _respond(self, send_body: bool) -> None:
            path = unquote(urlparse(self.path).path).lstrip("/")
            range_header = self.headers.get("Range")
            server.requests.append(RequestRecord(method=self.command, path=path, range=range_header))
            if (status := server._failure_status(path)) is not None:
                return self._empty(status)
            file = (server.root / path).resolve()
            if not file.is_relative_to(server.root) or not file.is_file():
                return self._empty(404)
            data = file.read_bytes()
            size = len(data)
            headers = {
                "Accept-Ranges": "bytes",
                "Last-Modified": email.utils.formatdate(file.stat().st_mtime, usegmt=True),
                "ETag": f'"{file.stat().st_mtime_ns:x}-{size:x}"',
            }
            if not _preconditions_hold(self.headers, headers["ETag"], file.stat().st_mtime):
                return self._empty(412)
            status, body = 200, data
            if range_header:
                try:
                    byte_range = parse_range(range_header, size)
                except ValueError:
                    byte_range = (0, size - 1) if size else None
                    range_header = None
                if byte_range is None:
                    return self._empty(416, {"Content-Range": f"bytes */{size}"})
                if range_header:
                    first, last = byte_range
                    status, body = 206, data[first : last + 1]
                    headers["Content-Range"] = f"bytes {first}-{last}/{size}"
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if send_body:
                self.wfile.write(body)
            return None

    return Handler
