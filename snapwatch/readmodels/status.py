"""What ``snapwatch status`` shows, read in one go: site health, scheduler instances,
pauses, pg_cron jobs, the other writers of snapshots and what the role can do."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection

from snapwatch.infra.access import AccessReport, check_access
from snapwatch.infra.config import Settings
from snapwatch.infra.pooler import Pooler
from snapwatch.readmodels.activity import ActivityEntry, read_activity
from snapwatch.schedule.health import InstanceHealth, SiteHealth, instance_health
from snapwatch.schedule.history.runs import BackfillRun, recent_backfills
from snapwatch.schedule.instances import read_instances
from snapwatch.schedule.judging import read_site_health
from snapwatch.schedule.other_writers import OtherWriters, read_other_writers
from snapwatch.schedule.pauses import PauseRecord, in_force
from snapwatch.schedule.pgcron import CronReport, read_cron
from snapwatch.schedule.sitestate import read_site_pauses


@dataclass(frozen=True)
class StatusReport:
    as_of: datetime
    database: str
    sites: list[SiteHealth]
    instances: list[InstanceHealth]
    pauses: list[PauseRecord]
    cron: CronReport
    writers: OtherWriters
    """Triggers and grants shown to write snapshots."""
    warning: str | None
    """The pg_cron conflict warning, when a job shown to write snapshots runs beside a live
    scheduler."""
    access: AccessReport
    """What the connected role can do, with row-level security warnings."""
    clock: str = "database"
    """The clock "now" was read from (the schedulers')."""
    clock_offset_seconds: float | None = None
    """This host's measured offset from the database's clock."""
    max_clock_offset_seconds: float = 2.0
    """Offsets beyond this (this host's, or an instance's) are shown."""
    pooler: Pooler | None = None
    """The pooler mode the connection is in, and why."""
    backfills: list[BackfillRun] = field(default_factory=list)
    """Backfills running, or finished within a day, newest first."""
    activity: list[ActivityEntry] = field(default_factory=list)
    """The latest entries of the activity trail, newest first."""


RECENT_ACTIVITY = 10
"""Entries of the activity trail ``status`` shows."""


async def read_status(
    conn: AsyncConnection[dict[str, Any]],
    now: datetime,
    settings: Settings,
    *,
    database: str,
    pooler: Pooler | None = None,
    site: UUID | None = None,
) -> StatusReport:
    """Everything ``status`` shows, as of ``now`` (instances at the database's own now)."""
    everywhere = await read_site_pauses(conn, now)
    sites = await read_site_health(conn, now, settings, site=site, pauses=everywhere)
    instances = [instance_health(row) for row in await read_instances(conn)]
    pauses = [p for p in in_force(everywhere, now) if site is None or p.covers(site)]
    cron = await read_cron(conn, now)
    writers = await read_other_writers(conn)
    warning = conflict_warning(cron, instances)
    access = await check_access(conn)
    backfills = await recent_backfills(conn, now)
    recent = await read_activity(conn, limit=RECENT_ACTIVITY)
    return StatusReport(
        now,
        database,
        sites,
        instances,
        pauses,
        cron,
        writers,
        warning,
        access,
        pooler=pooler,
        backfills=backfills,
        activity=recent,
    )


def conflict_warning(cron: CronReport, instances: Sequence[InstanceHealth]) -> str | None:
    """pg_cron's conflict warning when snapwatch schedules: some instance is live (neither
    stopped nor down)."""
    return cron.warning(any(i.live for i in instances))
