"""A conflict in the activity trail: a pg_cron job shown to write snapshots while a
snapwatch instance schedules them (the warning of
:func:`snapwatch.readmodels.status.conflict_warning`, as the instance sees it).

Looked for after the first tick and then hourly (it follows function definitions, more
than a tick should pay for every time), recorded once per distinct warning. The
scheduler's owner (the daemon, the app) runs it after its ticks: the scheduler itself
cannot import pg_cron's reading, which reads crontab lines through the scheduler.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from uuid import UUID

from snapwatch.infra.dbsession import Conn
from snapwatch.schedule import activity
from snapwatch.schedule.instances import Mode
from snapwatch.schedule.pgcron import read_cron
from snapwatch.schedule.tick_events import instance_process

LOOK_EVERY_SECONDS = 3600.0


class ConflictWatch:
    def __init__(self, mode: Mode, instance: Callable[[], UUID | None]) -> None:
        """``instance``: the scheduler's instance id (None before it registered)."""
        self._mode: Mode = mode
        self._instance = instance
        self._warning: str | None = None
        self._looked_at: float | None = None
        self.jobs: list[int] | None = None
        """The jobs shown to write snapshots at the last look (None before the first)."""

    @property
    def warning(self) -> str | None:
        """The warning as last looked for (None: no conflict, or not looked yet)."""
        return self._warning

    async def look(self, conn: Conn, now: datetime) -> None:
        instance = self._instance()
        clock = time.monotonic()
        if instance is None or (
            self._looked_at is not None and clock - self._looked_at < LOOK_EVERY_SECONDS
        ):
            return
        self._looked_at = clock
        cron = await read_cron(conn, now)
        self.jobs = jobs = [j.jobid for j in cron.conflicts(True)]
        warning = cron.warning(True)
        if warning is None or warning == self._warning:
            self._warning = warning
            return
        self._warning = warning
        await activity.record(
            conn,
            activity.CONFLICT,
            scope=activity.ALL_SITES,
            detail={"warning": warning, "jobs": jobs},
            result="warning: pg_cron job " + ", ".join(map(str, jobs)) + " writes snapshots",
            process=instance_process(self._mode, instance),
        )
