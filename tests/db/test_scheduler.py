"""The scheduler on a real database: repeated ticks that write what is due, the instance
row (registered, heartbeating, stopped), stopping mid-tick, failing ticks, no overlap,
global pause, run history retention, the shared accelerated clock, and the reconnecting
database session."""

from __future__ import annotations

import asyncio
import functools
import itertools
import logging
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from uuid import UUID

import psycopg
import pytest
import support.sites
from support.overview_rows import Rows

from snapwatch import __version__
from snapwatch.infra.backoff import CAP_SECONDS
from snapwatch.infra.clock import FixedClock, SystemClock, open_shared_clock
from snapwatch.infra.config import Settings
from snapwatch.infra.db import Target, connect
from snapwatch.infra.dbsession import DbSession, DbState
from snapwatch.infra.errors import DatabaseUnreachable
from snapwatch.schedule import scheduler as scheduler_module
from snapwatch.schedule.instances import InstanceRow, read_instances
from snapwatch.schedule.scheduler import Scheduler
from snapwatch.schedule.tick_runner import TickOutcome

DAY = datetime(2026, 6, 10, tzinfo=UTC)
H = timedelta(hours=1)
TICK = 0.2


@pytest.fixture
async def db(cfg: Settings, migrated_dsn: str) -> AsyncIterator[DbSession]:
    session = DbSession(Target(dsn=migrated_dsn), cfg)
    yield session
    await session.close()


make_site = functools.partial(support.sites.make_site, day=DAY, devices=1)


class Ticks:
    """Collects the scheduler's reports; lets a test wait for the n-th."""

    def __init__(self) -> None:
        self.outcomes: list[TickOutcome] = []

    def __call__(self, outcome: TickOutcome) -> None:
        self.outcomes.append(outcome)

    async def wait(self, n: int, timeout: float = 10.0) -> list[TickOutcome]:
        await until(lambda: len(self.outcomes) >= n, timeout)
        return self.outcomes


async def until(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.02)


def snapshot_wakes(rows: Rows, site: UUID) -> list[tuple[int, str]]:
    return [
        (r[0], r[1])
        for r in rows.conn.execute(
            "SELECT wake_number, site_state #>> '{snapshot_metadata,trigger}' "
            "FROM session_wake_snapshots WHERE site_id = %s ORDER BY wake_number",
            (site,),
        ).fetchall()
    ]


async def instances(migrated_dsn: str, cfg: Settings) -> list[InstanceRow]:
    conn = await connect(Target(dsn=migrated_dsn), cfg)
    try:
        return await read_instances(conn)
    finally:
        await conn.close()


async def test_ticks_repeat_and_write_what_is_due(db: DbSession, cfg: Settings, rows: Rows) -> None:
    site = make_site(rows, "Pier")
    clock = FixedClock(DAY + 5 * H + timedelta(minutes=3))
    ticks = Ticks()
    sched = Scheduler(db, cfg, clock, mode="daemon", on_tick=ticks, tick_seconds=TICK)
    await sched.start()
    try:
        first = (await ticks.wait(1))[0]
        assert first.ok and first.report is not None
        assert snapshot_wakes(rows, site) == [
            (1, "catch_up"),
            (2, "catch_up"),
            (3, "catch_up"),
            (4, "catch_up"),
            (5, "schedule"),
        ]
        await ticks.wait(3)
        assert all(o.report and o.report.count("written") == 0 for o in ticks.outcomes[1:3])
        clock.advance(H)  # the 06:00 slot is due now
        n = len(ticks.outcomes)
        await until(lambda: len(snapshot_wakes(rows, site)) == 6)
        assert snapshot_wakes(rows, site)[-1] == (6, "schedule")
        await ticks.wait(n + 1)
        assert sched.last_success is not None and sched.next_tick_at is not None
    finally:
        await sched.stop()
    assert rows.conn.execute("SELECT count(*) FROM snapwatch.runs").fetchone()[0] >= 4  # type: ignore[index]


