"""The Activity screen: every operator action and the schedulers' notable events, newest
first, read again every few seconds while the screen is open.

The list follows the head: while the cursor is on the newest entry, new entries appear
above and the cursor moves to the newest; once the operator has moved it, it stays on its
entry (by key) and the title says how many newer entries arrived. ``/`` filters (a text
over what, who, process, site, result and detail; the database does the matching), the
panel below shows the highlighted entry whole, ``escape`` clears the filter or closes.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.widgets import DataTable, Input, Static

from snapwatch.infra.config import KeysSettings
from snapwatch.readmodels.activity import ActivityEntry, read_activity
from snapwatch.tui import keymap
from snapwatch.tui.data import AppData
from snapwatch.tui.panes.following import HeadFollowingTable, NewerChanged
from snapwatch.tui.plain import literal, plain
from snapwatch.tui.screens.activity.rows import SPECS, entry_row, entry_text
from snapwatch.tui.screens.help import HelpScreen
from snapwatch.tui.screens.inspect.reads import ReadingScreen
from snapwatch.tui.widgets.keys_footer import KeysFooter

POLL_SECONDS = 2.0
"""How often the trail is read again while the screen is open."""


class ActivityTable(HeadFollowingTable):
    SPECS = SPECS

    def __init__(self) -> None:
        super().__init__(id="activity-table")


class ActivityScreen(ReadingScreen):
    ACTIONS = keymap.ACTIVITY_ACTIONS
    BINDINGS: ClassVar[list[BindingType]] = keymap.screen_bindings(keymap.ACTIVITY_ACTIONS)
    DEFAULT_CSS = """
    ActivityScreen { layout: vertical; }
    #activity-filter { height: 3; }
    #activity-table { height: 1fr; border: round $primary-darken-1; }
    #activity-table:focus { border: round $primary; }
    #activity-entry { height: auto; max-height: 5; padding: 0 1; background: $boost; }
    """

    def __init__(self, data: AppData, keys: KeysSettings) -> None:
        super().__init__()
        self.data = data
        self.keys = keys
        self.entries: dict[str, ActivityEntry] = {}
        self.filter_text = ""
        self._reads = 0
        self._reading = False

    def key_settings(self) -> KeysSettings:
        return self.keys

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The tables' ``enter`` (inspect) has nothing to open here: the panel below shows
        the highlighted entry whole."""
        return action != "inspect" and super().check_action(action, parameters)

    def compose(self) -> ComposeResult:
        yield Input(placeholder="filter: what, who, process, site, result or detail",
                    id="activity-filter")  # fmt: skip
        yield ActivityTable()
        yield Static(id="activity-entry")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.filter_input.display = False
        self.table.border_title = literal("Activity")
        self.table.border_subtitle = literal("reading…")
        self.table.focus()
        self.reread()
        self.set_interval(POLL_SECONDS, self._poll)

    @property
    def table(self) -> ActivityTable:
        return self.query_one(ActivityTable)

    @property
    def filter_input(self) -> Input:
        return self.query_one("#activity-filter", Input)

    @property
    def selected(self) -> ActivityEntry | None:
        key = self.table.cursor_key
        return self.entries.get(key) if key is not None else None

    # -- reading --------------------------------------------------------------------------

    def _poll(self) -> None:
        if not self._reading:
            self.reread()

    def reread(self) -> None:
        """Read the latest entries (filtered); the table keeps what it shows until then."""
        self._reads += 1
        self._reading = True
        number, text = self._reads, self.filter_text
        self.fetch(
            lambda conn: read_activity(conn, text=text),
            lambda found: self._show(number, found),
            self._read_failed,
        )

    def _read_failed(self, line: str) -> None:
        self._reading = False
        self.table.border_subtitle = literal(line)

    def _show(self, number: int, found: list[ActivityEntry]) -> None:
        self._reading = False
        if number != self._reads:
            return  # a later read (another filter) is on its way
        self.entries = {str(e.activity_id): e for e in found}
        self.table.show_rows({key: entry_row(e) for key, e in self.entries.items()})
        self._title()
        self._show_entry()

    def _title(self) -> None:
        count = f"{len(self.entries)} newest" if self.entries else "nothing recorded yet"
        if self.filter_text:
            count = f"{len(self.entries)} matching {self.filter_text!r}"
        newer = self.table.newer_text
        self.table.border_subtitle = literal(f"{newer} · {count}" if newer else count)

    @on(NewerChanged)
    def _newer(self, _event: NewerChanged) -> None:
        self._title()

    @on(DataTable.RowHighlighted, "#activity-table")
    def _highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self._show_entry()

    def _show_entry(self) -> None:
        entry = self.selected
        panel = self.query_one("#activity-entry", Static)
        panel.update(entry_text(entry) if entry is not None else plain("no entry"))

    # -- filter -----------------------------------------------------------------------------

    def action_filter(self) -> None:
        self.filter_input.display = True
        self.filter_input.value = self.filter_text
        self.filter_input.focus()

    @on(Input.Changed, "#activity-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        event.stop()
        if event.value != self.filter_text:
            self.filter_text = event.value
            self.reread()

    @on(Input.Submitted, "#activity-filter")
    def _filter_done(self, event: Input.Submitted) -> None:
        event.stop()
        if not self.filter_text:
            self.filter_input.display = False
        self.table.focus()

    # -- help, leaving ------------------------------------------------------------------------

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen(self.shown_keys(), ["↑ ↓ move; newest first"]))

    def action_close(self) -> None:
        """Clear the filter first; with none, back to the live screen."""
        if self.filter_input.display:
            self.filter_input.display = False
            if self.filter_text:
                self.filter_text = ""
                self.filter_input.value = ""
                self.reread()
            self.table.focus()
            return
        self.dismiss(None)
