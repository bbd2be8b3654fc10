"""The Sites pane: every site with its cadence, last and next snapshot and health.

Sortable (``s`` cycles the keys, named in the title) and filterable (``/``: name,
program or state). Rows are keyed by site id; the cursor stays on its site through
refreshes, sorts and filters. The last-snapshot and next-due cells tick every second from
the last read, only those whose text changes (:class:`~snapwatch.tui.countdown.Ticker`).
A line under the table says everything about the highlighted site, so what narrow
columns shorten is still readable.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.message import Message
from textual.widgets import DataTable, Input, Static

from snapwatch.readmodels.sites import SiteOverview, only_timed_changed
from snapwatch.tui.countdown import Ticker
from snapwatch.tui.panes.pane import Pane
from snapwatch.tui.panes.sites_model import (
    LAST,
    NEXT,
    REASON,
    SORTS,
    SPECS,
    arrange,
    detail_line,
    reason_cell,
    site_row,
    time_cells,
)
from snapwatch.tui.panes.table import KeyedTable, Row
from snapwatch.tui.plain import plain


class SitesTable(KeyedTable):
    SPECS = SPECS

    def __init__(self) -> None:
        super().__init__(id="sites", fixed_columns=1)

    @property
    def site_keys(self) -> list[str]:
        return self.row_keys


class SitesPane(Pane):
    class Highlighted(Message):
        """The highlighted site changed (None: no site shows)."""

        def __init__(self, site: SiteOverview | None) -> None:
            super().__init__()
            self.site = site

    class Chosen(Message):
        """enter (or a click) on a site."""

        def __init__(self, site: SiteOverview) -> None:
            super().__init__()
            self.site = site

    def __init__(self) -> None:
        super().__init__("sites", "Sites")
        self.table = SitesTable()
        self.filter_input = Input(placeholder="filter: name, program or state", id="sites-filter")
        self.detail = Static("", id="sites-detail")
        self.sites: dict[str, SiteOverview] = {}
        self._read: list[SiteOverview] = []
        self._read_at: datetime | None = None
        self.sort_index = 0
        self.filter_text = ""
        self._ticker = Ticker()
        self._built: dict[str, SiteOverview] = {}
        """Per shown site, the read its row was built from."""
        self._highlighted: str | None = None

    def compose(self) -> ComposeResult:
        yield self.filter_input
        yield self.table
        yield self.detail

    def on_mount(self) -> None:
        self.filter_input.display = False
        self._retitle()

    # -- feeding ------------------------------------------------------------------------

    def show(self, sites: Sequence[SiteOverview], now: datetime) -> None:
        self._read = list(sites)
        self._read_at = now
        self._redraw(now)

    def _redraw(self, now: datetime) -> None:
        shown = arrange(self._read, SORTS[self.sort_index], self.filter_text)
        self.sites = {str(s.site_id): s for s in shown}
        rows: dict[str, Row] = {}
        for key, site in self.sites.items():
            before = self._built.get(key)
            current = self.table.row_of(key)
            if before is not None and current is not None:
                if before is site or before == site:
                    rows[key] = current  # unchanged: its time cells are kept by the ticker
                    continue
                if only_timed_changed(before, site):  # judged as before, a later instant
                    rows[key] = (*current[:REASON], reason_cell(site))
                    self._built[key] = site
                    continue
            row, change = site_row(site, now)
            rows[key] = row
            self._built[key] = site
            self._ticker.schedule(key, change)
        for key in [k for k in self._built if k not in self.sites]:
            del self._built[key]
            self._ticker.forget(key)
        self.table.show_rows(rows)
        self._retitle()
        self._announce()

    def tick(self, now: datetime) -> int:
        """Re-render the time cells whose text changed since ``now`` moved on."""

        def update(key: object) -> datetime | None:
            site = self.sites.get(str(key))
            if site is None:
                return None
            last, nxt, change = time_cells(site, now)
            self.table.update_row_cells(str(key), {LAST: last, NEXT: nxt})
            return change

        return self._ticker.run(now, update)

    # -- sort and filter -----------------------------------------------------------------

    @property
    def sort_name(self) -> str:
        return SORTS[self.sort_index].name

    def cycle_sort(self, now: datetime) -> str:
        self.sort_index = (self.sort_index + 1) % len(SORTS)
        self._redraw(now)
        return self.sort_name

    def open_filter(self) -> None:
        self.filter_input.display = True
        self.filter_input.value = self.filter_text
        self.filter_input.focus()

    def set_filter(self, query: str, now: datetime) -> None:
        self.filter_text = query
        self._redraw(now)

    def clear_filter(self, now: datetime) -> None:
        self.filter_input.display = False
        self.filter_input.value = ""
        self.set_filter("", now)
        self.table.focus()

    @on(Input.Changed, "#sites-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        event.stop()
        if self._read_at is not None:
            self.set_filter(event.value, self.app_now())

    @on(Input.Submitted, "#sites-filter")
    def _filter_done(self, event: Input.Submitted) -> None:
        event.stop()
        if not self.filter_text:
            self.filter_input.display = False
        self.table.focus()

    def app_now(self) -> datetime:
        clock = getattr(self.app, "clock", None)
        if clock is not None:
            now: datetime = clock.now()
            return now
        assert self._read_at is not None
        return self._read_at

    # -- selection ----------------------------------------------------------------------

    @property
    def selected(self) -> SiteOverview | None:
        key = self.table.cursor_key
        return self.sites.get(key) if key is not None else None

    def select(self, site_id: UUID, now: datetime) -> bool:
        """Put the cursor on a site (clearing a filter that hides it)."""
        key = str(site_id)
        if key not in self.sites and self.filter_text:
            self.clear_filter(now)
        return self.table.move_to(key)

    @on(DataTable.RowHighlighted, "#sites")
    def _highlighted_row(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self._announce()

    @on(DataTable.RowSelected, "#sites")
    def _selected_row(self, event: DataTable.RowSelected) -> None:
        event.stop()
        site = self.sites.get(str(event.row_key.value))
        if site is not None:
            self.post_message(self.Chosen(site))

    def _announce(self) -> None:
        site = self.selected
        self.detail.update(plain(detail_line(site)) if site else Text(""))
        key = None if site is None else str(site.site_id)
        if key != self._highlighted:
            self._highlighted = key
            self.post_message(self.Highlighted(site))

    def _retitle(self) -> None:
        count = (
            f"{len(self.sites)} of {len(self._read)}" if self.filter_text else f"{len(self._read)}"
        )
        shown_filter = f'filter "{self.filter_text}"' if self.filter_text else ""
        self.set_title(count, f"by {self.sort_name}", shown_filter)
