"""What the history screen reads and writes, in workers: the site's audit over the range
(and its latest backfill), the plan of a backfill, and the backfill itself.

The work is the history core's (:mod:`snapwatch.schedule.history`), the same as
``snapwatch audit`` and ``snapwatch backfill --site``, with "now" from the app's clock.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from uuid import UUID

from snapwatch.infra.config import Settings
from snapwatch.infra.dbsession import Conn
from snapwatch.infra.errors import SnapwatchError
from snapwatch.schedule.history.audit import DateRange, SiteAudit, audit_sites
from snapwatch.schedule.history.backfill import Backfill, Event, SiteResult
from snapwatch.schedule.history.plan import BackfillOptions, SitePlan, plan_backfill
from snapwatch.schedule.history.runs import BackfillRun, recent_backfills
from snapwatch.snapshot.program import site_timezone

RECENT_RUNS = 20
"""Backfills looked at for the site's latest one."""


def last_days(timezone: str | None, now: datetime, days: int) -> DateRange:
    """The ``days`` site-local dates that end with the site's today."""
    today = now.astimezone(site_timezone(timezone).zone).date()
    return DateRange(today - timedelta(days=days - 1), today)


@dataclass(frozen=True)
class History:
    audit: SiteAudit
    last_backfill: BackfillRun | None
    """The newest backfill of this site (or of every site) since the range began."""


async def read_history(
    conn: Conn, now: datetime, settings: Settings, site: UUID, dates: DateRange
) -> History:
    found = [a async for a in audit_sites(conn, now, settings.scheduler, dates=dates, site=site)]
    if not found:
        raise SnapwatchError("the site is gone (deleted since the list was read)")
    since = dates.since or found[0].since
    runs = await recent_backfills(conn, _midnight(since), RECENT_RUNS)
    mine = next((r for r in runs if r.tally.get("scope") in (str(site), "all sites")), None)
    return History(found[0], mine)


async def plan_site(
    conn: Conn, now: datetime, settings: Settings, options: BackfillOptions
) -> SitePlan:
    """The plan of a backfill of one site (``options.site``)."""
    plans = await plan_backfill(conn, now, settings, options)
    if not plans:
        raise SnapwatchError("the site is gone (deleted since the list was read)")
    return plans[0]


@dataclass(frozen=True)
class Finished:
    results: list[SiteResult]
    stopped: bool
    """Stopped when asked, after the site-day in hand."""


async def run_backfill(
    conn: Conn,
    settings: Settings,
    options: BackfillOptions,
    *,
    now: Callable[[], datetime],
    progress: Callable[[Event], None],
    stop: asyncio.Event,
) -> Finished:
    """Plan again (others may have written since the confirmation), then write, on the
    backfill's own connection; recorded in the run history like ``snapwatch backfill``."""
    plans = await plan_backfill(conn, now(), settings, options)
    run = Backfill(conn, settings, options, now=now, progress=progress, stop=stop)
    results = await run.run(plans)
    return Finished(results, run.stopped)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC) - timedelta(days=1)