async def test_the_instance_is_registered_heartbeats_and_is_marked_stopped(
    db: DbSession, cfg: Settings, rows: Rows, migrated_dsn: str
) -> None:
    make_site(rows, "Pier")
    clock = FixedClock(DAY + 5 * H + timedelta(minutes=3))
    ticks = Ticks()
    sched = Scheduler(db, cfg, clock, mode="daemon", on_tick=ticks, tick_seconds=TICK)
    await sched.start()
    try:
        await ticks.wait(2)
        [row] = await instances(migrated_dsn, cfg)
        assert (row.mode, row.version, row.clock, row.tick_seconds) == (
            "daemon",
            __version__,
            "fixed 2026-06-10T05:03:00+00:00",
            TICK,
        )
        assert row.instance_id == sched.instance_id
        assert row.last_success_at is not None and row.last_error is None
        assert row.next_tick_at is not None and row.stopped_at is None
        beat = row.heartbeat_at
        await ticks.wait(len(ticks.outcomes) + 2)
        [again] = await instances(migrated_dsn, cfg)
        assert again.heartbeat_at > beat and again.last_tick_at is not None
    finally:
        await sched.stop()
    [stopped] = await instances(migrated_dsn, cfg)
    assert stopped.stopped_at is not None and stopped.next_tick_at is None


def blocked_writers(rows: Rows) -> int:
    row = rows.conn.execute(
        "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid) "
        "WHERE NOT l.granted AND a.application_name = 'snapwatch'"
    ).fetchone()
    assert row is not None
    return int(row[0])


async def test_stop_finishes_the_site_in_hand_and_leaves_the_rest(
    db: DbSession, cfg: Settings, rows: Rows, migrated_dsn: str
) -> None:
    sites = [make_site(rows, name) for name in ("Alpha", "Bravo", "Charlie")]
    clock = FixedClock(DAY + 2 * H + timedelta(minutes=3))
    ticks = Ticks()
    sched = Scheduler(db, cfg, clock, mode="daemon", on_tick=ticks, tick_seconds=TICK)
    # Another session holds the snapshot table: the first site's write waits on it.
    with psycopg.connect(migrated_dsn) as holder:
        holder.execute("LOCK TABLE session_wake_snapshots IN EXCLUSIVE MODE")
        await sched.start()
        await until(lambda: blocked_writers(rows) == 1)
        stopping = asyncio.create_task(sched.stop())
        await asyncio.sleep(0.1)
        assert not stopping.done()  # waits for the site in hand
        holder.rollback()
        await asyncio.wait_for(stopping, 5)
    [outcome] = ticks.outcomes
    assert outcome.report is not None and outcome.report.stopped
    written = [o for o in outcome.report.outcomes if o.outcome == "written"]
    left = [o for o in outcome.report.outcomes if o.reason == "stopping: left for the next tick"]
    assert len(written) == 1 and len(left) == 2
    assert sum(len(snapshot_wakes(rows, s)) for s in sites) == 2  # wakes 1-2 of one site
    [row] = await instances(migrated_dsn, cfg)
    assert row.stopped_at is not None


def break_site(rows: Rows, site: UUID) -> UUID:
    """No company anywhere for the snapshot row: the site's write fails."""
    company = rows.conn.execute("SELECT company_id FROM sites WHERE site_id = %s", (site,))
    company_id = company.fetchone()[0]  # type: ignore[index]
    rows.conn.execute("UPDATE sites SET company_id = NULL WHERE site_id = %s", (site,))
    rows.conn.execute(
        "UPDATE pilot_programs SET company_id = NULL WHERE program_id = "
        "(SELECT program_id FROM sites WHERE site_id = %s)",
        (site,),
    )
    return UUID(str(company_id))


