"""What the history screen says, as plain functions of the audit: one row per day, the
strip of days, the header with the site's totals, the dry run's plan.

Platform text (the site's name, a session's status, a row's reason) reaches a widget
only through :mod:`snapwatch.tui.plain`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from rich.text import Text

from snapwatch.readmodels.display import cadence_text
from snapwatch.schedule.history.audit import PROBLEMS, Counts, SiteAudit
from snapwatch.schedule.history.plan import SitePlan
from snapwatch.schedule.history.runs import BackfillRun
from snapwatch.schedule.history.wording import coverage_text, estimate
from snapwatch.text.labels import words
from snapwatch.tui.plain import plain, plain_lines

FULL, PARTIAL, NONE, NOTHING = "█", "▒", "░", "·"
MARK_STYLES = {FULL: "green", PARTIAL: "yellow", NONE: "red", NOTHING: "dim"}
LEGEND = f"{FULL} full  {PARTIAL} partial  {NONE} none  {NOTHING} nothing expected"
OTHER_WORDS = {
    "other_shape": "other shape",
    "invalid_v1": "invalid",
    "off_grid": "off-grid",
    "overlapping": "overlapping",
    "provisional_left": "provisional",
    "wake_gaps": "wake gaps",
}
"""Each kind of problem but ``missing``, as the table names it."""
LISTED = 5
"""Slots left by a dry run named one by one; the rest are counted."""


@dataclass(frozen=True)
class Day:
    """One site-local date of the range: its sessions' statuses and their counts."""

    day: date
    statuses: tuple[str, ...]
    counts: Counts

    @property
    def key(self) -> str:
        return self.day.isoformat()

    @property
    def mark(self) -> str:
        c = self.counts
        if not c.expected:
            return NOTHING
        if c.present >= c.expected:
            return FULL
        return PARTIAL if c.present else NONE


def days_of(audit: SiteAudit) -> list[Day]:
    """Every date of the audit's range, oldest first, with or without a session."""
    by_day: dict[date, tuple[list[str], Counts]] = {}
    for session in audit.sessions:
        statuses, counts = by_day.get(session.session_date, ([], Counts()))
        by_day[session.session_date] = ([*statuses, session.status], counts + session.counts)
    out = []
    day = audit.since
    while day <= audit.until:
        statuses, counts = by_day.get(day, ([], Counts()))
        out.append(Day(day, tuple(statuses), counts))
        day += timedelta(days=1)
    return out


def other_problems(c: Counts) -> str:
    """``2 other shape, 1 off-grid`` (empty when there are none)."""
    kinds = [k for k in PROBLEMS if k in OTHER_WORDS and getattr(c, k)]
    return ", ".join(f"{getattr(c, k)} {OTHER_WORDS[k]}" for k in kinds)


def day_cells(day: Day) -> list[Text]:
    """One row of the table: the day's mark and date, its sessions' statuses, the counts,
    the coverage, the other problems by kind."""
    c = day.counts
    status = " + ".join(map(words, day.statuses)) if day.statuses else "no session"
    mark = Text(day.mark, style=MARK_STYLES[day.mark])
    numbers = [
        Text(str(n), justify="right") if day.statuses else Text("-", justify="right")
        for n in (c.expected, c.present, c.missing)
    ]
    return [
        mark + Text(f" {day.day.isoformat()}"),
        plain(status, style="" if day.statuses else "dim"),
        *numbers,
        Text(coverage_text(c), justify="right"),
        plain(other_problems(c), style="yellow"),
    ]


def strip_text(days: list[Day], width: int) -> Text:
    """The days as marks, oldest to newest, in weeks that end on the range's last day;
    each line starts with its first date, the last ends with the last date; then the
    legend."""
    weeks: list[list[Day]] = []
    for i in range(len(days), 0, -7):
        weeks.insert(0, days[max(0, i - 7) : i])
    per_line = max(1, (width - 22) // 8)
    text = Text()
    for first in range(0, len(weeks), per_line):
        line = weeks[first : first + per_line]
        if first:
            text.append("\n")
        text.append(f"{line[0][0].day.isoformat()} ", style="dim")
        for n, week in enumerate(line):
            if n:
                text.append(" ")
            for day in week:
                text.append(day.mark, style=MARK_STYLES[day.mark])
    if days:
        text.append(f" {days[-1].day.isoformat()}", style="dim")
    last_line = text.plain.rsplit("\n", 1)[-1]
    text.append("\n" if len(last_line) + 4 + len(LEGEND) > width else "    ")
    text.append(LEGEND, style="dim")
    return text


def header(audit: SiteAudit, site_name: str, last: BackfillRun | None, zone: str) -> Text:
    """The site, the range and the site's totals over it (and its latest backfill)."""
    c = audit.counts
    count = (audit.until - audit.since).days + 1
    title = plain(site_name, style="bold")
    title.append(
        f" · history {audit.since} .. {audit.until} ({count} days, {zone})"
        f" · {cadence_text(audit.cadence_hours)} cadence"
    )
    parts = [
        f"{c.sessions} sessions",
        f"{c.expected} expected",
        f"{c.present} present",
        f"{c.missing} missing",
        f"{c.problems - c.missing} other problems",
    ]
    totals = Text("coverage ")
    totals.append(coverage_text(c), style="bold")
    totals.append(" · " + " · ".join(parts))
    lines = [title, totals]
    if audit.note:
        lines.append(plain(audit.note, style="yellow"))
    if last is not None:
        lines.append(plain(backfill_note(last), style="dim"))
    return Text("\n").join(lines)


def backfill_note(run: BackfillRun) -> str:
    """``last backfill 2026-11-28 14:05 UTC by ops@host: ok, 45 of 45 written``."""
    t = run.tally
    started = run.started_at.astimezone(UTC)
    return (
        f"last backfill {started:%Y-%m-%d %H:%M} UTC by {run.started_by or '?'}"
        f" ({t.get('since', '?')} .. {t.get('until', '?')}): {run.status},"
        f" {t.get('written', 0)} of {t.get('planned', 0)} written"
    )


def plan_lines(plan: SitePlan) -> list[str]:
    """What a backfill of the range would do: the slots to write and the time it would
    take, the slots it would leave and why, the rows it keeps."""
    audit = plan.audit
    c = audit.counts
    if plan.skipped is not None:
        return [f"nothing would be written: {plan.skipped}"]
    lines = []
    if plan.slots:
        days = len(plan.sessions)
        lines.append(
            f"{plan.slots} snapshots to write over {days} site-day{'s' if days != 1 else ''},"
            f" oldest first; {estimate(plan.slots)}"
        )
    else:
        lines.append("nothing to write: no expected slot of the range is missing")
    if plan.left:
        lines.append(f"{len(plan.left)} missing slots left, other rows hold them:")
        for slot, why in plan.left[:LISTED]:
            lines.append(f"  wake {slot.wake_number} {_span(slot.start, slot.end)}: {why}")
        if len(plan.left) > LISTED:
            lines.append(f"  ... and {len(plan.left) - LISTED} more")
    kept = c.other_shape + c.invalid_v1
    if kept:
        lines.append(
            f"{kept} rows of another shape or invalid stay as they are"
            " (snapwatch backfill --replace replaces them, keeping the old rows)"
        )
    return lines


def plan_text(plan: SitePlan) -> Text:
    return plain_lines(plan_lines(plan))


def _span(start: datetime, end: datetime) -> str:
    return f"{start.astimezone(UTC):%Y-%m-%d %H:%M}-{end.astimezone(UTC):%H:%M} UTC"
