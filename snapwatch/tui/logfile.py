"""While the app runs, log lines go to a file (and to the log view), never to the terminal.

A line written to stderr under a full-screen app lands on top of it. For the app's
lifetime the root logger's handlers (stderr) are replaced by a file handler in the user
state dir and a small in-memory ring the log view (``l``) reads; the redaction filters
of the handlers replaced are kept. Python warnings are routed to logging too. Everything
is put back as it was when the app ends.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from pathlib import Path

import platformdirs

from snapwatch.infra.config import APP_NAME
from snapwatch.infra.logs import TextFormatter

LOG_FILE_NAME = "snapwatch.log"
RING_LINES = 500


def default_log_path() -> Path:
    return platformdirs.user_state_path(APP_NAME) / LOG_FILE_NAME


class RingHandler(logging.Handler):
    """Keeps the last lines in memory (thread-safe), numbered so a view can follow."""

    def __init__(self, size: int = RING_LINES) -> None:
        super().__init__()
        self.lines: deque[tuple[int, str]] = deque(maxlen=size)
        self._count = 0
        self._guard = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record)
        except Exception:
            self.handleError(record)
            return
        with self._guard:
            for line in text.splitlines() or [""]:
                self._count += 1
                self.lines.append((self._count, line))

    def since(self, seen: int) -> list[tuple[int, str]]:
        with self._guard:
            return [(n, line) for n, line in self.lines if n > seen]


class AppLogging:
    """Routes logging to ``path`` (default: the user state dir) and to ``ring`` between
    :meth:`start` and :meth:`stop`. When the file cannot be opened only the ring gets
    the lines (:attr:`path` is then None)."""

    def __init__(self, ring: RingHandler, path: Path | None = None) -> None:
        self.ring = ring
        self.path: Path | None = path or default_log_path()
        self._saved: list[logging.Handler] | None = None
        self._file: logging.FileHandler | None = None

    def start(self) -> None:
        if self._saved is not None:
            return
        root = logging.getLogger()
        self._saved = list(root.handlers)
        filters = [f for h in self._saved for f in h.filters]
        self.ring.setFormatter(TextFormatter())
        handlers: list[logging.Handler] = [self.ring]
        try:
            if self.path is None:
                raise OSError("no log path")
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = logging.FileHandler(self.path, encoding="utf-8")
            self._file.setFormatter(TextFormatter())
            handlers.append(self._file)
        except OSError:
            self.path = None
        for handler in handlers:
            for f in filters:
                handler.addFilter(f)
        root.handlers[:] = handlers
        logging.captureWarnings(True)

    def stop(self) -> None:
        if self._saved is None:
            return
        logging.captureWarnings(False)
        logging.getLogger().handlers[:] = self._saved
        self._saved = None
        if self._file is not None:
            self._file.close()
            self._file = None
