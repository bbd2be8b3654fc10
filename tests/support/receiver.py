"""An HTTP receiver on 127.0.0.1 in a thread: records every POST (path, body, when it
arrived and when it was answered) and answers each path as told."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    path: str
    body: bytes
    content_type: str
    arrived: float
    """``time.monotonic()`` when the request arrived."""
    answered: float
    """... and when its answer was sent."""

    def json(self) -> dict[str, Any]:
        document: dict[str, Any] = json.loads(self.body)
        return document


class Receiver:
    def __init__(self, answer: Callable[[str], tuple[int, float]] = lambda _: (200, 0.0)):
        """``answer(path)`` is ``(status, seconds to wait before answering)``."""
        self.received: list[Received] = []
        self._answer = answer
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                arrived = time.monotonic()
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, delay = receiver._answer(self.path)
                time.sleep(delay)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()
                received = Received(
                    self.path,
                    body,
                    self.headers.get("Content-Type", ""),
                    arrived,
                    time.monotonic(),
                )
                receiver.received.append(received)

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def under(self, prefix: str) -> list[Received]:
        """The requests to paths under ``prefix``, in the order they arrived."""
        hits = [r for r in list(self.received) if r.path.startswith(prefix)]
        return sorted(hits, key=lambda r: r.arrived)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
