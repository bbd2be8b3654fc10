"""The Job health pane: scheduler instances, how updates arrive, pg_cron, the other
writers of snapshots, the conflict.

Each instance (this app's own is marked) with its state, last and next tick, duration
and last error, judged at the database's clock (:mod:`snapwatch.schedule.health`). The pg_cron
conflict warning, when there is one, is the first thing in the pane, in reverse red; then
the row-level security warnings for the app's role, when there are any. Under each pg_cron
job, the chain that shows it writes snapshots, or why it could not be followed; below the
jobs, the triggers and grants shown to write snapshots. Text from the database is shown as
plain text (``Text``, never markup) with control characters made visible
(:mod:`snapwatch.tui.plain`).
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar
from uuid import UUID

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Static

from snapwatch.infra.access import AccessReport
from snapwatch.infra.clock import offset_warning
from snapwatch.readmodels.health import JobHealth
from snapwatch.schedule.health import InstanceHealth, InstanceState
from snapwatch.schedule.other_writers import OtherWriters
from snapwatch.schedule.pgcron import CronJob, CronReport
from snapwatch.text.lines import one_line
from snapwatch.text.times import relative
from snapwatch.tui import keymap
from snapwatch.tui.columns import ColumnSpec
from snapwatch.tui.panes.pane import Pane
from snapwatch.tui.panes.table import Cell, KeyedTable, Row
from snapwatch.tui.plain import plain_lines

SPECS: tuple[ColumnSpec, ...] = (
    ColumnSpec("instance", "Instance", min_width=8, max_width=32, shrink_rank=9, middle=True),
    ColumnSpec("mode", "Mode", shrink_rank=3, hideable=True, min_width=4),
    ColumnSpec("state", "State", stable_width=7, shrink_rank=8),
    ColumnSpec("last", "Last tick", "Last", stable_width=7, shrink_rank=6),
    ColumnSpec("next", "Next tick", "Next", stable_width=7, shrink_rank=5),
    ColumnSpec("took", "Took", right=True, stable_width=5, shrink_rank=4, hideable=True),
    ColumnSpec(
        "error", "Last error", "Error", min_width=10, shrink_rank=0, hideable=True, grow=True
    ),
)

INSTANCE_STYLES = {
    InstanceState.OK: "green",
    InstanceState.LATE: "yellow",
    InstanceState.DOWN: "bold red",
    InstanceState.FAILED: "bold white on red",
    InstanceState.PAUSED: "magenta",
    InstanceState.STOPPED: "dim",
}


def _seconds(at: datetime | None, now: datetime) -> str:
    return relative(at, now)[0]


def took_text(ms: float | None) -> str:
    if ms is None:
        return "—"
    return f"{ms:.0f}ms" if ms < 1000 else f"{ms / 1000:.1f}s"


def instance_name(instance: InstanceHealth, mine: UUID | None) -> str:
    me = " (this)" if instance.instance_id == mine else ""
    return f"{instance.host}:{instance.pid}{me}"


def instance_row(instance: InstanceHealth, mine: UUID | None, max_offset: float = 2.0) -> Row:
    """The instance's cells; its last error, else its host's clock when it is further
    from the database's than ``max_offset`` seconds."""
    now = instance.db_now
    note = instance.last_error or offset_warning(
        instance.clock_offset_seconds, max_offset, "its host"
    )
    return (
        Cell(instance_name(instance, mine), "bold" if instance.instance_id == mine else ""),
        Cell(instance.mode),
        Cell(str(instance.state), INSTANCE_STYLES.get(instance.state, "")),
        Cell(_seconds(instance.last_tick_at, now)),
        Cell("—" if instance.stopped_at else _seconds(instance.next_tick_at, now)),
        Cell(took_text(instance.last_duration_ms)),
        Cell(one_line(note or ""), "red" if instance.last_error else "yellow"),
    )


