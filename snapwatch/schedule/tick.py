"""One tick: decide what is due for every site, build the documents, write them per site.

Due sites are taken in batches of ``scheduler.batch_sites``, so a tick's memory does not
grow with the fleet. Each batch is read set-based (a fixed handful of queries); each site
is then written by one statement, its own transaction, so a failing site rolls back
alone and the others continue. While PostgreSQL writes one site, the next site's
document is built: the write is sent, and awaited only once that document is ready.

Every statement waits at most ``lock_timeout`` for a lock another process holds. A site
whose write runs out of it is skipped ``busy (lock wait on <table>)`` and the others go
on; once a write ran out of it on a whole table (``LOCK TABLE``, a migration), the sites
after it are left busy too rather than each waiting again. When the reads themselves
wait past it, every site is left busy. The next tick tries them all again.

A tick asked to stop (``should_stop``) finishes the site in hand and leaves the rest; once
``interrupt`` is set, the statement in hand is cancelled (its task is cancelled: psycopg
cancels the statement on the server, and a write's transaction rolls back).

This module reads the sites and judges what is due; :mod:`snapwatch.schedule.tick_batches`
reads, builds and writes the due sites a batch at a time; the outcomes are those of
:mod:`snapwatch.schedule.tick_report`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection
from psycopg.errors import LockNotAvailable
from psycopg.rows import tuple_row

from snapwatch.infra.clock import Clock, SystemClock
from snapwatch.infra.config import Settings
from snapwatch.infra.locks import LockWait, lock_wait
from snapwatch.schedule.interruptible import Interrupted, interruptible
from snapwatch.schedule.plan import PlannedSlot
from snapwatch.schedule.sitestate import SessionView, SiteView, load_sites
from snapwatch.schedule.tick_batches import SiteJob, TickRun, generate_and_write
from snapwatch.schedule.tick_report import SiteOutcome, TickReport, mark_busy

# Every site, when the reads that judge due-ness waited for a lock past lock_timeout.
SITE_NAMES_SQL = """
SELECT site_id, name FROM sites
 WHERE %(site)s::uuid IS NULL OR site_id = %(site)s::uuid
 ORDER BY name, site_id
"""


async def run_tick(
    conn: AsyncConnection[dict[str, Any]],
    settings: Settings,
    now: datetime,
    *,
    site: UUID | None = None,
    force: bool = False,
    wall: Clock | None = None,
    should_stop: Callable[[], bool] | None = None,
    interrupt: asyncio.Event | None = None,
) -> TickReport:
    """Write what is due as of ``now`` (or, with ``force``, the current slot) for all sites.

    ``now`` is the instant due-ness is judged at and the documents' ``generated_at``; the
    caller takes it from the clock. ``wall`` times the run (default the system clock).
    ``should_stop`` is asked between sites: once it says so, the site being written is
    finished and the rest are reported as skipped ("stopping"). Once ``interrupt`` is set,
    the statement in hand is cancelled and the tick reports what it got to."""
    wall = wall or SystemClock()
    started = wall.now()
    run = TickRun(conn, settings, now, should_stop or _never, interrupt or asyncio.Event())
    outcomes, stopped = await _plan_and_write(run, site, force)
    finished = wall.now()
    elapsed = (finished - started).total_seconds()
    return TickReport(now, outcomes, started, finished, elapsed, stopped)


async def _plan_and_write(
    run: TickRun, site: UUID | None, force: bool
) -> tuple[list[SiteOutcome], bool]:
    """Every site's outcome, and whether the tick stopped before the end."""
    try:
        views = await interruptible(load_sites(run.conn, run.now, site), run.interrupt)
    except Interrupted:
        return [], True
    except LockNotAvailable as exc:
        return await _unread(run.conn, site, await lock_wait(run.conn, exc)), False
    jobs: list[SiteJob] = []
    outcomes: list[SiteOutcome] = []
    for view in views:
        outcome = SiteOutcome(view.facts.site_id, view.facts.site_name, "skipped")
        outcomes.append(outcome)
        slots = (
            _force_slots(view, run.now, outcome)
            if force
            else _due_slots(view, run.now, run.settings, outcome)
        )
        if not slots:
            outcome.reason = outcome.reason or "not_due"
            continue
        jobs.append(SiteJob(view, slots, outcome))
    return outcomes, await generate_and_write(run, jobs)


async def _unread(
    conn: AsyncConnection[dict[str, Any]], site: UUID | None, wait: LockWait
) -> list[SiteOutcome]:
    """Every site (or the one asked for) left busy: due-ness could not be read."""
    async with conn.cursor(row_factory=tuple_row) as cur:
        await cur.execute(SITE_NAMES_SQL, {"site": site})
        rows = await cur.fetchall()
    outcomes = [SiteOutcome(site_id, name, "skipped") for site_id, name in rows]
    for outcome in outcomes:
        mark_busy(outcome, wait)
    return outcomes


def _never() -> bool:
    return False


def _due_slots(
    view: SiteView, now: datetime, settings: Settings, outcome: SiteOutcome
) -> list[tuple[SessionView, PlannedSlot]]:
    plan = view.plan(now, settings.scheduler)
    outcome.reason = view.reason.value if view.reason is not None else None
    if plan is None:
        return []
    outcome.skipped_slots = plan.skipped
    outcome.next_due_at = plan.next_due_at
    return [(view.sessions[index], slot) for index, slot in plan.slots]


def _force_slots(
    view: SiteView, now: datetime, outcome: SiteOutcome
) -> list[tuple[SessionView, PlannedSlot]]:
    if view.reason is not None:
        outcome.reason = view.reason.value
        return []
    session, slot = view.force(now)
    if isinstance(slot, str):
        outcome.reason = slot
        return []
    return [(session, slot)]
