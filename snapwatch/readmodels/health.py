"""The Job health pane: every scheduler instance, pg_cron's jobs, the other writers of
snapshots, the conflict warning, and what the app's role can do (:mod:`snapwatch.infra.access`,
as ``snapwatch status`` says it).

The judgements are :mod:`snapwatch.schedule.health`'s (instances at the database's own ``now()``),
:mod:`snapwatch.schedule.pgcron`'s and :mod:`snapwatch.schedule.other_writers`'; the warning is
:func:`snapwatch.readmodels.status.conflict_warning`, so the pane and ``snapwatch status``
say the same. Sites are left out: the Sites pane has them
(:mod:`snapwatch.readmodels.sites`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection

from snapwatch.infra.access import AccessReport, check_access
from snapwatch.readmodels.status import conflict_warning
from snapwatch.schedule.health import InstanceHealth, count_instance_states, instance_health
from snapwatch.schedule.history.runs import BackfillRun, recent_backfills
from snapwatch.schedule.instances import read_instances
from snapwatch.schedule.other_writers import OtherWriters, read_other_writers
from snapwatch.schedule.pgcron import CronReport, read_cron


@dataclass(frozen=True, slots=True)
class JobHealth:
    as_of: datetime
    """The instant pg_cron's next runs are computed at (instances are judged at the
    database's ``now()``, :attr:`InstanceHealth.db_now`)."""
    instances: tuple[InstanceHealth, ...]
    """Live instances and those stopped within a day, newest first."""
    cron: CronReport
    writers: OtherWriters
    """Triggers and grants shown to write snapshots."""
    warning: str | None
    """The pg_cron conflict: an active job shown to write snapshots while a snapwatch
    scheduler is live."""
    access: AccessReport
    backfills: tuple[BackfillRun, ...] = ()
    """Backfills running, or finished within a day, newest first."""

    def counts(self) -> dict[str, int]:
        """Instances per state; every state present."""
        return count_instance_states(self.instances)


async def job_health(conn: AsyncConnection[dict[str, Any]], now: datetime) -> JobHealth:
    """Instances, pg_cron, the other writers, the warning and the role's access, as of
    ``now``.

    ``conn`` returns dict rows (as :func:`snapwatch.infra.db.connect`, the pool and
    :class:`~snapwatch.infra.dbsession.DbSession` give), which pg_cron's reader expects."""
    instances = tuple(instance_health(row) for row in await read_instances(conn))
    cron = await read_cron(conn, now)
    writers = await read_other_writers(conn)
    access = await check_access(conn)
    backfills = tuple(await recent_backfills(conn, now))
    warning = conflict_warning(cron, instances)
    return JobHealth(now, instances, cron, writers, warning, access, backfills)