async def test_a_failing_tick_is_recorded_and_the_scheduler_keeps_going(
    db: DbSession,
    cfg: Settings,
    rows: Rows,
    migrated_dsn: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    make_site(rows, "Good")
    bad = make_site(rows, "Bad")
    company = break_site(rows, bad)
    clock = FixedClock(DAY + 2 * H + timedelta(minutes=3))
    ticks = Ticks()
    sched = Scheduler(db, cfg, clock, mode="daemon", on_tick=ticks, tick_seconds=TICK)
    caplog.set_level(logging.INFO, logger="snapwatch.schedule.scheduler")
    await sched.start()
    try:
        await ticks.wait(3)
        assert all(not o.ok and o.report is not None for o in ticks.outcomes[:3])
        assert (ticks.outcomes[0].error or "").startswith("site Bad failed: write: ")
        [row] = await instances(migrated_dsn, cfg)
        assert "company_id" in (row.last_error or "") and row.last_success_at is None

        # A tick that raises (its run cannot be recorded) is caught and recorded too.
        rows.conn.execute("ALTER TABLE snapwatch.runs RENAME TO runs_elsewhere")
        n = len(ticks.outcomes)
        await ticks.wait(n + 3)
        raised = [o for o in ticks.outcomes[n:] if o.report is None]
        missing = 'schema not ready: relation "snapwatch.runs" does not exist'
        assert raised and all((o.error or "").startswith(missing) for o in raised)
        [row] = await instances(migrated_dsn, cfg)
        assert (row.last_error or "").startswith(missing)
        logged = [r for r in caplog.records if getattr(r, "event", None) == "tick_failed"]
        assert len(logged) == 1  # once for a run of identical failures

        rows.conn.execute("ALTER TABLE snapwatch.runs_elsewhere RENAME TO runs")
        rows.conn.execute("UPDATE sites SET company_id = %s WHERE site_id = %s", (company, bad))
        await until(lambda: sched.last_tick is not None and sched.last_tick.ok)
        await ticks.wait(len(ticks.outcomes) + 1)
        [row] = await instances(migrated_dsn, cfg)
        assert row.last_error is None and row.last_success_at is not None
    finally:
        await sched.stop()


async def test_a_slow_tick_never_overlaps_itself(
    db: DbSession, cfg: Settings, rows: Rows, migrated_dsn: str
) -> None:
    make_site(rows, "Slow")
    clock = FixedClock(DAY + 2 * H + timedelta(minutes=3))
    ticks = Ticks()
    sched = Scheduler(db, cfg, clock, mode="daemon", on_tick=ticks, tick_seconds=0.1)
    with psycopg.connect(migrated_dsn) as holder:
        holder.execute("LOCK TABLE session_wake_snapshots IN EXCLUSIVE MODE")
        await sched.start()
        await until(lambda: blocked_writers(rows) == 1)
        now_tick = asyncio.create_task(sched.tick_now())  # an app's "run now" waits too
        await asyncio.sleep(1.0)  # ten intervals pass while the first tick is stuck
        assert len(ticks.outcomes) == 0
        holder.rollback()
    await asyncio.wait_for(now_tick, 5)
    await ticks.wait(4)
    await sched.stop()
    spans = [(o.started_at, o.finished_at) for o in ticks.outcomes]
    assert spans[0][1] - spans[0][0] >= timedelta(seconds=0.9)
    for (_, end), (start, _) in itertools.pairwise(spans):
        assert start >= end  # each tick starts after the previous one finished
    # Coalesced: the missed intervals did not queue up as a burst of ticks.
    assert sum(1 for s, _ in spans[1:] if s - spans[0][1] < timedelta(seconds=0.05)) <= 2


async def test_a_global_pause_still_ticks_writes_nothing_and_heartbeats_paused(
    db: DbSession, cfg: Settings, rows: Rows, migrated_dsn: str
) -> None:
    site = make_site(rows, "Pier")
    rows.conn.execute(
        "INSERT INTO snapwatch.pauses (site_id, paused_by, paused_at, reason) "
        "VALUES (NULL, 'ops@host', %s, 'maintenance')",
        (DAY,),
    )
    clock = FixedClock(DAY + 5 * H + timedelta(minutes=3))
    ticks = Ticks()
    sched = Scheduler(db, cfg, clock, mode="daemon", on_tick=ticks, tick_seconds=TICK)
    await sched.start()
    try:
        [outcome, *_] = await ticks.wait(2)
    finally:
        await sched.stop()
    assert outcome.ok and outcome.paused and outcome.report is not None
    assert [o.reason for o in outcome.report.outcomes] == ["paused"]
    assert snapshot_wakes(rows, site) == []
    [row] = await instances(migrated_dsn, cfg)
    assert row.paused and row.last_success_at is not None


async def test_old_run_history_is_pruned_on_the_first_tick(
    db: DbSession, cfg: Settings, rows: Rows
) -> None:
    now = SystemClock().now()
    for age_days in (30, 15, 13):
        rows.conn.execute(
            "INSERT INTO snapwatch.runs (started_at, finished_at, status) VALUES (%s, %s, 'ok')",
            (now - timedelta(days=age_days), now - timedelta(days=age_days)),
        )
    ticks = Ticks()
    clock = FixedClock(DAY)
    sched = Scheduler(db, cfg, clock, mode="daemon", on_tick=ticks, tick_seconds=TICK)
    await sched.start()
    await ticks.wait(2)
    await sched.stop()
    ages = rows.conn.execute(
        "SELECT round(extract(epoch FROM now() - started_at) / 86400) FROM snapwatch.runs "
        "ORDER BY started_at"
    ).fetchall()
    assert [int(a[0]) for a in ages][:1] == [13]  # 30 and 15 days (retention 14) are gone
    assert len(ages) >= 3  # the 13-day run and this scheduler's ticks


async def test_a_shared_accelerated_clock_moves_the_schedule_and_is_recorded(
    db: DbSession, cfg: Settings, rows: Rows, migrated_dsn: str
) -> None:
    site = make_site(rows, "Pier", cadence=0.25)
    start = DAY + 3 * H + timedelta(minutes=3)
    conn = await db.connection()
    # x600: a 0.2 s tick is 2 simulated minutes, well within the late grace (5 min).
    clock = await open_shared_clock(conn, "test", start=start, speed=600, wall=SystemClock())
    ticks = Ticks()
    sched = Scheduler(db, cfg, clock, mode="daemon", on_tick=ticks, tick_seconds=TICK)
    await sched.start()
    try:
        await until(lambda: len(snapshot_wakes(rows, site)) >= 14, timeout=10)
    finally:
        await sched.stop()
    wakes = snapshot_wakes(rows, site)
    assert wakes[:12] == [(k, "catch_up") for k in range(1, 12)] + [(12, "schedule")]
    assert wakes[12:14] == [(13, "schedule"), (14, "schedule")]  # at 03:17 and 03:32
    [row] = await instances(migrated_dsn, cfg)
    assert row.clock == "accelerated 'test' x600"
    reached = rows.conn.execute("SELECT reached_sim FROM snapwatch.clocks WHERE name = 'test'")
    assert reached.fetchone()[0] >= start + timedelta(minutes=29)  # type: ignore[index]


async def test_a_shared_clock_stays_live_between_slow_ticks(
    db: DbSession, cfg: Settings, rows: Rows, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scheduler_module, "CLOCK_BEAT_SECONDS", 0.1)
    conn = await db.connection()
    clock = await open_shared_clock(conn, "beat", start=DAY, speed=60, wall=SystemClock())
    ticks = Ticks()
    sched = Scheduler(db, cfg, clock, mode="daemon", on_tick=ticks, tick_seconds=30)
    await sched.start()
    try:
        await ticks.wait(1)

        def reached_wall() -> datetime:
            row = rows.conn.execute("SELECT reached_wall FROM snapwatch.clocks").fetchone()
            assert row is not None
            return row[0]  # type: ignore[no-any-return]

        after_tick = reached_wall()
        await until(lambda: reached_wall() > after_tick + timedelta(seconds=0.25))
        assert len(ticks.outcomes) == 1  # no tick did it: the next one is 30 s away
    finally:
        await sched.stop()


# -- the reconnecting database session ---------------------------------------------


class FakeMonotonic:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


async def test_failed_connects_back_off_and_report_the_outage_once(
    cfg: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    states: list[DbState] = []
    mono = FakeMonotonic()
    target = Target(
        dsn="postgresql://snapwatch:s3cret-pw@127.0.0.1:1/nowhere", secrets=("s3cret-pw",)
    )
    session = DbSession(target, cfg, on_change=states.append, monotonic=mono)
    caplog.set_level(logging.INFO, logger="snapwatch.infra.dbsession")
    waits = []
    for _ in range(9):
        with pytest.raises(DatabaseUnreachable):
            await session.connection()
        attempts = session.attempts
        with pytest.raises(DatabaseUnreachable):  # within the backoff: no new attempt
            await session.connection()
        assert session.attempts == attempts
        waits.append(session.retry_in)
        mono.t += session.retry_in
    bases = [0.5, 1, 2, 4, 8, 16, CAP_SECONDS, CAP_SECONDS, 30]  # doubling, capped
    assert all(base / 2 <= wait <= base for wait, base in zip(waits, bases, strict=True))
    assert any(wait < base for wait, base in zip(waits, bases, strict=True))  # jittered
    assert session.attempts == 9
    assert [s.up for s in states] == [False]
    logged = [r for r in caplog.records if getattr(r, "event", None) == "db_unreachable"]
    assert len(logged) == 1 and logged[0].getMessage().startswith("database unreachable")
    assert "s3cret-pw" not in (states[0].error or "")


async def test_a_killed_connection_is_replaced_and_the_blip_reported_once_each_way(
    db: DbSession, cfg: Settings, rows: Rows, caplog: pytest.LogCaptureFixture
) -> None:
    states: list[DbState] = []
    session = DbSession(db.target, cfg, on_change=states.append)
    caplog.set_level(logging.INFO, logger="snapwatch.infra.dbsession")
    conn = await session.connection()
    pid = conn.info.backend_pid
    rows.conn.execute("SELECT pg_terminate_backend(%s)", (pid,))
    await asyncio.sleep(0.1)
    fresh = await session.ping()  # the dead connection is noticed and replaced at once
    assert fresh.info.backend_pid != pid
    async with session.use() as c:
        assert (await (await c.execute("SELECT 1 AS one")).fetchone()) == {"one": 1}
    assert [s.up for s in states] == [True, False, True]
    events = [getattr(r, "event", None) for r in caplog.records]
    assert events.count("db_unreachable") == 1 and events.count("db_reachable") == 1
    await session.close()


async def test_work_on_a_broken_connection_raises_unreachable_and_reconnects_next_time(
    db: DbSession, rows: Rows
) -> None:
    conn = await db.connection()
    rows.conn.execute("SELECT pg_terminate_backend(%s)", (conn.info.backend_pid,))
    await asyncio.sleep(0.1)
    with pytest.raises(DatabaseUnreachable, match="connection lost"):
        async with db.use() as c:
            await c.execute("SELECT 1")
    assert db.up is False
    async with db.use() as c:  # a lost connection is retried at once, not after a backoff
        await c.execute("SELECT 1")
    assert db.up is True


async def test_a_failing_statement_on_a_healthy_connection_is_not_an_outage(
    db: DbSession,
) -> None:
    with pytest.raises(psycopg.errors.UndefinedTable):
        async with db.use() as c:
            await c.execute("SELECT * FROM no_such_table")
    assert db.up is True