def cron_lines(cron: CronReport, now: datetime) -> list[str]:
    """pg_cron in a few lines: absent, unreadable (why), or its jobs, each with the
    evidence of what it writes when that is a write or unknown."""
    if not cron.installed:
        return ["pg_cron: not installed"]
    if not cron.readable:
        return [f"pg_cron: {cron.note or 'not readable by this role'}"]
    if not cron.jobs:
        return ["pg_cron: no jobs"]
    lines = [f"pg_cron: {len(cron.jobs)} job(s)"]
    for job in cron.jobs:
        lines.append(job_line(job, now))
        if evidence := job.evidence_line():
            lines.append(f"    {evidence}")
    return lines


def job_line(job: CronJob, now: datetime) -> str:
    flags = []
    if not job.active:
        flags.append("inactive")
    if job.writes_snapshots:
        flags.append("WRITES SNAPSHOTS")
    if job.stuck:
        flags.append("stuck")
    last = f"last {job.last_status}" if job.last_status else "never ran"
    nxt = f", next {_seconds(job.next_run, now)}" if job.next_run else ""
    extra = f" [{', '.join(flags)}]" if flags else ""
    return f"  {job.label} ({job.schedule}): {last}{nxt}{extra}"


def writer_lines(writers: OtherWriters) -> list[str]:
    """Triggers and grants shown to write snapshots, each with its chain; none: no lines."""
    if writers.note:
        return [f"other writers of snapshots: unknown, {writers.note}"]
    lines = writers.lines()
    if not lines:
        return []
    return [f"other writers of snapshots: {len(lines)}", *(f"  {line}" for line in lines)]


def access_notes(access: AccessReport) -> list[str]:
    """The row-level security warnings and a read-only database (a scheduler the role
    may not run says so in the banner, at its tick)."""
    notes = [f"warning: {w}" for w in access.warnings]
    return notes + ([access.read_only] if access.read_only else [])


class InstancesTable(KeyedTable):
    """``enter`` (the ``inspect`` key on every table) opens the run history."""

    SPECS = SPECS
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(keymap.default_key("inspect"), "screen.runs", "Runs", id="inspect")
    ]

    def __init__(self) -> None:
        super().__init__(id="instances")


class HealthPane(Pane):
    def __init__(self, max_clock_offset_seconds: float = 2.0) -> None:
        super().__init__("health", "Job health")
        self.max_clock_offset_seconds = max_clock_offset_seconds
        self.warning = Static("", id="health-warning")
        self.updates = Static("", id="health-updates")
        self.table = InstancesTable()
        self.cron = Static("", id="health-cron")
        self.access = Static("", id="health-access")
        self.writers = Static("", id="health-writers")
        self.health: JobHealth | None = None

    def compose(self) -> ComposeResult:
        yield self.warning
        yield self.access
        yield self.updates
        yield self.table
        yield self.cron
        yield self.writers

    def on_mount(self) -> None:
        self.warning.display = False
        self.access.display = False
        self.writers.display = False

    def show(self, health: JobHealth, mine: UUID | None) -> None:
        self.health = health
        self.warning.display = health.warning is not None
        self.warning.update(plain_lines([health.warning or ""]))
        bound = self.max_clock_offset_seconds
        rows = {str(i.instance_id): instance_row(i, mine, bound) for i in health.instances}
        self.table.show_rows(rows)
        backfills = [b.line(health.as_of) for b in health.backfills]
        self.cron.update(plain_lines([*backfills, *cron_lines(health.cron, health.as_of)]))
        writers = writer_lines(health.writers)
        self.writers.display = bool(writers)
        self.writers.update(plain_lines(writers))
        notes = access_notes(health.access)
        self.access.display = bool(notes)
        self.access.update(plain_lines([health.access.summary(), *notes]))
        counts = {k: v for k, v in health.counts().items() if v}
        summary = ", ".join(f"{v} {k}" for k, v in counts.items()) or "no scheduler seen"
        self.set_title(summary)

    def show_updates(self, text: str, *, live: bool) -> None:
        self.updates.update(Text(text, style="" if live else "yellow"))
