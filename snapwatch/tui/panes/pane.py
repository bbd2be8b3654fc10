"""A pane: a bordered box with a title that says what it shows."""

from __future__ import annotations

from textual.containers import Vertical

from snapwatch.tui.plain import literal


class Pane(Vertical):
    """The four panes share this frame (see ``app.tcss``); ``pane_id`` names it for the
    tabs and the number keys. The title's parts may be platform text (a site's name):
    shown as literal text."""

    def __init__(self, pane_id: str, title: str) -> None:
        super().__init__(id=f"pane-{pane_id}", classes="pane")
        self.pane_id = pane_id
        self.base_title = title
        self.border_title = title

    def set_title(self, *parts: str) -> None:
        self.border_title = literal(" · ".join([self.base_title, *[p for p in parts if p]]))
