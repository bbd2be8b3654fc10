"""The run history: recent runs of every instance, one run's per-site outcomes, and one
site's recent failures across runs (what the app's run history screens show).

Each a single query over ``snapwatch.runs`` and ``snapwatch.run_sites``
(:mod:`snapwatch.schedule.runlog` and :mod:`snapwatch.schedule.history.runs` write them),
with the instance that ran it from ``scheduler_instances`` and the site's name from the
platform's ``sites`` (a row whose instance or site is gone keeps its ids). Text read
here is platform or error text: whoever shows it makes it plain.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection

from snapwatch.infra.db import dict_rows
from snapwatch.infra.errors import SnapwatchError

_RUN_COLUMNS = """
       r.run_id, r.instance_id, i.host, i.pid, i.mode, r.kind, r.started_by,
       r.started_at, r.finished_at, r.as_of, r.status, r.sites_written, r.sites_skipped,
       r.sites_failed, r.error
  FROM snapwatch.runs r
  LEFT JOIN snapwatch.scheduler_instances i ON i.instance_id = r.instance_id
"""

# Newest first through idx_runs_started.
RECENT_SQL = f"SELECT {_RUN_COLUMNS} ORDER BY r.started_at DESC, r.run_id LIMIT %(limit)s"

RUN_SQL = f"SELECT {_RUN_COLUMNS} WHERE r.run_id = %(run)s"

# Failures first, then conflicts, writes, skips; by site name within each.
OUTCOME_RANK = ("failed", "conflict", "written", "skipped")
SITES_SQL = """
SELECT rs.run_site_id, rs.site_id, s.name AS site_name, rs.outcome, rs.reason,
       rs.wake_number, rs.trigger, rs.snapshot_id, rs.error,
       count(*) OVER () AS total
  FROM snapwatch.run_sites rs
  LEFT JOIN sites s ON s.site_id = rs.site_id
 WHERE rs.run_id = %(run)s
 ORDER BY array_position(%(rank)s::text[], rs.outcome), s.name, rs.site_id, rs.wake_number,
          rs.run_site_id
 LIMIT %(limit)s
"""

# Through idx_run_sites_site_decisive (site_id, recorded_at DESC) WHERE outcome IN
# ('written', 'failed').
FAILURES_SQL = """
SELECT rs.run_site_id, rs.run_id, r.started_at, rs.error, rs.reason, rs.trigger,
       r.kind, r.as_of, r.instance_id, i.host, i.pid, i.mode
  FROM snapwatch.run_sites rs
  JOIN snapwatch.runs r ON r.run_id = rs.run_id
  LEFT JOIN snapwatch.scheduler_instances i ON i.instance_id = r.instance_id
 WHERE rs.site_id = %(site)s AND rs.outcome = 'failed'
 ORDER BY rs.recorded_at DESC, rs.run_site_id
 LIMIT %(limit)s
"""

SITE_NAME_SQL = "SELECT name FROM sites WHERE site_id = %(site)s"


@dataclass(frozen=True, slots=True)
class Instance:
    """The process that ran a run, as the job health pane names it."""

    instance_id: UUID
    host: str | None
    """None when the instance's row is gone (forgotten after a week of silence)."""
    pid: int | None
    mode: str | None

    @property
    def name(self) -> str:
        """``host:pid``, or the id's first part when the row is gone."""
        if self.host is None:
            return f"gone {str(self.instance_id)[:8]}"
        return f"{self.host}:{self.pid}"


