"""The run history read models on runs recorded by the real scheduler tick: two ticks by
two instances over a site that is written, one whose writes fail, one without devices."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest
from psycopg import AsyncConnection
from support.overview_rows import Rows
from support.run_history import (
    FIRST,
    REFUSED,
    REFUSED_DETAIL,
    SECOND,
    STARTED,
    TOOK,
    M,
    build_runs,
    refuse_writes,
)

from snapwatch.infra.config import Settings
from snapwatch.infra.errors import SnapwatchError
from snapwatch.readmodels.runs import recent_runs, run_sites, site_failures
from snapwatch.schedule.history.runs import BackfillTally, finish_run, start_run


async def test_recent_runs_newest_first_with_instance_counts_duration_and_error(
    cfg: Settings, rows: Rows, conn: AsyncConnection[dict[str, Any]]
) -> None:
    fleet = await build_runs(rows, conn, cfg)
    runs = await recent_runs(conn)
    assert [r.run_id for r in runs] == [fleet.second, fleet.first]
    assert [r.who for r in runs] == ["host-b:202", "host-a:101"]
    assert [(r.instance and r.instance.mode) for r in runs] == ["tui", "daemon"]
    assert [(r.started_at, r.as_of) for r in runs] == [(STARTED + M, SECOND), (STARTED, FIRST)]
    assert [(r.kind, r.status, r.written, r.skipped, r.failed) for r in runs] == [
        ("tick", "partial", 1, 1, 1),
        ("tick", "partial", 1, 1, 1),
    ]
    assert all(r.duration_seconds == TOOK.total_seconds() for r in runs)
    assert all((r.error or "").startswith("write: NotNullViolation: ") for r in runs)
    assert [r.run_id for r in await recent_runs(conn, limit=1)] == [fleet.second]


async def test_a_backfill_and_a_run_whose_instance_is_gone_say_who_ran_them(
    cfg: Settings, rows: Rows, conn: AsyncConnection[dict[str, Any]]
) -> None:
    fleet = await build_runs(rows, conn, cfg)
    await conn.execute(
        "DELETE FROM snapwatch.scheduler_instances WHERE instance_id = %s", (fleet.host_a,)
    )
    tally = BackfillTally(since="2026-06-01", until="2026-06-09", scope="all sites")
    backfill = await start_run(conn, STARTED + 2 * M, "ops@desk", tally)
    running = (await recent_runs(conn))[0]
    assert (running.run_id, running.kind, running.status) == (backfill, "backfill", "running")
    assert running.who == "ops@desk" and running.instance is None
    assert running.duration_seconds is None
    await finish_run(conn, backfill, tally, STARTED + 3 * M)
    runs = await recent_runs(conn)
    assert runs[0].status == "ok" and runs[0].duration_seconds == 60.0
    assert runs[-1].who == f"gone {str(fleet.host_a)[:8]}"


async def test_one_runs_sites_failures_first_then_writes_then_skips(
    cfg: Settings, rows: Rows, conn: AsyncConnection[dict[str, Any]]
) -> None:
    fleet = await build_runs(rows, conn, cfg)
    found = await run_sites(conn, fleet.first)
    assert found.run.run_id == fleet.first and found.total == 4
    assert [(s.site_name, s.outcome, s.wake_number, s.trigger) for s in found.sites] == [
        ("Broken", "failed", None, None),
        ("Alpha", "written", 1, "catch_up"),
        ("Alpha", "written", 2, "schedule"),
        ("Empty", "skipped", None, None),
    ]
    failed, written, _, skipped = found.sites
    assert failed.site_id == fleet.broken and "company_id" in (failed.error or "")
    assert written.snapshot_id is not None and written.error is None
    assert skipped.reason == "no_devices" and skipped.site_id == fleet.empty
    second = await run_sites(conn, fleet.second)
    assert [(s.site_name, s.wake_number) for s in second.sites] == [
        ("Broken", None),
        ("Alpha", 3),
        ("Empty", None),
    ]
    limited = await run_sites(conn, fleet.first, limit=2)
    assert [s.outcome for s in limited.sites] == ["failed", "written"] and limited.total == 4


async def test_a_sites_recent_failures_across_runs_newest_first(
    cfg: Settings, rows: Rows, conn: AsyncConnection[dict[str, Any]]
) -> None:
    fleet = await build_runs(rows, conn, cfg)
    found = await site_failures(conn, fleet.broken)
    assert found.site_name == "Broken"
    assert [(f.run_id, f.started_at, f.as_of, f.kind) for f in found.failures] == [
        (fleet.second, STARTED + M, SECOND, "tick"),
        (fleet.first, STARTED, FIRST, "tick"),
    ]
    assert [f.instance and f.instance.name for f in found.failures] == [
        "host-b:202",
        "host-a:101",
    ]
    assert all("company_id" in (f.error or "") for f in found.failures)
    assert [f.run_id for f in (await site_failures(conn, fleet.broken, limit=1)).failures] == [
        fleet.second
    ]
    assert (await site_failures(conn, fleet.alpha)).failures == ()
    for table in ("site_device_sessions", "sites"):
        rows.conn.execute(f"DELETE FROM {table} WHERE site_id = %s", (fleet.empty,))
    gone = await site_failures(conn, fleet.empty)
    assert (gone.site_name, gone.failures) == (None, ())
    assert [s.site_name for s in (await run_sites(conn, fleet.first)).sites][-1] is None


async def test_an_error_of_several_lines_is_kept_whole(
    cfg: Settings, rows: Rows, conn: AsyncConnection[dict[str, Any]]
) -> None:
    fleet = await build_runs(rows, conn, cfg, fail=refuse_writes)
    [failure, _] = (await site_failures(conn, fleet.broken)).failures
    assert failure.error is not None
    assert REFUSED in failure.error and REFUSED_DETAIL in failure.error


async def test_a_run_that_is_gone_is_one_clear_error(
    cfg: Settings, rows: Rows, conn: AsyncConnection[dict[str, Any]]
) -> None:
    await build_runs(rows, conn, cfg)
    with pytest.raises(SnapwatchError, match="that run is gone"):
        await run_sites(conn, uuid4())
