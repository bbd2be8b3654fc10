"""The Recent snapshots pane: the newest snapshots of all sites, or of the selected site.

Rows are keyed by snapshot id (a provisional row replaced in place keeps its row). The
list follows its head (:mod:`snapwatch.tui.panes.following`): the title says whose
snapshots show, and how many newer ones arrived above the row the operator keeps. Times
are UTC write times: the hour and minute for today (by the app's clock), the date for
older ones (inspecting a row shows it all).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from textual import on
from textual.app import ComposeResult

from snapwatch.readmodels.snapshots import SnapshotRow
from snapwatch.tui.bands import score_colour
from snapwatch.tui.columns import ColumnSpec
from snapwatch.tui.panes.following import HeadFollowingTable, NewerChanged
from snapwatch.tui.panes.pane import Pane
from snapwatch.tui.panes.table import Cell, Row

SPECS: tuple[ColumnSpec, ...] = (
    ColumnSpec("time", "Written", "UTC", min_width=5, stable_width=5, shrink_rank=7, hideable=True),
    ColumnSpec("site", "Site", min_width=8, max_width=30, shrink_rank=9, middle=True),
    ColumnSpec("wake", "Wake", "#", right=True, shrink_rank=8),
    ColumnSpec(
        "trigger",
        "Trigger",
        "Why",
        min_width=5,
        stable_width=5,
        shrink_rank=5,
        hideable=True,
        short_values=(("schedule", "sched"), ("catch-up", "catch"), ("backfill", "bfill")),
    ),
    ColumnSpec("devices", "Devices", "Dev", right=True, min_width=3, shrink_rank=2, hideable=True),
    ColumnSpec(
        "avg",
        "Avg MGI",
        "Avg",
        right=True,
        min_width=4,
        stable_width=4,
        shrink_rank=4,
        hideable=True,
    ),
    ColumnSpec(
        "max",
        "Max MGI",
        "Max",
        right=True,
        min_width=4,
        stable_width=4,
        shrink_rank=3,
        hideable=True,
    ),
    ColumnSpec("carried", "Carried", "CF", right=True, min_width=2, shrink_rank=1, hideable=True),
    ColumnSpec(
        "prov",
        "Prov",
        "P",
        max_width=1,
        shrink_rank=6,
        hideable=True,
        grow=True,
        short_values=(("prov", "P"),),
    ),
)
"""The site's name is shortened last: the other columns are hidden first, the least
telling first (carried forward, devices, max, avg, trigger, provisional, time). The
provisional flag's column is as wide as its label (``P`` when short: the flag shows as
``P`` unless the column has room for ``prov``), so a provisional row never changes the
columns."""

TRIGGERS = {
    "schedule": "schedule",
    "catch_up": "catch-up",
    "force": "force",
    "backfill": "backfill",
}


def mgi_cell(value: float | None) -> Cell:
    if value is None:
        return Cell("—", "dim")
    return Cell(f"{value:.2f}", score_colour(value))


def time_text(at: datetime, now: datetime) -> str:
    """``14:05`` today (UTC, by the app's clock), ``11-27`` before: always five cells."""
    if at.date() == now.date():
        return at.strftime("%H:%M")
    return at.strftime("%m-%d")


def snapshot_row(snap: SnapshotRow, now: datetime) -> Row:
    trigger = TRIGGERS.get(snap.trigger or "", snap.trigger or "?")
    return (
        Cell(time_text(snap.created_at, now)),
        Cell(snap.site_name or str(snap.site_id)),
        Cell(str(snap.wake_number)),
        Cell(trigger, "bold" if snap.trigger == "force" else ""),
        Cell("—" if snap.devices is None else str(snap.devices)),
        mgi_cell(snap.avg_mgi),
        mgi_cell(snap.max_mgi),
        Cell("—" if snap.carried_forward is None else str(snap.carried_forward)),
        Cell("prov" if snap.provisional else "", "italic yellow"),
    )


class SnapshotsTable(HeadFollowingTable):
    SPECS = SPECS

    def __init__(self) -> None:
        super().__init__(id="snapshots")


class SnapshotsPane(Pane):
    def __init__(self) -> None:
        super().__init__("snapshots", "Recent snapshots")
        self.table = SnapshotsTable()
        self.snapshots: dict[str, SnapshotRow] = {}
        self.scope: str | None = None
        self.count = ""

    def compose(self) -> ComposeResult:
        yield self.table

    def on_mount(self) -> None:
        self._title()

    def show(self, snapshots: Sequence[SnapshotRow], now: datetime, scope: str | None) -> None:
        """``scope`` is the site's name, or None for all sites: another scope is another
        list, shown from its newest row."""
        if scope != self.scope:
            self.table.follow_head()
        self.scope = scope
        self.snapshots = {str(s.snapshot_id): s for s in snapshots}
        rows = {key: snapshot_row(s, now) for key, s in self.snapshots.items()}
        self.table.hide_columns(frozenset() if scope is None else frozenset({"site"}))
        self.table.show_rows(rows)
        self.count = f"{len(rows)} newest" if rows else "none yet"
        self._title()

    @on(NewerChanged)
    def _newer_changed(self, event: NewerChanged) -> None:
        event.stop()
        self._title()

    def _title(self) -> None:
        marker = self.table.newer_text
        self.set_title(marker, self.scope or "all sites", self.count)

    @property
    def selected(self) -> SnapshotRow | None:
        key = self.table.cursor_key
        return self.snapshots.get(key) if key is not None else None
