"""What the Sites pane shows per site, how it sorts and filters: plain functions.

A row is built from the last read (:class:`snapwatch.readmodels.sites.SiteOverview`) and
the app's clock; the two time-relative cells (last snapshot, next due) are rebuilt every
second from that same read, with no query (:mod:`snapwatch.tui.countdown`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from snapwatch.readmodels.display import cadence_text
from snapwatch.readmodels.sites import SiteOverview
from snapwatch.schedule.health import SiteState
from snapwatch.text.labels import reason_label
from snapwatch.text.lines import one_line
from snapwatch.text.times import relative, since
from snapwatch.tui.columns import ColumnSpec
from snapwatch.tui.panes.table import Cell, Row

SPECS: tuple[ColumnSpec, ...] = (
    ColumnSpec("site", "Site", min_width=10, max_width=40, shrink_rank=9, middle=True),
    ColumnSpec("program", "Program", min_width=7, max_width=28, shrink_rank=4),
    ColumnSpec("devices", "Devices", "Dev", min_width=3, right=True, shrink_rank=6),
    ColumnSpec("cadence", "Cadence", "Every", min_width=4, stable_width=5, shrink_rank=6),
    ColumnSpec("last", "Last snapshot", "Last", min_width=6, stable_width=8, shrink_rank=6),
    ColumnSpec("next", "Next due", "Next", min_width=6, stable_width=9, shrink_rank=6),
    ColumnSpec("state", "State", min_width=7, stable_width=10, shrink_rank=7),
    ColumnSpec("reason", "Reason", "Why", min_width=12, shrink_rank=0, hideable=True, grow=True),
)
LAST, NEXT, STATE, REASON = 4, 5, 6, 7

STATE_LABELS = {
    SiteState.ON_TIME: "on time",
    SiteState.DUE: "due",
    SiteState.LATE: "late",
    SiteState.PAUSED: "paused",
    SiteState.FAILING: "failing",
}
STATE_STYLES = {
    SiteState.ON_TIME: "green",
    SiteState.DUE: "yellow",
    SiteState.LATE: "bold red",
    SiteState.PAUSED: "magenta",
    SiteState.NOT_ELIGIBLE: "dim",
    SiteState.FAILING: "bold white on red",
}
SEVERITY = {
    SiteState.FAILING: 0,
    SiteState.LATE: 1,
    SiteState.DUE: 2,
    SiteState.PAUSED: 3,
    SiteState.NOT_ELIGIBLE: 4,
    SiteState.ON_TIME: 5,
}


def state_label(site: SiteOverview) -> str:
    """``on time``, ``due``, ``late``, ``paused``, ``failing``, or for a site that is not
    eligible what it lacks: ``no session``, ``no devices``, ``no cadence``."""
    if site.state is SiteState.NOT_ELIGIBLE:
        return reason_label(site.reason or "")
    return STATE_LABELS.get(site.state, str(site.state))


def reason_text(site: SiteOverview) -> str:
    """What the state label does not already say (empty when nothing); else the
    overlapping sessions (which one gets the slots); else the cadence note (an invalid
    value, or which column was used and why)."""
    if site.state is not SiteState.NOT_ELIGIBLE:
        if site.reason:
            return one_line(site.reason)
        if site.last_error:
            return one_line(f"last write failed: {site.last_error}")
    note = site.session_note or site.cadence_note
    return one_line(note) if note else ""


def time_cells(site: SiteOverview, now: datetime) -> tuple[Cell, Cell, datetime]:
    """The last-snapshot age and the next-due countdown, and when either next changes."""
    last, last_change = since(site.last_snapshot_at, now)
    nxt, next_change = relative(site.next_due_at, now)
    style = "dim" if site.last_snapshot_at is None else ""
    due_style = "dim" if site.next_due_at is None else ""
    if site.next_due_at is not None and site.next_due_at <= now:
        due_style = STATE_STYLES.get(site.state, "")
    return Cell(last, style), Cell(nxt, due_style), min(last_change, next_change)


def site_row(site: SiteOverview, now: datetime) -> tuple[Row, datetime]:
    """The row and when its time cells next change."""
    last, nxt, change = time_cells(site, now)
    row = (
        Cell(site.site_name),
        Cell(site.program_name),
        Cell(str(site.device_count), "dim" if site.device_count == 0 else ""),
        _cadence_cell(site),
        last,
        nxt,
        Cell(state_label(site), STATE_STYLES.get(site.state, "")),
        reason_cell(site),
    )
    return row, change


def reason_cell(site: SiteOverview) -> Cell:
    return Cell(reason_text(site), "dim" if site.state is SiteState.NOT_ELIGIBLE else "")


def _cadence_cell(site: SiteOverview) -> Cell:
    """Hours between snapshots; marked ``*`` when the two cadence columns disagree (the
    reason column says which one was used and why)."""
    if site.cadence_hours is None:
        return Cell(cadence_text(None), "dim")
    mark = "*" if site.cadence_note else ""
    return Cell(cadence_text(site.cadence_hours) + mark, "yellow" if mark else "")


def detail_line(site: SiteOverview) -> str:
    """Everything about the selected site on one line, for narrow screens where columns
    are shortened: state and reason first, then name, program and company."""
    state = state_label(site)
    why = reason_text(site)
    parts = [f"{state}: {why}" if why else state, site.site_name, site.program_name]
    if site.company_name:
        parts.append(site.company_name)
    if site.session_note and site.session_note not in why:
        parts.append(site.session_note)
    if site.cadence_note and site.cadence_note not in why:
        parts.append(f"cadence: {one_line(site.cadence_note)}")
    return " · ".join(parts)


# --- sort and filter ----------------------------------------------------------------------


@dataclass(frozen=True)
class SortKey:
    name: str
    """Shown in the pane title: "sorted by …"."""
    key: Callable[[SiteOverview], Any]


def _time_or_max(at: datetime | None) -> tuple[int, float]:
    return (1, 0.0) if at is None else (0, at.timestamp())


SORTS: tuple[SortKey, ...] = (
    SortKey("program", lambda s: (s.program_name.lower(), s.site_name.lower())),
    SortKey("name", lambda s: (s.site_name.lower(), s.program_name.lower())),
    SortKey(
        "state",
        lambda s: (SEVERITY.get(s.state, 9), _time_or_max(s.next_due_at), s.site_name.lower()),
    ),
    SortKey("next due", lambda s: (_time_or_max(s.next_due_at), s.site_name.lower())),
    SortKey(
        "last snapshot",
        lambda s: (
            (0, 0.0) if s.last_snapshot_at is None else (1, s.last_snapshot_at.timestamp()),
            s.site_name.lower(),
        ),
    ),
)


def arrange(sites: Sequence[SiteOverview], sort: SortKey, query: str) -> list[SiteOverview]:
    """The sites that match ``query`` (name, program or state label, any case), sorted."""
    wanted = query.strip().lower()
    kept = [s for s in sites if not wanted or matches(s, wanted)]
    return sorted(kept, key=sort.key)


def matches(site: SiteOverview, wanted: str) -> bool:
    return (
        wanted in site.site_name.lower()
        or wanted in site.program_name.lower()
        or wanted in state_label(site).lower()
        or wanted in str(site.state).replace("_", " ")
    )
