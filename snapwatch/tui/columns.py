"""What the sites table shows per site, and how its columns share the terminal's width.

Plain functions over strings: the table widget only applies the plan they return.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from rich.cells import cell_len

from snapwatch.readmodels.display import UNSET_TIMEZONE, age_text, cadence_text, timezone_text
from snapwatch.readmodels.sites import SiteOverview

CELL_PADDING = 1
"""Blank cells on each side of every column (the table's ``cell_padding``)."""

SITE_MIN_WIDTH = 10
"""Below this the site column stops shrinking and the table scrolls sideways instead."""

SITE_COMFORTABLE_WIDTH = 20
"""Below this the other columns switch to short labels and short zone names."""

ELLIPSIS = "…"


class SiteRow(NamedTuple):
    """One site as text, in column order."""

    site: str
    program: str
    devices: str
    cadence: str
    timezone: str
    session: str
    last: str


@dataclass(frozen=True)
class ColumnSpec:
    key: str
    label: str
    short_label: str
    min_width: int = 0
    right_aligned: bool = False


COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("site", "Site", "Site"),
    ColumnSpec("program", "Program", "Program"),
    ColumnSpec("devices", "Devices", "Dev", right_aligned=True),
    ColumnSpec("cadence", "Cadence", "Cadence"),
    ColumnSpec("timezone", "Timezone", "TZ"),
    ColumnSpec("session", "Session", "Sess"),
    # "just now" and "47h ago" are as wide as ages get in practice: a row whose age grows
    # by a digit does not make the whole table reflow.
    ColumnSpec("last", "Last snapshot", "Last", min_width=8),
)
COLUMN_KEYS: tuple[str, ...] = tuple(c.key for c in COLUMNS)


@dataclass(frozen=True)
class Layout:
    compact: bool
    labels: tuple[str, ...]
    widths: tuple[int, ...]
    """Content width of each column, padding excluded."""


def site_row(site: SiteOverview, now: datetime) -> SiteRow:
    return SiteRow(
        site=_one_line(site.site_name),
        program=_one_line(site.program_name),
        devices=str(site.device_count),
        cadence=cadence_text(site.cadence_hours),
        timezone=timezone_text(site.timezone),
        session="open" if site.has_open_session else "none",
        last=age_text(site.last_snapshot_at, now),
    )


def _one_line(text: str) -> str:
    return " ".join(text.split())


def short_timezone(name: str) -> str:
    """``America/Los_Angeles`` → ``Los_Angeles``; the unset marker stays as it is."""
    if name == UNSET_TIMEZONE:
        return name
    return name.rsplit("/", 1)[-1]


def plan_layout(width: int, rows: Sequence[SiteRow]) -> Layout:
    """Column widths for a table ``width`` cells wide (scrollbar excluded).

    Every column but the site gets what its widest value needs. Full labels and full
    time zone names are used when that leaves the site column at least
    ``SITE_COMFORTABLE_WIDTH`` cells; otherwise short labels and zone names. The site
    column gets all that is left, never less than ``SITE_MIN_WIDTH``: the table spans
    the screen, and site names never change the layout.
    """
    full = _plan(width, rows, compact=False)
    if full.widths[0] >= SITE_COMFORTABLE_WIDTH:
        return full
    return _plan(width, rows, compact=True)


def _plan(width: int, rows: Sequence[SiteRow], *, compact: bool) -> Layout:
    labels = tuple(c.short_label if compact else c.label for c in COLUMNS)
    shown = [visible_row(r, compact=compact) for r in rows]
    others = [
        max(spec.min_width, _widest(label, (r[i] for r in shown)))
        for i, (spec, label) in enumerate(zip(COLUMNS, labels, strict=True))
        if i > 0
    ]
    padding = 2 * CELL_PADDING
    room = width - sum(w + padding for w in others) - padding
    site = max(SITE_MIN_WIDTH, room)
    return Layout(compact=compact, labels=labels, widths=(site, *others))


def _widest(label: str, values: Iterable[str]) -> int:
    widest = cell_len(label)
    for value in values:
        widest = max(widest, cell_len(value))
    return widest


def visible_row(row: SiteRow, *, compact: bool) -> SiteRow:
    return row._replace(timezone=short_timezone(row.timezone)) if compact else row


def fit_row(row: SiteRow, layout: Layout) -> SiteRow:
    """The row as the table shows it under ``layout``: the site name fitted to its column."""
    shown = visible_row(row, compact=layout.compact)
    return shown._replace(site=truncate_middle(shown.site, layout.widths[0]))


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
