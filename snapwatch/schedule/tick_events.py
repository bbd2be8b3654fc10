"""A scheduler's notable events in the activity trail: never every tick, only what an
operator would want to read later.

- a tick that wrote snapshots (``tick_wrote``) or in which a site failed
  (``tick_failed``), with its counts; a tick that raised (``tick_failed``) once for a run
  of identical failures;
- a database outage as this instance saw it (``outage``): recorded when the database is
  back (it cannot be written while it is away), with when it began and how long it lasted;
- (:mod:`snapwatch.schedule.conflict_events`) a pg_cron job shown to write snapshots
  while the instance schedules.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from snapwatch.infra.dbsession import Conn
from snapwatch.schedule import activity
from snapwatch.schedule.instances import Mode
from snapwatch.schedule.tick_report import TickReport

_MODE_WORDS: dict[Mode, str] = {"daemon": "daemon", "tui": "app", "once": "run-once"}


def instance_process(mode: Mode, instance_id: UUID) -> str:
    """``daemon 5f0c…``: a scheduler instance as the trail names its process."""
    return f"{_MODE_WORDS[mode]} {instance_id}"


class TickEvents:
    """What one scheduler instance has recorded, so it records each event once."""

    def __init__(self, mode: Mode) -> None:
        self._mode: Mode = mode
        self._down: tuple[datetime, str] | None = None
        self._failure: str | None = None

    def process(self, instance_id: UUID) -> str:
        return instance_process(self._mode, instance_id)

    def unreachable(self, at: datetime, error: str) -> None:
        """A tick found the database away (the first one of an outage counts)."""
        if self._down is None:
            self._down = (at, error)

    async def reached(self, conn: Conn, instance_id: UUID, at: datetime) -> None:
        """The database is back: the outage, if there was one, goes in the trail."""
        if self._down is None:
            return
        since, error = self._down
        self._down = None
        seconds = round((at - since).total_seconds(), 1)
        await activity.record(
            conn,
            activity.OUTAGE,
            detail={"since": since, "seconds": seconds, "error": error},
            result=f"recovered after {seconds:g} s",
            process=self.process(instance_id),
        )

    async def ticked(self, conn: Conn, instance_id: UUID, report: TickReport) -> None:
        """A tick that wrote or failed something, with its counts."""
        self._failure = None
        if any(o.written for o in report.outcomes) or report.failed:
            kind = activity.TICK_FAILED if report.failed else activity.TICK_WROTE
            await record_tick(conn, kind, report, process=self.process(instance_id))

    async def raised(self, conn: Conn, instance_id: UUID, error: str) -> None:
        """A tick that raised: recorded once for a run of the same error."""
        if error == self._failure:
            return
        self._failure = error
        await activity.record(
            conn,
            activity.TICK_FAILED,
            scope=activity.ALL_SITES,
            detail={"error": error},
            result=activity.failed(error),
            process=self.process(instance_id),
        )


async def record_tick(
    conn: Conn, kind: str, report: TickReport, *, process: str | None = None
) -> None:
    """One tick in the trail (a scheduler's, or ``snapwatch run-once``): its counts, and
    the first failed site's error (the site itself when only one failed)."""
    failed = report.failed
    detail: dict[str, object] = {
        "snapshots": sum(len(o.written) for o in report.outcomes),
        "sites_written": report.count("written"),
        "sites_failed": len(failed),
        "seconds": round(report.duration_seconds, 3),
        "as_of": report.as_of,
    }
    if failed:
        detail["error"] = f"{failed[0].site_name}: {failed[0].error}"
    await activity.record(
        conn,
        kind,
        site_id=failed[0].site_id if len(failed) == 1 else None,
        scope=failed[0].site_name if len(failed) == 1 else activity.ALL_SITES,
        detail=detail,
        result=activity.failed(str(detail["error"])) if failed else activity.OK,
        process=process,
    )
