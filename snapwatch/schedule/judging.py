"""Every site read once and judged at an instant, judgements kept from read to read.

The judgement of one site (:func:`snapwatch.schedule.health.site_health`) is pure; here
are the reads that gather what it needs for every site (a fixed number of statements
whatever the number of sites) and the rule that says how long a judgement holds: a site
read as before, at an instant before its judgement may change (:func:`judged_until`), is
not judged again, only read at the new instant (:func:`snapwatch.schedule.health.at_instant`).
A fleet read every few seconds so judges again only the sites whose rows or whose
standing with the instant changed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection
from psycopg.rows import dict_row

from snapwatch.infra.config import SchedulerSettings, Settings
from snapwatch.schedule.health import SiteHealth, at_instant, reads_by_instant, site_health
from snapwatch.schedule.memo import TimedMemoById
from snapwatch.schedule.pauses import PauseRecord
from snapwatch.schedule.plan import Plans, SitePlan
from snapwatch.schedule.sitestate import SessionView, SiteView, read_site_inputs, site_view_at

# The sites (every one, or the one given) whose latest decisive outcome failed, with its
# error: a decisive outcome is a failure or a write (which clears a failure). Skips (not
# due, paused, busy) say nothing about whether the site's writes work.
LAST_FAILURE_SQL = """
SELECT x.site_id::text AS site_id, o.error
  FROM sites x
 CROSS JOIN LATERAL (
        SELECT r.outcome, r.error
          FROM snapwatch.run_sites r
         WHERE r.site_id = x.site_id AND r.outcome IN ('written', 'failed')
         ORDER BY r.recorded_at DESC
         LIMIT 1) o
 WHERE (%(site)s::uuid IS NULL OR x.site_id = %(site)s::uuid) AND o.outcome = 'failed'
"""


@dataclass(frozen=True)
class JudgedSite:
    """One site as read (its view) and as judged (its health), with its latest error."""

    view: SiteView
    health: SiteHealth
    last_error: str | None
    """The error of the site's latest write when that write failed, whatever the state."""


async def judge_sites(
    conn: AsyncConnection[Any],
    now: datetime,
    sched: SchedulerSettings,
    *,
    site: UUID | None = None,
    pauses: list[PauseRecord] | None = None,
) -> list[JudgedSite]:
    """Every site (or the one given) read once and judged as of ``now``: a fixed number of
    queries whatever the number of sites (``pauses``: as :func:`read_site_pauses` read
    them, when the caller has them already). The views have no zones (no judgement reads
    them).

    A site read as before (its row, sessions, pauses and latest error) at an instant
    before its judgement may change (:func:`judged_until`) keeps the judgement, read at the
    instant (:func:`at_instant`)."""
    inputs = await read_site_inputs(conn, now, site, pauses=pauses, zones=False)
    errors = await _last_errors(conn, site)
    settings = (
        sched.settle_seconds,
        sched.catch_up,
        sched.catch_up_max_slots,
        sched.late_grace_seconds,
    )
    judged = []
    plans = Plans()
    _JUDGED.turn()
    for row in inputs.rows:
        site_id = row[0]
        error = errors.get(site_id)
        sessions = inputs.sessions_of(site_id)
        site_pauses = inputs.pauses_of(site_id)
        key = (row, sessions, site_pauses, error, settings)
        kept = _JUDGED.get(site_id, key, now)
        if kept is None:
            read = inputs.session_views(site_id)
            view = site_view_at(row, read, site_pauses, now)
            plan = view.plan(now, sched, plans)
            kept = JudgedSite(view, site_health(view, now, sched, error, plan), error)
            until = judged_until(
                view, read, plan, kept.health, now, late_grace_seconds=sched.late_grace_seconds
            )
            _JUDGED.keep(site_id, key, now, until, kept)
        elif reads_by_instant(kept.health):
            health = at_instant(kept.health, kept.view, now)
            if health is not kept.health:
                kept = JudgedSite(kept.view, health, error)
        judged.append(kept)
    return judged


def judged_until(
    view: SiteView,
    sessions: Iterable[SessionView],
    plan: SitePlan | None,
    health: SiteHealth,
    now: datetime,
    *,
    late_grace_seconds: float,
) -> datetime:
    """The first instant after ``now`` at which the site's judgement made at ``now`` may
    change, its inputs unchanged (until then only what :func:`at_instant` reads again
    changes). A judgement asks of an instant only where it stands with these: its
    sessions' starts, ends and locks (their phases), the pauses' beginnings and ends,
    when the next slot becomes due, and when the slot waiting has waited longer than the
    grace (late from the first instant after it). ``sessions``: every session read for
    the site, owed or not."""
    instants = [FOREVER]
    for session in sessions:
        instants += (session.facts.start, session.facts.end)
        if session.closed_at is not None:
            instants.append(session.closed_at)
    for held in view.pauses:
        instants.append(held.paused_at)
        if held.until is not None:
            instants.append(held.until)
    if plan is not None and plan.next_due_at is not None:
        instants.append(plan.next_due_at)
    if health.waiting_since is not None:
        grace = timedelta(seconds=late_grace_seconds)
        instants.append(health.waiting_since + grace + INSTANT)
    return min(t for t in instants if t > now)


FOREVER = datetime.max.replace(tzinfo=UTC)
INSTANT = timedelta(microseconds=1)
"""The smallest step between two instants."""

# Each site's judgement, kept while it reads the same and holds (judged_until).
_JUDGED: TimedMemoById[str, tuple[Any, ...], JudgedSite] = TimedMemoById()


async def read_site_health(
    conn: AsyncConnection[Any],
    now: datetime,
    settings: Settings,
    *,
    site: UUID | None = None,
    pauses: list[PauseRecord] | None = None,
) -> list[SiteHealth]:
    """Every site's health (or the one given) as of ``now`` (the as-of clock's instant)."""
    judged = await judge_sites(conn, now, settings.scheduler, site=site, pauses=pauses)
    return [j.health for j in judged]


async def _last_errors(conn: AsyncConnection[Any], site: UUID | None) -> dict[str, str]:
    """The errors of :data:`LAST_FAILURE_SQL` under their site ids' text."""
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(LAST_FAILURE_SQL, {"site": site}, binary=True)
        rows = await cur.fetchall()
    return {r["site_id"]: r["error"] or "failed" for r in rows}
