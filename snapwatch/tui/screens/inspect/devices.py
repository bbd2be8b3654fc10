"""The inspection screen's device table: one row a device, updated in place by key while
the timeline steps, the device code fixed at the left and the other columns scrolled a
whole column at a time.

The table is as wide as the columns it shows, up to a budget the screen gives: it never
ends in a column cut to a stub. Scrolling chooses the first column shown after the code;
the table then takes the width of the columns from there that fit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import accumulate

from rich.text import Text
from textual.widgets import DataTable

from snapwatch.text.inert import printable

COLUMNS: tuple[tuple[str, str], ...] = (
    ("device", "DEVICE"),
    ("mgi", "MGI"),
    ("band", "BAND"),
    ("delta", "Δ"),
    ("velocity", "VEL/DAY"),
    ("mgi_data", "MGI DATA"),
    ("position", "POSITION"),
    ("temperature", "°F"),
    ("humidity", "%RH"),
    ("telemetry", "TELEM"),
)
"""Column key and header, in order: the first (the code) stays while the rest scroll."""
CODE_WIDTH = 24
"""Cells of the code column when a code is longer (the detail panel shows all of it)."""
CHROME = 3
"""Cells besides the columns: the border either side and the vertical scrollbar."""

Row = tuple[str, Sequence[Text]]
"""A device's key and its cells, one a column."""


class DeviceTable(DataTable[Text]):
    DEFAULT_CSS = """
    DeviceTable { scrollbar-size-vertical: 1; scrollbar-gutter: stable; }
    """

    def __init__(self, codes: Iterable[str], *, id: str | None = None) -> None:
        """``codes``: the device codes first shown; when one is longer than
        :data:`CODE_WIDTH`, the code column is that wide (else as wide as its codes)."""
        super().__init__(id=id, cursor_type="row", zebra_stripes=True, fixed_columns=1)
        self.first_column = 1
        """The column shown right of the code (columns are counted from the code's 0)."""
        self.budget = 0
        """Cells the screen lets the table take (0: as many as its columns want)."""
        self._fitted: tuple[object, ...] = ()
        """What the last fit was for: the column widths, the first column, the budget."""
        long_codes = any(len(printable(code)) > CODE_WIDTH for code in codes)
        for key, label in COLUMNS:
            fixed = CODE_WIDTH if key == "device" and long_codes else None
            self.add_column(label, key=key, width=fixed)

    def show(self, rows: Sequence[Row], selected: str | None) -> None:
        """The rows, updated in place when the devices are the same ones in the same
        order (the cursor and the scroll stay), else written anew (the scroll stays)."""
        if [key for key, _ in rows] == [key.value for key in self.rows]:
            for key, cells in rows:
                for (column, _), cell in zip(COLUMNS, cells, strict=True):
                    shown = self.get_cell(key, column)
                    if shown != cell or shown.style != cell.style:  # == leaves out the style
                        self.update_cell(key, column, cell, update_width=True)
        else:
            scroll_x = self.scroll_x
            self.clear()
            for key, cells in rows:
                self.add_row(*cells, key=key)
            self.call_after_refresh(self.scroll_to, x=scroll_x, animate=False)
        if selected is not None and selected in {key for key, _ in rows}:
            row = self.get_row_index(selected)
            if row != self.cursor_row:
                self.move_cursor(row=row, animate=False)

    def on_idle(self) -> None:
        """Fit again once the table has measured its columns (it does when idle)."""
        self.fit()

    def scroll_columns(self, step: int) -> bool:
        """Show the columns from ``step`` columns further right (left when negative);
        say whether anything moved."""
        last = len(self.ordered_columns) - 1
        target = min(max(self.first_column + step, 1), last)
        while target > self.first_column and self._all_fit_from(self.first_column):
            target -= 1  # the last columns are shown whole already
        if target == self.first_column:
            return False
        self.first_column = target
        self.fit()
        return True

    def set_budget(self, budget: int) -> None:
        self.budget = budget
        self.fit()

    def fit(self) -> None:
        """Take the width of the code and of the columns from :attr:`first_column` that
        fit the budget (all of them when they do), scrolled to that column."""
        widths = self._widths()
        if (widths, self.first_column, self.budget) == self._fitted:
            return
        self._fitted = (widths, self.first_column, self.budget)
        wanted = CHROME + widths[0]
        for width in widths[self.first_column :]:
            if self.budget and wanted + width > self.budget:
                break
            wanted += width
        if self.budget:
            wanted = min(wanted, self.budget)
        if self.styles.width is None or self.styles.width.cells != wanted:
            self.styles.width = wanted
        start = ([0, *accumulate(widths[1:])])[self.first_column - 1]
        self.call_after_refresh(self.scroll_to, x=start, animate=False)

    def _all_fit_from(self, first: int) -> bool:
        widths = self._widths()
        return not self.budget or CHROME + widths[0] + sum(widths[first:]) <= self.budget

    def _widths(self) -> list[int]:
        return [column.get_render_width(self) for column in self.ordered_columns]
