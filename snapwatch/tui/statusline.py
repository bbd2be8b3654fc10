"""The line under the header: the app's clock, where updates come from, FROZEN.

While the view is frozen the line keeps the parts it showed (the last tick's counts,
warnings, updates) and only the clock moves; the parts that arrived meanwhile show at thaw.
"""

from __future__ import annotations

from datetime import datetime

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from snapwatch.tui.plain import plain

ORDER = ("updates", "tick", "warning", "db")
"""Parts in the order shown: what changes most is read first."""


class StatusLine(Horizontal):
    def __init__(self) -> None:
        super().__init__(id="status")
        self.info = Static("", id="status-info")
        self.frozen_mark = Static(" FROZEN ", id="status-frozen")
        self._parts: dict[str, str] = {}
        self._now: datetime | None = None
        self._held: dict[str, str] | None = None
        """The parts shown when the view was frozen (None while live)."""

    def compose(self) -> ComposeResult:
        yield self.info
        yield self.frozen_mark

    def on_mount(self) -> None:
        self.frozen_mark.display = False

    def set_part(self, name: str, text: str) -> None:
        if self._parts.get(name) != text:
            self._parts[name] = text
            self._render_line()

    def set_now(self, now: datetime) -> None:
        shown = now.replace(microsecond=0)
        if shown != self._now:
            self._now = shown
            self._render_line()

    def set_frozen(self, frozen: bool) -> None:
        self.frozen_mark.display = frozen
        self._held = dict(self._parts) if frozen else None
        self._render_line()

    @property
    def text(self) -> str:
        now = self._now.strftime("%Y-%m-%d %H:%M:%S UTC") if self._now else ""
        shown = self._parts if self._held is None else self._held
        parts = [shown.get(name, "") for name in ORDER]
        return " · ".join(p for p in [now, *parts] if p)

    def _render_line(self) -> None:
        self.info.update(plain(self.text))
