import json
import threading
from collections.abc import Generator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    requests: list[tuple[str, str, dict[str, str], dict[str, Any]]] = field(default_factory=list)


@contextmanager
def fake_argo_server() -> Generator[tuple[str, Received]]:
    """A loopback stand-in for the Argo Server's `POST /api/v1/workflows/{namespace}`."""
    received = Received()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            received.requests.append(("POST", self.path, dict(self.headers), body))
            workflow = body["workflow"]
            workflow["metadata"]["name"] = workflow["metadata"]["generateName"] + "x7k2q"
            payload = json.dumps(workflow).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}", received
    finally:
        server.shutdown()
        server.server_close()