@dataclass(frozen=True, slots=True)
class RunRow:
    run_id: UUID
    instance: Instance | None
    """None for a run recorded without one (``run-once`` before it registered, a backfill)."""
    kind: str
    """``tick`` or ``backfill``."""
    started_by: str | None
    """Who started a backfill (``user@host``)."""
    started_at: datetime
    """Wall-clock start and finish (None while it runs)."""
    finished_at: datetime | None
    as_of: datetime | None
    """The instant due-ness was judged at (the run's clock, simulated in the demo)."""
    status: str
    """``running``, ``ok``, ``partial`` or ``failed``."""
    written: int
    skipped: int
    failed: int
    error: str | None
    """The first failure's error (a whole backfill's, for a backfill that failed)."""

    @property
    def duration_seconds(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()

    @property
    def who(self) -> str:
        """The instance's ``host:pid``, else who started it, else ``-``."""
        if self.instance is not None:
            return self.instance.name
        return self.started_by or "-"


@dataclass(frozen=True, slots=True)
class RunSite:
    """What one run did with one site (one row per snapshot written)."""

    key: UUID
    site_id: UUID
    site_name: str | None
    """None when the site's row is gone."""
    outcome: str
    """``failed``, ``conflict``, ``written`` or ``skipped``."""
    reason: str | None
    wake_number: int | None
    trigger: str | None
    snapshot_id: UUID | None
    error: str | None


@dataclass(frozen=True, slots=True)
class RunSites:
    run: RunRow
    sites: tuple[RunSite, ...]
    """Failures first (then conflicts, writes, skips), by site name."""
    total: int
    """How many rows the run has (``sites`` holds at most the limit)."""


@dataclass(frozen=True, slots=True)
class SiteFailure:
    key: UUID
    run_id: UUID
    started_at: datetime
    """When the run that failed started (wall clock)."""
    instance: Instance | None
    kind: str
    as_of: datetime | None
    trigger: str | None
    error: str | None
    reason: str | None


@dataclass(frozen=True, slots=True)
class SiteFailures:
    site_id: UUID
    site_name: str | None
    """None when the site's row is gone."""
    failures: tuple[SiteFailure, ...]
    """Newest first."""


async def recent_runs(conn: AsyncConnection[Any], limit: int = 100) -> list[RunRow]:
    """The ``limit`` newest runs of every instance (ticks and backfills), newest first."""
    return [_run(r) for r in await dict_rows(conn, RECENT_SQL, {"limit": limit})]


async def run_sites(conn: AsyncConnection[Any], run_id: UUID, limit: int = 1000) -> RunSites:
    """One run and what it did with each site, failures first (at most ``limit`` rows)."""
    found = await dict_rows(conn, RUN_SQL, {"run": run_id})
    if not found:
        raise SnapwatchError("that run is gone (pruned since the list was read)")
    rows = await dict_rows(
        conn, SITES_SQL, {"run": run_id, "rank": list(OUTCOME_RANK), "limit": limit}
    )
    sites = tuple(
        RunSite(
            key=r["run_site_id"],
            site_id=r["site_id"],
            site_name=r["site_name"],
            outcome=r["outcome"],
            reason=r["reason"],
            wake_number=r["wake_number"],
            trigger=r["trigger"],
            snapshot_id=r["snapshot_id"],
            error=r["error"],
        )
        for r in rows
    )
    return RunSites(_run(found[0]), sites, int(rows[0]["total"]) if rows else 0)


async def site_failures(conn: AsyncConnection[Any], site_id: UUID, limit: int = 50) -> SiteFailures:
    """The ``limit`` newest failures of one site across runs, newest first."""
    named = await dict_rows(conn, SITE_NAME_SQL, {"site": site_id})
    rows = await dict_rows(conn, FAILURES_SQL, {"site": site_id, "limit": limit})
    failures = tuple(
        SiteFailure(
            key=r["run_site_id"],
            run_id=r["run_id"],
            started_at=r["started_at"],
            instance=_instance(r),
            kind=r["kind"],
            as_of=r["as_of"],
            trigger=r["trigger"],
            error=r["error"],
            reason=r["reason"],
        )
        for r in rows
    )
    return SiteFailures(site_id, named[0]["name"] if named else None, failures)


def _instance(r: dict[str, Any]) -> Instance | None:
    if r["instance_id"] is None:
        return None
    return Instance(r["instance_id"], r["host"], r["pid"], r["mode"])


def _run(r: dict[str, Any]) -> RunRow:
    return RunRow(
        run_id=r["run_id"],
        instance=_instance(r),
        kind=r["kind"],
        started_by=r["started_by"],
        started_at=r["started_at"],
        finished_at=r["finished_at"],
        as_of=r["as_of"],
        status=r["status"],
        written=r["sites_written"],
        skipped=r["sites_skipped"],
        failed=r["sites_failed"],
        error=r["error"],
    )
