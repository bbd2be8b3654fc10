"""The help screen: every key in effect (after any remapping), and how to leave."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

NAVIGATION: tuple[tuple[str, str], ...] = (
    ("↑ ↓ PgUp PgDn", "move in a table"),
    ("← →", "scroll sideways (tables wider than the pane)"),
    ("ctrl+p", "command palette: every action, and a site by name"),
    ("escape", "close a dialog or this screen; clear the filter"),
)


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "close", "Close", id="help.close"),
    ]

    def __init__(
        self,
        keys: Iterable[tuple[str, str]],
        notes: Iterable[str] = (),
        navigation: Iterable[tuple[str, str]] = NAVIGATION,
    ) -> None:
        super().__init__()
        self._keys = list(keys)
        self._notes = list(notes)
        self._navigation = list(navigation)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help"):
            yield Static("Keys", id="help-title")
            yield Static(key_list([*self._keys, *self._navigation]), id="help-keys")
            for note in self._notes:
                yield Static(Text(note), classes="help-note")
            yield Static("escape or ? closes this screen", id="help-hint")

    def action_close(self) -> None:
        self.dismiss(None)


def key_list(keys: list[tuple[str, str]]) -> Text:
    """Keys in an aligned column, each followed by what it does."""
    width = max((cell_len(key) for key, _ in keys), default=0)
    text = Text()
    for i, (key, what) in enumerate(keys):
        if i:
            text.append("\n")
        text.append(key + " " * (width - cell_len(key)), style="bold")
        text.append(f"  {what}")
    return text
