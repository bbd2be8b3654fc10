"""The sites table: rows keyed by site id, updated in place so the cursor stays put."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from rich.text import Text
from textual import events
from textual.widgets import DataTable

from snapwatch.readmodels.display import UNSET_TIMEZONE
from snapwatch.readmodels.sites import SiteOverview
from snapwatch.tui.columns import (
    CELL_PADDING,
    COLUMN_KEYS,
    COLUMNS,
    Layout,
    SiteRow,
    fit_row,
    plan_layout,
    site_row,
)

# Values that mean "nothing here": shown dimmed, readable without colour too.
_ABSENT = frozenset({"none", "never", UNSET_TIMEZONE})


class SitesTable(DataTable[Text]):
    """Shows a sites overview. Knows nothing about the database: it is given rows."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(
            id=id,
            cursor_type="row",
            zebra_stripes=True,
            cell_padding=CELL_PADDING,
            fixed_columns=1,
        )
        self._rows: dict[str, SiteRow] = {}
        self._shown: dict[str, SiteRow] = {}
        self._site_cells: dict[str, Text] = {}
        self._layout: Layout | None = None

    @property
    def site_keys(self) -> list[str]:
        """Row keys (site ids) in display order."""
        return [str(row.key.value) for row in self.ordered_rows]

    @property
    def cursor_key(self) -> str | None:
        """The site id under the cursor."""
        if self.row_count == 0:
            return None
        return str(self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value)

    def show_sites(self, sites: Sequence[SiteOverview], now: datetime) -> None:
        """Show ``sites`` in the given order, changing only what changed."""
        self._rows = {str(s.site_id): site_row(s, now) for s in sites}
        if self.size.width:  # not laid out yet: the first resize applies the rows
            self._apply()

    def on_resize(self, _event: events.Resize) -> None:
        self._apply()

    def _apply(self) -> None:
        layout = plan_layout(self._usable_width(), list(self._rows.values()))
        cursor_key = self.cursor_key
        if layout != self._layout:
            self._rebuild(layout)
        else:
            self._update_in_place(layout)
        self._restore_cursor(cursor_key)

    def _usable_width(self) -> int:
        width = self.size.width
        if len(self._rows) + 1 > self.size.height:  # rows plus the header row
            width -= self.styles.scrollbar_size_vertical
        return width

    def _rebuild(self, layout: Layout) -> None:
        self.clear(columns=True)
        for spec, label, width in zip(COLUMNS, layout.labels, layout.widths, strict=True):
            justify: Any = "right" if spec.right_aligned else "left"
            self.add_column(Text(label, justify=justify), key=spec.key, width=width)
        self._shown.clear()
        self._site_cells.clear()
        for key, row in self._rows.items():
            self._add(key, fit_row(row, layout))
        self._layout = layout

    def _update_in_place(self, layout: Layout) -> None:
        for key in [k for k in self._shown if k not in self._rows]:
            self.remove_row(key)
            del self._shown[key]
            del self._site_cells[key]
        for key, row in self._rows.items():
            shown = fit_row(row, layout)
            before = self._shown.get(key)
            if before is None:
                self._add(key, shown)
            elif before != shown:
                self._update(key, before, shown)
        order = list(self._rows)
        if self.site_keys != order:
            rank = {id(self._site_cells[key]): i for i, key in enumerate(order)}
            self.sort("site", key=lambda cell: rank[id(cell)])

    def _add(self, key: str, shown: SiteRow) -> None:
        cells = [_cell(i, value) for i, value in enumerate(shown)]
        self.add_row(*cells, key=key)
        self._shown[key] = shown
        self._site_cells[key] = cells[0]

    def _update(self, key: str, before: SiteRow, shown: SiteRow) -> None:
        for i, (old, new) in enumerate(zip(before, shown, strict=True)):
            if old != new:
                cell = _cell(i, new)
                self.update_cell(key, COLUMN_KEYS[i], cell)
                if i == 0:
                    self._site_cells[key] = cell
        self._shown[key] = shown

    def _restore_cursor(self, key: str | None) -> None:
        if key is None or key not in self._shown:
            return
        index = self.get_row_index(key)
        if index != self.cursor_row:
            self.move_cursor(row=index)


def _cell(index: int, value: str) -> Text:
    spec = COLUMNS[index]
    style = "dim" if index >= 2 and value in _ABSENT else ""
    justify: Any = "right" if spec.right_aligned else "left"
    return Text(value, style=style, justify=justify, no_wrap=True, overflow="ellipsis")
