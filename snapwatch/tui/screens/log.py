"""The log view: what the app logged (to its log file) while it runs, newest last."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Log, Static

from snapwatch.tui.logfile import RingHandler
from snapwatch.tui.plain import plain

FOLLOW_SECONDS = 1.0


class LogScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,l", "close", "Close", id="log.close"),
    ]

    def __init__(self, ring: RingHandler, path: Path | None) -> None:
        super().__init__()
        self._ring = ring
        self._path = path
        self._seen = 0

    def compose(self) -> ComposeResult:
        with Vertical(id="log"):
            where = str(self._path) if self._path else "no log file (not writable)"
            yield Static(plain(f"log file: {where}"), id="log-path")
            yield Log(id="log-lines", highlight=False, auto_scroll=True)

    def on_mount(self) -> None:
        self.query_one("#log", Vertical).border_title = "Log"
        self.query_one("#log", Vertical).border_subtitle = "escape closes"
        self._follow()
        self.set_interval(FOLLOW_SECONDS, self._follow)
        self.query_one(Log).focus()

    def _follow(self) -> None:
        lines = self._ring.since(self._seen)
        if not lines:
            if self._seen == 0:
                self.query_one(Log).write_line("(nothing logged yet)")
                self._seen = -1
            return
        self._seen = lines[-1][0]
        self.query_one(Log).write_lines([line for _, line in lines])

    def action_close(self) -> None:
        self.dismiss(None)
