"""The inspection screen (for now): the ``snapwatch inspect`` summary of one snapshot.

The text is rendered by :func:`snapwatch.commands.inspect_render.render_snapshot`, the
same as the command line prints; it is read in a worker before this screen opens.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


class InspectScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,enter", "close", "Close", id="inspect.close"),
    ]

    def __init__(self, title: str, body: str) -> None:
        super().__init__()
        self._title = title
        self._body = body

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="inspect"):
            yield Static(Text(self._body), id="inspect-body")

    def on_mount(self) -> None:
        box = self.query_one("#inspect", VerticalScroll)
        box.border_title = self._title
        box.border_subtitle = "escape closes"
        box.focus()

    def action_close(self) -> None:
        self.dismiss(None)
