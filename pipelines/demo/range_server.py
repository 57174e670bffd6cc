"""A loopback HTTP server for a folder, with byte ranges (206/416, suffix ranges) and S3-style preconditions
(If-Match, If-Unmodified-Since: 412 when the object changed)."""

import email.utils
import http.server
import threading
from email.message import Message
from pathlib import Path
from typing import NamedTuple
from urllib.parse import unquote, urlparse

from datasets.common.config_models import FrozenBaseModel


class RequestRecord(FrozenBaseModel):
    method: str
    path: str
    range: str | None


class Response(NamedTuple):
    status: int
    headers: dict[str, str]
    body: bytes


class RangeServer:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.requests: list[RequestRecord] = []
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler_class(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def requests_for(self, path: str) -> list[RequestRecord]:
        return [r for r in self.requests if r.path == path.lstrip("/")]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def respond(self, handler: "RequestHandler", request: RequestRecord) -> None:
        """Answer one request (a subclass may answer otherwise, e.g. to inject faults)."""
        handler.send(self.file_response(request, handler.headers))

    def file_response(self, request: RequestRecord, preconditions: Message | None = None) -> Response:
        """The file's answer to `request`; `preconditions`: the request's headers, for If-Match and
        If-Unmodified-Since."""
        file = (self.root / request.path).resolve()
        if not file.is_relative_to(self.root) or not file.is_file():
            return Response(404, {}, b"")
        data = file.read_bytes()
        size = len(data)
        headers = {
            "Accept-Ranges": "bytes",
            "Last-Modified": email.utils.formatdate(file.stat().st_mtime, usegmt=True),
            "ETag": f'"{file.stat().st_mtime_ns:x}-{size:x}"',
        }
        if preconditions is not None and not _preconditions_hold(preconditions, headers["ETag"], file.stat().st_mtime):
            return Response(412, {}, b"")
        if not request.range:
            return Response(200, headers, data)
        try:
            byte_range = parse_range(request.range, size)
        except ValueError:
            return Response(200, headers, data)
        if byte_range is None:
            return Response(416, {"Content-Range": f"bytes */{size}"}, b"")
        first, last = byte_range
        return Response(206, headers | {"Content-Range": f"bytes {first}-{last}/{size}"}, data[first : last + 1])


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


def _preconditions_hold(request_headers: Message, etag: str, modified: float) -> bool:
    if (if_match := request_headers.get("If-Match")) is not None:
        wanted = {_bare_etag(tag) for tag in if_match.split(",")}
        if "*" not in wanted and _bare_etag(etag) not in wanted:
            return False
    if (since := request_headers.get("If-Unmodified-Since")) is not None:
        limit = email.utils.parsedate_to_datetime(since).timestamp()
        if int(modified) > limit:
            return False
    return True


class RequestHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in separate writes: don't wait for an ACK between
    range_server: RangeServer

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_HEAD(self) -> None:
        self._respond()

    def do_GET(self) -> None:
        self._respond()

    def _respond(self) -> None:
        path = unquote(urlparse(self.path).path).lstrip("/")
        request = RequestRecord(method=self.command, path=path, range=self.headers.get("Range"))
        self.range_server.requests.append(request)
        self.range_server.respond(self, request)

    def start_response(self, response: Response, content_length: int | None = None) -> None:
        """Status and headers; Content-Length is the body's unless given."""
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body) if content_length is None else content_length))
        self.end_headers()

    def send(self, response: Response) -> None:
        self.start_response(response)
        if self.command != "HEAD":
            self.wfile.write(response.body)


def _handler_class(server: RangeServer) -> type[RequestHandler]:
    return type("BoundRequestHandler", (RequestHandler,), {"range_server": server})
