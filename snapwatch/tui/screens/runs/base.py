"""What the run history screens share: a header, a keyed table, a detail panel with every
column of the highlighted row in full (errors are long, and a table at 80 columns hides
some columns), the footer; ``enter`` opens the highlighted row, ``escape`` goes back one
level.

A deeper level is read first and opened when its data is ready: the screen keeps what it
shows until then (never a blank frame).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, ClassVar
from uuid import UUID

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Static

from snapwatch.infra.config import KeysSettings, Settings
from snapwatch.infra.dbsession import Conn
from snapwatch.tui import keymap
from snapwatch.tui.data import AppData
from snapwatch.tui.panes.table import KeyedTable
from snapwatch.tui.screens.help import HelpScreen
from snapwatch.tui.screens.inspect.reads import ReadingScreen
from snapwatch.tui.screens.runs.text import joined
from snapwatch.tui.widgets.keys_footer import KeysFooter

NAVIGATION: tuple[tuple[str, str], ...] = (
    ("↑ ↓ PgUp PgDn", "move (the panel below shows the row in full)"),
    ("← →", "scroll sideways (tables wider than the screen)"),
    ("ctrl+p", "command palette: every action of this screen"),
)


@dataclass(frozen=True)
class RunsContext:
    """The app's database session and settings, and the app's own scheduler instance
    (marked ``(this)``; None when it runs none)."""

    data: AppData
    settings: Settings
    mine: UUID | None


class OpenTable(KeyedTable):
    """``enter`` opens the highlighted row (the screen's ``open``), remappable as
    ``runs_open``."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            keymap.default_key("runs_open"),
            "screen.open",
            keymap.BY_ID["runs_open"].description,
            id="runs_open",
        )
    ]


class RunsBase(ReadingScreen):
    ACTIONS = keymap.RUNS_ACTIONS
    BINDINGS: ClassVar[list[BindingType]] = keymap.screen_bindings(
        tuple(a for a in keymap.RUNS_ACTIONS if a.id != "runs_open")
    )
    DEFAULT_CSS = """
    RunsBase { layout: vertical; }
    RunsBase .runs-header { height: auto; padding: 0 1; background: $boost; }
    RunsBase OpenTable { height: 1fr; min-height: 5; border: round $primary-darken-1; }
    RunsBase OpenTable:focus { border: round $primary; }
    RunsBase .runs-detail { height: auto; max-height: 45%; padding: 0 1;
                            border: round $primary-darken-1; }
    """
    NOTES: ClassVar[tuple[str, ...]] = ()

    def __init__(self, context: RunsContext, table: OpenTable) -> None:
        super().__init__()
        self.context = context
        self.data = context.data
        self.table = table
        self.header = Static(classes="runs-header")
        self.detail = Static(classes="runs-detail")
        self._opening = False
        """A deeper level is being read: ``enter`` again waits for it."""

    def compose(self) -> ComposeResult:
        yield self.header
        yield self.table
        yield self.detail
        yield KeysFooter()

    def on_mount(self) -> None:
        self.detail.border_title = "highlighted row"
        self.table.focus()

    def detail_of(self, key: str) -> list[Text]:
        """The highlighted row in full (``key``: its row key)."""
        raise NotImplementedError

    def show_detail(self) -> None:
        key = self.table.cursor_key
        lines = self.detail_of(key) if key is not None else []
        self.detail.update(joined(lines or [Text("nothing here", style="dim")]))

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self.show_detail()

    def open_next(
        self, work: Callable[[Conn], Awaitable[Any]], make: Callable[[Any], Screen[None]]
    ) -> None:
        """Read ``work``, then open the screen ``make`` builds from its result."""
        if self._opening:
            return
        self._opening = True

        def opened(found: Any) -> None:
            self._opening = False
            self.app.push_screen(make(found))

        def failed(line: str) -> None:
            self._opening = False
            self.say(line, "warning")

        self.fetch(work, opened, failed)

    def action_open(self) -> None:
        raise NotImplementedError

    def key_settings(self) -> KeysSettings:
        return self.context.settings.keys

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen(self.shown_keys(), self.NOTES, NAVIGATION))

    def action_close(self) -> None:
        self.dismiss(None)
