"""How a table's columns share the width it has: plain functions over strings.

Each column has a natural width (its label and widest value, never below a stable
minimum so that a value growing by a digit does not reflow the table). When everything
fits, the growing column takes what is left, so the table spans its pane. When it does
not fit: first the short labels, then the short values (``sched`` for ``schedule``), then
columns give up width in their shrink order (the lowest first) down to their minimum,
and columns that may be hidden are hidden rather than shown as ellipses. A column
shrinks only when every column before it in that order is at its minimum or hidden: a
table ranks its names last, so they are the last to be shortened. A hidden column comes
back when the columns hidden after it left room for it. Widths are display cells (a
wide character counts two), never characters.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

from rich.cells import cell_len

GAP = 1
"""Blank cells each column adds to its content: one space between neighbours (on the
left of left-aligned cells, on the right of right-aligned ones)."""

ELLIPSIS = "…"


@dataclass(frozen=True)
class ColumnSpec:
    key: str
    label: str
    short_label: str = ""
    min_width: int = 1
    """Never narrower than this (shown); a hideable column below it is hidden."""
    stable_width: int = 0
    """Never planned narrower than this while there is room (known vocabularies)."""
    max_width: int = 0
    """Natural width at most this (0: no cap); wider values are shortened."""
    shrink_rank: int = 5
    """Lower ranks give up width first."""
    hideable: bool = False
    grow: bool = False
    """Takes the width left over (at most one column)."""
    right: bool = False
    middle: bool = False
    """Shortened in the middle (names that differ only at the end stay apart)."""
    tail: bool = False
    """Shortened by keeping its end, without an ellipsis (a sparkline's newest values)."""
    short_values: tuple[tuple[str, str], ...] = ()
    """Known values and their abbreviations: planned for when the short labels are not
    enough, and shown wherever the value itself does not fit (rather than cut)."""

    def shown_label(self, compact: bool) -> str:
        return self.short_label if compact and self.short_label else self.label

    @cached_property
    def abbreviations(self) -> dict[str, str]:
        return dict(self.short_values)

    def shown_value(self, value: str, short: bool) -> str:
        """``value``, or with ``short`` its abbreviation if it has one."""
        return self.abbreviations.get(value, value) if short else value


@dataclass(frozen=True)
class Layout:
    compact: bool
    widths: tuple[int, ...]
    """Content width of each column (0 = hidden), padding excluded."""
    labels: tuple[str, ...]

    def shown(self, index: int) -> bool:
        return self.widths[index] > 0


def natural_widths(
    specs: Sequence[ColumnSpec],
    rows: Iterable[Sequence[str]],
    *,
    compact: bool,
    short: bool = False,
) -> list[int]:
    widths = [max(cell_len(s.shown_label(compact)), s.stable_width) for s in specs]
    columns = list(zip(*rows, strict=True)) or [() for _ in specs]
    for i, values in enumerate(columns):
        spec = specs[i]
        for given in set(values):  # tables repeat their values: measure each once
            value = spec.shown_value(given, short)
            widths[i] = max(widths[i], len(value) if value.isascii() else cell_len(value))
    for i, s in enumerate(specs):
        if s.max_width:
            widths[i] = min(widths[i], max(s.max_width, cell_len(s.shown_label(compact))))
    return widths


def _total(widths: Sequence[int]) -> int:
    return sum(w + GAP for w in widths if w > 0)


def plan_layout(width: int, specs: Sequence[ColumnSpec], rows: Sequence[Sequence[str]]) -> Layout:
    """Column widths for a table ``width`` cells wide (scrollbar excluded)."""
    abbreviated = any(s.short_values for s in specs)
    for compact, short in ((False, False), (True, False), (True, True)):
        if short and not abbreviated:
            break
        widths = natural_widths(specs, rows, compact=compact, short=short)
        for i, spec in enumerate(specs):  # it gets what is left anyway
            if spec.grow:
                widths[i] = min(widths[i], max(spec.min_width, cell_len(spec.shown_label(compact))))
        if _total(widths) <= width:
            return _grown(width, specs, widths, compact)
    widths = _shrunk(width, specs, widths)
    return _grown(width, specs, widths, True)


def _shrunk(width: int, specs: Sequence[ColumnSpec], natural: list[int]) -> list[int]:
    widths = list(natural)
    order = sorted(range(len(specs)), key=lambda i: (specs[i].shrink_rank, -i))
    hidden: list[int] = []
    for i in order:
        excess = _total(widths) - width
        if excess <= 0:
            break
        spec = specs[i]
        floor = min(spec.min_width, widths[i])
        if widths[i] - excess >= floor:
            widths[i] -= excess
        elif spec.hideable:
            widths[i] = 0
            hidden.append(i)
        else:
            widths[i] = floor
    for i in reversed(hidden):  # the later hidden left room for an earlier one
        if _total(widths) + natural[i] + GAP <= width:
            widths[i] = natural[i]
    return widths


def _grown(width: int, specs: Sequence[ColumnSpec], widths: list[int], compact: bool) -> Layout:
    room = width - _total(widths)
    for i, spec in enumerate(specs):
        if spec.grow and room > 0:
            if widths[i] == 0:
                if room >= spec.min_width + GAP:
                    widths[i] = room - GAP
            else:
                widths[i] += room
            break
    labels = tuple(s.shown_label(compact) for s in specs)
    return Layout(compact=compact, widths=tuple(widths), labels=labels)


def fit_value(spec: ColumnSpec, value: str, width: int) -> str:
    """``value`` in ``width`` cells: as it is, else its abbreviation if that fits, else
    shortened the column's way (:func:`fit`)."""
    if cell_len(value) <= width:
        return value
    short = spec.abbreviations.get(value)
    if short is not None and cell_len(short) <= width:
        return short
    return fit(value, width, middle=spec.middle, tail=spec.tail)


def fit(value: str, width: int, *, middle: bool = False, tail: bool = False) -> str:
    """``value`` shortened to ``width`` cells (with an ellipsis), at its end or middle; with
    ``tail``, its last ``width`` cells."""
    if cell_len(value) <= width:
        return value
    if tail:
        return _take(value[::-1], width)[::-1]
    if middle:
        return truncate_middle(value, width)
    if width <= 1:
        return ELLIPSIS[:width]
    return _take(value, width - 1).rstrip() + ELLIPSIS


def truncate_middle(text: str, width: int) -> str:
    """Fit ``text`` in ``width`` cells by cutting its middle: names that differ only at
    the end ("Ripening Room A", "Ripening Room B") stay distinguishable."""
    if cell_len(text) <= width:
        return text
    if width <= 1:
        return ELLIPSIS[:width]
    budget = width - cell_len(ELLIPSIS)
    tail = _take(text[::-1], budget // 2)[::-1].lstrip()
    head = _take(text, budget - cell_len(tail)).rstrip()
    return f"{head}{ELLIPSIS}{tail}"


def _take(text: str, cells: int) -> str:
    out: list[str] = []
    used = 0
    for ch in text:
        w = cell_len(ch)
        if used + w > cells:
            break
        out.append(ch)
        used += w
    return "".join(out)
