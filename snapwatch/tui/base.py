"""What both apps share: their log, plain-text notifications, and a crash that is reported.

Textual shows a notification's message as markup unless told otherwise; every
notification here is literal text made printable, since messages name platform text (a
site called ``[@click=app.quit]z[/]`` is shown as typed, not made a link that quits).

An exception nobody handled ends a Textual app: it prints a traceback on the terminal
(with its locals, platform text among them) and ``run()`` returns normally, so the
process would exit 0. Here the traceback goes to the log file, nothing is printed over
the terminal, and :func:`run_to_end` turns the crash into :class:`InternalError`: one
line and exit code 4, as for any command.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

from rich.console import Console
from textual.app import App
from textual.notifications import SeverityLevel

from snapwatch.infra.errors import EXIT_OK, InternalError
from snapwatch.text.inert import printable
from snapwatch.tui.logfile import AppLogging, RingHandler

log = logging.getLogger(__name__)


class BaseApp(App[int]):
    def __init__(self, log_path: Path | None = None) -> None:
        super().__init__()
        self.ring = RingHandler()
        self.app_logging = AppLogging(self.ring, log_path)
        self.crash: BaseException | None = None
        """The first exception that ended the app."""
        self.error_console = Console(file=io.StringIO())  # Textual's traceback: not shown

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """A notification, always as literal text (``markup`` is ignored)."""
        super().notify(
            printable(message),
            title=printable(title),
            severity=severity,
            timeout=timeout,
            markup=False,
        )

    def _handle_exception(self, error: Exception) -> None:
        """Textual's one hook for an exception nobody handled (it then ends the app): the
        first is kept for :func:`run_to_end` and logged with its traceback."""
        if self.crash is None:
            self.crash = error
            log.critical("internal error: the app stops", exc_info=error)
        super()._handle_exception(error)


def run_to_end(app: BaseApp) -> int:
    """Run ``app`` until it ends; its exit code, or :class:`InternalError` when an
    exception ended it (the traceback is in the log file)."""
    code = app.run()
    if app.crash is not None:
        path = app.app_logging.path
        where = f"traceback in {path}" if path is not None else "rerun with --debug"
        raise InternalError.of(app.crash, where) from app.crash
    if app.return_code:
        raise InternalError(f"internal error: the app ended with code {app.return_code}")
    return code if isinstance(code, int) else EXIT_OK
