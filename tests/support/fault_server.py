"""The loopback RangeServer with faults injected per path: error statuses (with Retry-After), a redirect to an HTML
page (NOMADS' answer to bot-like traffic), a connection reset mid-body, a body shorter than its range, a slow answer."""

import socket
import struct
import threading
import time
from abc import abstractmethod
from pathlib import Path

from datasets.common.config_models import FrozenBaseModel
from pipelines.demo.range_server import RangeServer, RequestHandler, RequestRecord, Response

THROTTLED_PAGE = "__throttled.html"
EVERY_PATH = "*"


class Fault(FrozenBaseModel):
    @abstractmethod
    def answer(self, server: RangeServer, handler: RequestHandler, request: RequestRecord) -> None: ...


class Status(Fault):
    status: int
    retry_after: str | None = None

    def answer(self, server: RangeServer, handler: RequestHandler, request: RequestRecord) -> None:
        handler.send(Response(self.status, {"Retry-After": self.retry_after} if self.retry_after else {}, b""))


class RedirectToHtml(Fault):
    def answer(self, server: RangeServer, handler: RequestHandler, request: RequestRecord) -> None:
        handler.send(Response(302, {"Location": f"/{THROTTLED_PAGE}"}, b""))


class ResetMidBody(Fault):
    """Headers announce the whole body; half of it is sent, then the connection is reset (TCP RST). HEAD: no fault."""

    def answer(self, server: RangeServer, handler: RequestHandler, request: RequestRecord) -> None:
        response = server.file_response(request)
        if request.method == "HEAD":
            handler.send(response)
            return
        handler.start_response(response)
        handler.wfile.write(response.body[: len(response.body) // 2])
        handler.wfile.flush()
        handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        handler.close_connection = True


class ShortBody(Fault):
    """A range answered with its full Content-Range but half the bytes (a whole object: half, then closed).
    HEAD: no fault."""

    def answer(self, server: RangeServer, handler: RequestHandler, request: RequestRecord) -> None:
        response = server.file_response(request)
        half = response.body[: len(response.body) // 2]
        if request.method == "HEAD":
            handler.send(response)
            return
        if response.status == 206:
            handler.send(response._replace(body=half))
            return
        handler.start_response(response)
        handler.wfile.write(half)
        handler.close_connection = True


class Slow(Fault):
    seconds: float

    def answer(self, server: RangeServer, handler: RequestHandler, request: RequestRecord) -> None:
        time.sleep(self.seconds)
        try:
            handler.send(server.file_response(request))
        except (BrokenPipeError, ConnectionResetError):
            handler.close_connection = True  # the client gave up waiting


class _Injection:
    def __init__(self, fault: Fault, times: int | None) -> None:
        self.fault = fault
        self.remaining = times


class FaultServer(RangeServer):
    def __init__(self, root: Path) -> None:
        self._injections: dict[str, _Injection] = {}
        self._lock = threading.Lock()
        super().__init__(root)

    def inject(self, path: str, fault: Fault, times: int | None = None) -> None:
        """Answer requests for `path` (relative to the root; EVERY_PATH: any) with `fault`, `times` times or
        always when None."""
        with self._lock:
            self._injections[path.lstrip("/")] = _Injection(fault, times)

    def fail(self, path: str, status: int = 500, times: int | None = None) -> None:
        self.inject(path, Status(status=status), times)

    def respond(self, handler: RequestHandler, request: RequestRecord) -> None:
        if request.path == THROTTLED_PAGE:
            page = b"<html><body>Too many requests: please slow down.</body></html>"
            handler.send(Response(200, {"Content-Type": "text/html; charset=utf-8"}, page))
            return
        fault = self._take(request.path)
        if fault is None:
            super().respond(handler, request)
        else:
            fault.answer(self, handler, request)

    def _take(self, path: str) -> Fault | None:
        with self._lock:
            injection = self._injections.get(path) or self._injections.get(EVERY_PATH)
            if injection is None or injection.remaining == 0:
                return None
            if injection.remaining is not None:
                injection.remaining -= 1
            return injection.fault
