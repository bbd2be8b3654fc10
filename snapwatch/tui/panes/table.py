"""A table whose rows are keyed and updated in place, so the cursor and scroll stay put.

It is given rows (key → cells in column order); it plans its column widths
(:mod:`snapwatch.tui.columns`), rebuilds its columns only when that plan changes, and
otherwise adds, removes, reorders and updates only what changed. Cells are rich
``Text`` (never markup: a site called ``[red]`` shows as typed), their text made printable
when the cell is made (:func:`snapwatch.text.inert.printable`), so columns are planned for the
text as shown and no control character reaches the terminal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, NamedTuple

from rich.text import Text
from textual import events
from textual.binding import BindingType
from textual.widgets import DataTable

from snapwatch.text.inert import printable
from snapwatch.tui import keymap
from snapwatch.tui.columns import GAP, ColumnSpec, Layout, fit_value, plan_layout


class _Cell(NamedTuple):
    text: str
    style: str = ""


class Cell(_Cell):
    """A cell's text as shown (:func:`printable` of the text given) and its style."""

    __slots__ = ()

    def __new__(cls, text: str, style: str = "") -> Cell:
        return super().__new__(cls, printable(text), style)


Row = tuple[Cell, ...]


class KeyedTable(DataTable[Text]):
    """Knows nothing about the database: it is given rows."""

    SPECS: ClassVar[tuple[ColumnSpec, ...]] = ()
    BINDINGS: ClassVar[list[BindingType]] = [keymap.inspect_binding()]

    def __init__(self, *, id: str | None = None, fixed_columns: int = 0) -> None:
        super().__init__(
            id=id,
            cursor_type="row",
            zebra_stripes=True,
            cell_padding=0,
            fixed_columns=fixed_columns,
        )
        self._rows: dict[str, Row] = {}
        self._shown: dict[str, tuple[Cell, ...]] = {}
        self._first_cells: dict[str, Text] = {}
        self._layout: Layout | None = None
        self._hidden: frozenset[str] = frozenset()
        self._source: dict[str, Row] = {}
        """Per key, the row as given when its cells were last put in the table: a row
        given again unchanged costs one comparison."""
        self._order: list[str] = []
        """Keys in display order, as this table arranged them."""
        self._specs: list[ColumnSpec] = []
        self.rebuilds = 0

    # -- what the rest of the app asks -------------------------------------------------

    @property
    def row_keys(self) -> list[str]:
        """Row keys in display order."""
        return [str(row.key.value) for row in self.ordered_rows]

    @property
    def cursor_key(self) -> str | None:
        if self.row_count == 0:
            return None
        return str(self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value)

    @property
    def layout_plan(self) -> Layout | None:
        return self._layout

    def shown_text(self, key: str) -> list[str]:
        """The row's cells as the table shows them (hidden columns left out)."""
        return [cell.plain[GAP:] for cell in self.get_row(key)]

    def row_of(self, key: str) -> Row | None:
        """The row last given for ``key`` (with any cells changed since)."""
        return self._rows.get(key)

    def move_to(self, key: str) -> bool:
        if key not in self._shown:
            return False
        self.move_cursor(row=self.get_row_index(key))
        return True

    # -- feeding it --------------------------------------------------------------------

    def hide_columns(self, keys: frozenset[str]) -> None:
        """Leave these columns out whatever the width (e.g. the site of one site's rows)."""
        if keys != self._hidden:
            self._hidden = keys
            if self.size.width:
                self._apply()

    def show_rows(self, rows: Mapping[str, Row]) -> None:
        """Show ``rows`` in the given order, changing only what changed (nothing, not even
        the column plan, when every row is the one shown, in the same order)."""
        if self._layout is not None and _same(rows, self._rows):
            return
        self._rows = dict(rows)
        if self.size.width:  # not laid out yet: the first resize applies the rows
            self._apply()

    def update_row_cells(self, key: str, changes: Mapping[int, Cell]) -> None:
        """Change some cells of one row (ticking times) without a new plan: the column
        widths planned for these cells' vocabulary already hold them."""
        row = self._rows.get(key)
        if row is None:
            return
        cells = list(row)
        for index, cell in changes.items():
            cells[index] = cell
        self._rows[key] = tuple(cells)
        if self._layout is not None and key in self._shown:
            self._update(key, self._fitted(self._rows[key], self._layout))
            self._source[key] = self._rows[key]

    def on_resize(self, _event: events.Resize) -> None:
        if self._rows or self._layout is not None:
            self._apply()

    def _apply(self) -> None:
        active = [i for i, spec in enumerate(self.SPECS) if spec.key not in self._hidden]
        specs = [self.SPECS[i] for i in active]
        texts = [tuple(row[i].text for i in active) for row in self._rows.values()]
        planned = plan_layout(self._usable_width(), specs, texts)
        widths = [0] * len(self.SPECS)
        labels = [spec.label for spec in self.SPECS]
        for j, i in enumerate(active):
            widths[i] = planned.widths[j]
            labels[i] = planned.labels[j]
        layout = Layout(planned.compact, tuple(widths), tuple(labels))
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

    def _fitted(self, row: Row, layout: Layout) -> tuple[Cell, ...]:
        out: list[Cell] = []
        for spec, width, cell in zip(self.SPECS, layout.widths, row, strict=True):
            if not width:
                continue
            text = cell.text
            if len(text) <= width and text.isascii():  # the common case, without measuring
                out.append(cell)
            else:
                out.append(Cell(fit_value(spec, text, width), cell.style))
        return tuple(out)

    def _shown_specs(self, layout: Layout) -> list[tuple[ColumnSpec, str, int]]:
        return [
            (spec, label, width)
            for spec, label, width in zip(self.SPECS, layout.labels, layout.widths, strict=True)
            if width
        ]

    def _rebuild(self, layout: Layout) -> None:
        self.rebuilds += 1
        self.clear(columns=True)
        for spec, label, width in self._shown_specs(layout):
            self.add_column(_text(spec, Cell(label)), key=spec.key, width=width + GAP)
        self._layout = layout
        self._specs = [spec for spec, _, _ in self._shown_specs(layout)]
        self._shown.clear()
        self._first_cells.clear()
        self._source.clear()
        self._order = []
        for key, row in self._rows.items():
            self._add(key, self._fitted(row, layout))
            self._source[key] = row

    def _update_in_place(self, layout: Layout) -> None:
        gone = [k for k in self._shown if k not in self._rows]
        for key in gone:
            self.remove_row(key)
            del self._shown[key]
            del self._first_cells[key]
            self._source.pop(key, None)
        if gone:
            dropped = set(gone)
            self._order = [k for k in self._order if k not in dropped]
        source = self._source
        for key, row in self._rows.items():
            if source.get(key) == row:
                continue
            shown = self._fitted(row, layout)
            if key not in self._shown:
                self._add(key, shown)
            else:
                self._update(key, shown)
            source[key] = row
        order = list(self._rows)
        if self._order != order:
            rank = {id(self._first_cells[key]): i for i, key in enumerate(order)}
            self.sort(self._specs[0].key, key=lambda cell: rank[id(cell)])
            self._order = order

    def _specs_shown(self) -> list[ColumnSpec]:
        return self._specs

    def _add(self, key: str, shown: tuple[Cell, ...]) -> None:
        specs = self._specs_shown()
        cells = [_text(spec, cell) for spec, cell in zip(specs, shown, strict=True)]
        self.add_row(*cells, key=key)
        self._shown[key] = shown
        self._first_cells[key] = cells[0]
        self._order.append(key)

    def _update(self, key: str, shown: tuple[Cell, ...]) -> None:
        before = self._shown[key]
        if before == shown:
            return
        specs = self._specs_shown()
        for i, (spec, old, new) in enumerate(zip(specs, before, shown, strict=True)):
            if old != new:
                cell = _text(spec, new)
                self.update_cell(key, spec.key, cell)
                if i == 0:
                    self._first_cells[key] = cell
        self._shown[key] = shown

    def _restore_cursor(self, key: str | None) -> None:
        """After a change, the cursor back on the row it was on (``key``): a subclass
        may place it otherwise (:mod:`snapwatch.tui.panes.following`)."""
        if key is None or key not in self._shown:
            return
        index = self.get_row_index(key)
        if index != self.cursor_row:
            self.move_cursor(row=index, scroll=False)


def _same(rows: Mapping[str, Row], shown: Mapping[str, Row]) -> bool:
    """The same keys in the same order, each with the very row already given."""
    return len(rows) == len(shown) and all(
        key == before and row is shown[key]
        for (key, row), before in zip(rows.items(), shown, strict=True)
    )


def _text(spec: ColumnSpec, cell: Cell) -> Text:
    """The cell with its gap in front (not styled, so coloured values stay apart; in
    front, because right-justifying drops trailing blanks)."""
    justify: Any = "right" if spec.right else "left"
    text = Text(" " * GAP, justify=justify, no_wrap=True, overflow="ellipsis")
    text.append(cell.text, style=cell.style)
    return text


def texts(rows: Sequence[Row]) -> list[tuple[str, ...]]:
    return [tuple(c.text for c in row) for row in rows]
