"""The sites overview: one row per site with what an operator checks first.

A row joins two views of the same read: the site's facts (program, company, zone, open
session, :func:`snapwatch.schedule.sitestate.site_view_at`) and its judged health (state,
reason, the slot it waits for, :func:`snapwatch.schedule.health.site_health`), so the
Sites pane, the ``status`` command and the daemon's metrics can never disagree about a
site's state. The sites are read once and judged by
:func:`snapwatch.schedule.judging.judge_sites` (the same reads
:func:`snapwatch.schedule.judging.read_site_health` makes), so a refresh is a fixed four
queries whatever the number of sites; a site judged as before keeps its row.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from operator import attrgetter
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection

from snapwatch.infra.config import SchedulerSettings, Settings
from snapwatch.schedule.health import SiteState
from snapwatch.schedule.judging import JudgedSite, judge_sites


@dataclass(frozen=True, slots=True)
class SiteOverview:
    site_id: UUID
    site_name: str
    program_name: str
    company_name: str | None
    timezone: str | None
    """IANA name; ``None`` means the column is NULL, which is treated as UTC."""
    device_count: int
    """Devices that count for the site (active and not inactive/decommissioned)."""
    cadence_hours: float | None
    """Hours between snapshots; ``None`` when the site has no usable cadence."""
    cadence_note: str | None
    """The invalid cadence value, or which column was used and why when they disagree."""
    has_open_session: bool
    """A pending or in-progress session contains the instant asked about."""
    last_snapshot_at: datetime | None
    state: SiteState
    """on_time / due / late / paused / not_eligible / failing (a ``StrEnum``: compares
    equal to those strings)."""
    reason: str | None
    """not_eligible: the raw reason value (``no_cadence``, ``no_devices``,
    ``no_open_session``); paused: who paused it and why; failing: the error; due/late:
    which wake waits and for how long; on_time: None."""
    next_due_at: datetime | None
    """When the next slot becomes due (None without a plan)."""
    waiting_for_wake: int | None
    """Wake number of the oldest due, unwritten slot."""
    late_by_seconds: float | None
    """How long that slot has waited since it became due."""
    last_error: str | None
    """The error of the site's latest write when that write failed (None once a later
    write succeeded), whatever the state: a failed site that is not due says so too."""
    session_note: str | None
    """Sessions open now beside the one that gets the slots, and which one that is."""


async def fetch_site_overview(
    conn: AsyncConnection[Any], now: datetime, settings: Settings | None = None
) -> list[SiteOverview]:
    """Every site, sorted by program name then site name, as of the instant ``now``.

    ``settings`` gives the scheduler's settle and grace times that decide due and late
    (the built-in defaults when omitted)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    sched = settings.scheduler if settings is not None else SchedulerSettings()
    judged = await judge_sites(conn, now, sched)
    made = {}
    for j in judged:
        kept = _OVERVIEWS.get(id(j))
        made[id(j)] = kept if kept is not None else (j, _overview(j))
    _OVERVIEWS.clear()
    _OVERVIEWS.update(made)
    return [row for _, row in made.values()]


TIMED_FIELDS = ("late_by_seconds", "reason")
"""The fields of a row whose site is judged as before but read at a later instant
(:func:`snapwatch.schedule.health.at_instant`): how long its slot has waited, and the
reason that says so or how long its pause has left."""

_untimed = attrgetter(*(f.name for f in fields(SiteOverview) if f.name not in TIMED_FIELDS))


def only_timed_changed(before: SiteOverview, after: SiteOverview) -> bool:
    """The two rows differ at most in :data:`TIMED_FIELDS`."""
    return bool(_untimed(before) == _untimed(after))


# The row made for each judgement of the read before, under the judgement's identity (each
# kept alive by its entry, so no other object has its id meanwhile): a judgement kept from
# read to read (judge_sites) keeps its row.
_OVERVIEWS: dict[int, tuple[JudgedSite, SiteOverview]] = {}


def _overview(judged: JudgedSite) -> SiteOverview:
    view, health, last_error = judged.view, judged.health, judged.last_error
    facts = view.facts
    return SiteOverview(
        site_id=facts.site_id,
        site_name=facts.site_name,
        program_name=facts.program_name,
        company_name=facts.company_name,
        timezone=facts.timezone,
        device_count=view.device_count,
        cadence_hours=view.cadence,
        cadence_note=view.cadence_choice.note,
        has_open_session=view.open_session is not None,
        last_snapshot_at=view.last_snapshot_at,
        state=health.state,
        reason=health.reason,
        next_due_at=health.next_due_at,
        waiting_for_wake=health.waiting_for_wake,
        late_by_seconds=health.late_by_seconds,
        last_error=last_error,
        session_note=health.session_note,
    )
