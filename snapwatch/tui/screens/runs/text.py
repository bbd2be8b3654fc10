"""What the run history screens say, as plain functions of the read model
(:mod:`snapwatch.readmodels.runs`): each table's columns and rows, and the detail lines of
the highlighted row, which hold every column in full (a table at 80 columns hides some).

Platform text (site names, hosts, who started a backfill) and error text reach a widget
only as :class:`~snapwatch.tui.panes.table.Cell` or through :mod:`snapwatch.tui.plain`.
Instants are UTC (:mod:`snapwatch.text.times`): short in cells, whole in the detail.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from rich.text import Text

from snapwatch.readmodels.runs import Instance, RunRow, RunSite, RunSites, SiteFailure
from snapwatch.text.labels import reason_label
from snapwatch.text.lines import one_line
from snapwatch.text.times import short_utc_text, utc_text
from snapwatch.tui.columns import ColumnSpec
from snapwatch.tui.panes.health import took_text
from snapwatch.tui.panes.snapshots import TRIGGERS
from snapwatch.tui.panes.table import Cell, Row
from snapwatch.tui.plain import plain

STATUS_STYLES = {
    "ok": "green",
    "partial": "yellow",
    "failed": "bold red",
    "running": "cyan",
}
OUTCOME_STYLES = {
    "failed": "bold red",
    "conflict": "yellow",
    "written": "green",
    "skipped": "dim",
}
NONE = "—"

RUN_SPECS: tuple[ColumnSpec, ...] = (
    ColumnSpec("started", "Started (UTC)", "UTC", stable_width=14, shrink_rank=9),
    ColumnSpec("instance", "Instance", min_width=8, max_width=28, shrink_rank=7, middle=True),
    ColumnSpec("kind", "Kind", shrink_rank=1, hideable=True, min_width=4),
    ColumnSpec("status", "Status", stable_width=7, shrink_rank=8),
    ColumnSpec("written", "Written", "W", right=True, shrink_rank=6),
    ColumnSpec("skipped", "Skipped", "S", right=True, shrink_rank=6),
    ColumnSpec("failed", "Failed", "F", right=True, shrink_rank=6),
    ColumnSpec("took", "Took", right=True, stable_width=5, shrink_rank=4, hideable=True),
    ColumnSpec("as_of", "As of (UTC)", "As of", stable_width=14, shrink_rank=2, hideable=True),
    ColumnSpec("error", "Error", min_width=10, shrink_rank=0, hideable=True, grow=True),
)
SITE_SPECS: tuple[ColumnSpec, ...] = (
    ColumnSpec("site", "Site", min_width=8, max_width=30, shrink_rank=9, middle=True),
    ColumnSpec("outcome", "Outcome", stable_width=8, shrink_rank=8),
    ColumnSpec("trigger", "Trigger", "Why", stable_width=5, shrink_rank=3, hideable=True),
    ColumnSpec("wake", "Wake", "#", right=True, shrink_rank=4, hideable=True),
    ColumnSpec("reason", "Reason", min_width=6, max_width=24, shrink_rank=2, hideable=True),
    ColumnSpec("error", "Error", min_width=10, shrink_rank=0, hideable=True, grow=True),
)
FAILURE_SPECS: tuple[ColumnSpec, ...] = (
    ColumnSpec("started", "Run started (UTC)", "UTC", stable_width=14, shrink_rank=9),
    ColumnSpec("instance", "Instance", min_width=8, max_width=28, shrink_rank=7, middle=True),
    ColumnSpec("kind", "Kind", shrink_rank=1, hideable=True, min_width=4),
    ColumnSpec("as_of", "As of (UTC)", "As of", stable_width=14, shrink_rank=2, hideable=True),
    ColumnSpec("error", "Error", min_width=10, shrink_rank=0, grow=True),
)


def instance_text(instance: Instance | None, mine: UUID | None) -> str:
    """``host:pid`` (`` (this)`` for the app's own scheduler), ``-`` for none."""
    if instance is None:
        return "-"
    return instance.name + (" (this)" if _is_mine(instance, mine) else "")


def site_text(name: str | None, site_id: UUID) -> str:
    """The site's name, or its id when its row is gone."""
    return name if name is not None else f"gone {site_id}"


def _when(at: datetime | None) -> str:
    return short_utc_text(at) if at is not None else NONE


def _count(n: int, style: str = "") -> Cell:
    return Cell(str(n), style if n else "dim")


def _is_mine(instance: Instance | None, mine: UUID | None) -> bool:
    return instance is not None and mine is not None and instance.instance_id == mine


def run_by(run: RunRow, mine: UUID | None) -> str:
    """The instance that ran it, else who started it."""
    return instance_text(run.instance, mine) if run.instance is not None else run.who


def run_row(run: RunRow, mine: UUID | None) -> Row:
    took = run.duration_seconds
    return (
        Cell(short_utc_text(run.started_at)),
        Cell(run_by(run, mine), "bold" if _is_mine(run.instance, mine) else ""),
        Cell(run.kind),
        Cell(run.status, STATUS_STYLES.get(run.status, "")),
        _count(run.written, "green"),
        _count(run.skipped),
        _count(run.failed, "bold red"),
        Cell("running" if took is None else took_text(took * 1000)),
        Cell(_when(run.as_of)),
        Cell(one_line(run.error or ""), "red"),
    )


def run_lines(run: RunRow, mine: UUID | None) -> list[Text]:
    """Every column of the run in full, with its error's every line."""
    by = run_by(run, mine)
    if run.instance is not None and run.instance.mode:
        by += f" ({run.instance.mode})"
    if run.started_by and run.instance is not None:
        by += f", started by {run.started_by}"
    took = run.duration_seconds
    finished = "running" if took is None else f"took {took_text(took * 1000)}"
    as_of = utc_text(run.as_of) if run.as_of is not None else NONE
    lines = [
        plain(f"{run.kind} by {by}"),
        plain(f"started {utc_text(run.started_at)} · {finished} · as of {as_of}"),
        plain(
            f"{run.status}: sites {run.written} written, {run.skipped} skipped, {run.failed} failed"
        ),
    ]
    return lines + error_lines(run.error)


def error_lines(error: str | None, label: str = "error") -> list[Text]:
    """``error: ...`` and the error's further lines, each shown plain, in red."""
    if not error:
        return []
    first, *rest = error.splitlines() or [""]
    return [plain(f"{label}: {first}", "red"), *(plain(f"  {line}", "red") for line in rest)]


def trigger_text(trigger: str | None) -> str:
    return TRIGGERS.get(trigger or "", trigger or NONE)


def site_row(site: RunSite) -> Row:
    return (
        Cell(site_text(site.site_name, site.site_id)),
        Cell(site.outcome, OUTCOME_STYLES.get(site.outcome, "")),
        Cell(trigger_text(site.trigger)),
        Cell(NONE if site.wake_number is None else str(site.wake_number)),
        Cell(reason_label(site.reason) if site.reason else ""),
        Cell(one_line(site.error or ""), "red"),
    )


def site_lines(site: RunSite) -> list[Text]:
    """The outcome in full: the site, what happened and why, its error, the ids."""
    name = plain(site_text(site.site_name, site.site_id), "bold")
    name.append(f" · {site.outcome}", OUTCOME_STYLES.get(site.outcome, ""))
    if site.wake_number is not None:
        name.append(f" · wake {site.wake_number} ({trigger_text(site.trigger)})")
    lines = [name]
    if site.reason:
        lines.append(plain(f"reason: {reason_label(site.reason)}"))
    lines += error_lines(site.error)
    ids = f"site {site.site_id}"
    if site.snapshot_id is not None:
        ids += f" · snapshot {site.snapshot_id}"
    return [*lines, plain(ids, "dim")]


def run_header(found: RunSites, mine: UUID | None) -> list[Text]:
    """The run the outcomes are of, and how many are shown."""
    shown = len(found.sites)
    counted = f"{shown} outcomes" if shown == found.total else f"{shown} of {found.total} outcomes"
    first, *rest = run_lines(found.run, mine)[:3]
    title = Text.assemble(first, f" · {counted}, failures first", style="bold")
    return [title, *rest]


def failure_row(failure: SiteFailure, mine: UUID | None) -> Row:
    return (
        Cell(short_utc_text(failure.started_at)),
        Cell(instance_text(failure.instance, mine)),
        Cell(failure.kind),
        Cell(_when(failure.as_of)),
        Cell(one_line(failure.error or failure.reason or ""), "red"),
    )


def failure_lines(failure: SiteFailure, mine: UUID | None) -> list[Text]:
    as_of = utc_text(failure.as_of) if failure.as_of is not None else NONE
    head = (
        f"failed in the {failure.kind} started {utc_text(failure.started_at)}"
        f" by {instance_text(failure.instance, mine)} · as of {as_of}"
    )
    lines = [plain(head)]
    if failure.reason:
        lines.append(plain(f"reason: {reason_label(failure.reason)}"))
    return lines + error_lines(failure.error)


def joined(lines: Sequence[Text]) -> Text:
    return Text("\n").join(lines)
