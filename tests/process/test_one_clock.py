"""One clock (design/platform.md): every process takes "now" from the database's clock,
reports a host clock that is off, and the one-shot commands use the schedulers' clock —
on the demo's database its shared accelerated clock — so a forced snapshot never lands
behind the session's newest slot."""

from __future__ import annotations

import asyncio
import os
import subprocess
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
import pytest
from prometheus_client import generate_latest
from psycopg import AsyncConnection
from psycopg.rows import dict_row
from support.cli import cli
from support.daemon import Daemon
from support.overview_rows import Rows

from snapwatch.infra.clock import (
    AcceleratedClock,
    DatabaseClock,
    FixedClock,
    SystemClock,
    command_clock,
    open_shared_clock,
)
from snapwatch.infra.config import Settings
from snapwatch.infra.db import Target
from snapwatch.infra.dbsession import DbSession
from snapwatch.schedule.instances import read_instances
from snapwatch.schedule.scheduler import Scheduler
from snapwatch.service.metrics import Health, Metrics

H = timedelta(hours=1)
HOST_BEHIND = timedelta(hours=3)


def cli_at(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    """The command line with its config and data directories under ``home``."""
    dirs = {"XDG_CONFIG_HOME": str(home / "config"), "XDG_DATA_HOME": str(home / "data")}
    return cli(*args, env=os.environ | dirs)


@pytest.fixture
async def db(cfg: Settings, migrated_dsn: str) -> AsyncIterator[DbSession]:
    session = DbSession(Target(dsn=migrated_dsn), cfg)
    yield session
    await session.close()


async def test_the_database_clock_is_the_servers_whatever_the_host_says(
    conn: AsyncConnection[dict[str, Any]],
) -> None:
    host = SystemClock().now() - HOST_BEHIND
    clock = DatabaseClock(FixedClock(host))
    assert clock.offset_seconds is None  # not measured yet
    offset = await clock.measure(conn)
    server = (await (await conn.execute("SELECT clock_timestamp() AS t")).fetchone() or {})["t"]
    assert abs(offset - HOST_BEHIND) < timedelta(seconds=5)
    assert abs(clock.now() - server) < timedelta(seconds=5)
    assert clock.offset_seconds == pytest.approx(offset.total_seconds())


async def test_a_tick_records_the_hosts_offset_and_health_reports_it_above_the_bound(
    db: DbSession, cfg: Settings, conn: AsyncConnection[dict[str, Any]], isolated_env: Path
) -> None:
    ahead = DatabaseClock(FixedClock(SystemClock().now() + timedelta(seconds=30)))
    sched = Scheduler(db, cfg, ahead, mode="daemon", wall=ahead, tick_seconds=60)
    outcome = await sched.tick_now()
    assert outcome.ok, outcome.error
    assert outcome.clock_offset_seconds == pytest.approx(-30, abs=5)
    [row] = await read_instances(conn)
    assert row.clock_offset_seconds == pytest.approx(-30, abs=5)
    # Its tick stamps are on the database's clock, not the host's.
    assert abs((row.last_tick_at or row.db_now) - row.db_now) < timedelta(seconds=5)
    # Metrics and /healthz say so (healthy: the database's time is used).
    metrics = Metrics()
    metrics.tick(outcome)
    text = generate_latest(metrics.registry).decode()
    assert "snapwatch_clock_offset_seconds -" in text
    health = Health(60, wall=ahead, max_clock_offset_seconds=2)
    health.tick(outcome)
    ok, line = health.check()
    assert ok and "this host's clock is 30." in line and "ahead of the database" in line
    # status names the instance whose host is off.
    status = await asyncio.to_thread(
        cli_at, "status", "--dsn", cfg.dsn_value() or "", home=isolated_env
    )
    assert status.returncode == 0, status.stderr
    assert "clock: its host's clock is 30." in status.stdout, status.stdout
    assert "(database clock)" in status.stdout.splitlines()[0]


async def test_within_the_bound_an_offset_is_not_reported(
    db: DbSession, cfg: Settings, isolated_env: Path
) -> None:
    clock = DatabaseClock()
    sched = Scheduler(db, cfg, clock, mode="daemon", wall=clock, tick_seconds=60)
    assert (await sched.tick_now()).ok
    status = await asyncio.to_thread(
        cli_at, "status", "--dsn", cfg.dsn_value() or "", home=isolated_env
    )
    assert "clock:" not in status.stdout, status.stdout


def test_run_once_refuses_an_instant_after_the_databases_now_unless_rehearsing(
    migrated_dsn: str, rows: Rows, isolated_env: Path
) -> None:
    start = SystemClock().now().replace(minute=0, second=0, microsecond=0) - 2 * H
    site = rows.site(rows.program(rows.company("Co"), "Program"), "Room", snapshot_cadence_hours=1)
    rows.session(site, start, start + 24 * H, "in_progress")
    rows.device(site)
    future = (start + 10 * H).isoformat()
    refused = cli_at("run-once", "--dsn", migrated_dsn, "--at", future, home=isolated_env)
    assert refused.returncode == 2, refused.stderr
    assert "is later than the database's now" in refused.stderr
    assert "--allow-future" in refused.stderr
    assert rows.conn.execute("SELECT count(*) FROM session_wake_snapshots").fetchone() == (0,)
    rehearsed = cli_at(
        "run-once", "--dsn", migrated_dsn, "--at", future, "--allow-future", home=isolated_env
    )
    assert rehearsed.returncode == 0, rehearsed.stderr
    assert rows.conn.execute("SELECT count(*) FROM session_wake_snapshots").fetchone() == (9,)


async def test_one_shot_commands_join_a_live_shared_clock_without_changing_it(
    conn: AsyncConnection[dict[str, Any]],
) -> None:
    plain = await command_clock(conn)
    assert isinstance(plain, DatabaseClock) and plain.offset_seconds is not None
    start = datetime(2026, 3, 1, 8, tzinfo=UTC)
    shared = await open_shared_clock(conn, "demo", start=start, speed=600, wall=DatabaseClock())
    joined = await command_clock(conn)
    assert isinstance(joined, AcceleratedClock) and joined.name == "demo"
    assert abs(joined.now() - shared.now()) < timedelta(minutes=1)  # 600x: 0.1 s of wall
    rows = await (await conn.execute("SELECT name, speed FROM snapwatch.clocks")).fetchall()
    assert rows == [{"name": "demo", "speed": 600.0}]


def _wakes(dsn: str, session: UUID) -> list[tuple[int, datetime, datetime, bool]]:
    with psycopg.connect(dsn, row_factory=dict_row) as c:
        found = c.execute(
            "SELECT w.wake_number, w.wake_round_start, w.wake_round_end,"
            " p.session_id IS NOT NULL AS provisional"
            " FROM session_wake_snapshots w LEFT JOIN snapwatch.provisional_snapshots p"
            " USING (session_id, wake_number) WHERE w.session_id = %s ORDER BY 1",
            (session,),
        ).fetchall()
    return [
        (r["wake_number"], r["wake_round_start"], r["wake_round_end"], r["provisional"])
        for r in found
    ]


@pytest.mark.slow
def test_force_from_the_command_line_on_the_moving_demo_never_lands_behind_its_newest_slot(
    migrated_dsn: str, rows: Rows, tmp_path: Path
) -> None:
    """The demo's scheduler runs on a shared clock hours ahead of the host's; a
    ``snapwatch force`` from the command line must force on that clock: its wake is the
    next one, and the scheduler replaces it once the slot completes."""
    host_now = SystemClock().now()
    session_start = host_now.replace(minute=0, second=0, microsecond=0) - 2 * H
    site = rows.site(
        rows.program(rows.company("Demo Co"), "Demo"), "Ripening Room A", snapshot_cadence_hours=1
    )
    session = rows.session(site, session_start, session_start + 24 * H, "in_progress")
    rows.device(site)
    clock_start = (session_start + 10 * H + timedelta(minutes=5)).isoformat()
    daemon = Daemon(
        migrated_dsn,
        tmp_path,
        "--speed",
        "120",
        "--clock-name",
        "demo",
        "--clock-start",
        clock_start,
    )
    try:
        # The scheduler catches up wakes 1-10 on the demo clock (10:05 into the session).
        daemon.wait_for("wakes 1-10", lambda: len(_wakes(migrated_dsn, session)) >= 10, 30)
        forced = cli_at("force", "--dsn", migrated_dsn, "--site", "ripening room a", home=tmp_path)
        assert forced.returncode == 0, forced.stdout + forced.stderr
        wakes = _wakes(migrated_dsn, session)
        provisional = [w for w in wakes if w[3]]
        assert len(provisional) == 1, wakes
        wake, start, end, _ = provisional[0]
        newest_regular = max(w[2] for w in wakes if not w[3])
        assert end >= newest_regular  # never behind the newest slot
        assert f"wake {wake}" in forced.stdout
        # At 120x an hour's slot completes within 30 s of wall time: replaced in place.
        daemon.wait_for(
            "the forced slot completed",
            lambda: any(w[0] == wake and not w[3] for w in _wakes(migrated_dsn, session)),
            60,
        )
        final = _wakes(migrated_dsn, session)
        numbers = [w[0] for w in final]
        assert numbers == list(range(1, len(numbers) + 1)), final
        replaced = next(w for w in final if w[0] == wake)
        assert (replaced[1], replaced[2] - replaced[1]) == (start, H)
        last = rows.conn.execute(
            "SELECT last_snapshot_at FROM sites WHERE site_id = %s", (site,)
        ).fetchone()
        assert last is not None and last[0] >= end
    finally:
        daemon.stop()


def test_force_refuses_when_its_now_is_behind_the_sessions_newest_slot(
    migrated_dsn: str, rows: Rows, isolated_env: Path
) -> None:
    """A shared clock ahead of the database (a demo left running on another timeline)
    wrote wake 10; a force on the database's own clock would land behind it: refused."""
    host_now = SystemClock().now()
    start = host_now.replace(minute=0, second=0, microsecond=0) - 2 * H
    site = rows.site(rows.program(rows.company("Co"), "P"), "Room", snapshot_cadence_hours=1)
    session = rows.session(site, start, start + 24 * H, "in_progress")
    rows.device(site)
    rehearsed = cli_at(
        "run-once",
        "--dsn",
        migrated_dsn,
        "--at",
        (start + 10 * H + timedelta(minutes=5)).isoformat(),
        "--allow-future",
        home=isolated_env,
    )
    assert rehearsed.returncode == 0, rehearsed.stderr
    before = _wakes(migrated_dsn, session)
    forced = cli_at("force", "--dsn", migrated_dsn, "--site", "Room", home=isolated_env)
    assert forced.returncode == 1, forced.stdout + forced.stderr
    assert "the session already has wake 10 ending" in forced.stdout, forced.stdout
    assert _wakes(migrated_dsn, session) == before


def test_a_scheduler_on_a_clock_off_by_hours_still_writes_on_the_databases_time(
    migrated_dsn: str, rows: Rows, cfg: Settings
) -> None:
    """A host three hours behind: with the database's clock its ticks write the slots
    that have ended by the database's now, never fewer (nor, ahead, any unfinished)."""

    async def run() -> list[tuple[int, datetime, datetime, bool]]:
        behind = DatabaseClock(FixedClock(SystemClock().now() - HOST_BEHIND))
        db = DbSession(Target(dsn=migrated_dsn), cfg)
        try:
            sched = Scheduler(db, cfg, behind, mode="daemon", wall=behind, tick_seconds=60)
            assert (await sched.tick_now()).ok
        finally:
            await db.close()
        return _wakes(migrated_dsn, session)

    start = SystemClock().now().replace(minute=0, second=0, microsecond=0) - 4 * H
    site = rows.site(rows.program(rows.company("Co"), "P"), "Room", snapshot_cadence_hours=1)
    session = rows.session(site, start, start + 24 * H, "in_progress")
    rows.device(site)
    settle = timedelta(seconds=cfg.scheduler.settle_seconds)
    before = (SystemClock().now() - settle - start) // H
    written = asyncio.run(run())
    after = (SystemClock().now() - settle - start) // H
    assert [w[0] for w in written] in [list(range(1, n + 1)) for n in (before, after)]


async def test_the_apps_job_health_pane_names_an_instance_whose_host_clock_is_off(
    db: DbSession, cfg: Settings, conn: AsyncConnection[dict[str, Any]]
) -> None:
    from snapwatch.schedule.health import instance_health
    from snapwatch.tui.panes.health import instance_row

    behind = DatabaseClock(FixedClock(SystemClock().now() - timedelta(seconds=45)))
    sched = Scheduler(db, cfg, behind, mode="tui", wall=behind, tick_seconds=60)
    assert (await sched.tick_now()).ok
    [row] = await read_instances(conn)
    cells = instance_row(instance_health(row), sched.instance_id, 2.0)
    assert "its host's clock is 45." in cells[-1].text and "behind the database" in cells[-1].text
    assert instance_row(instance_health(row), None, 60.0)[-1].text == ""
