"""The demo's device simulator on a real database: the wakes the cron schedules imply, scored
images, sessions at local midnight, idempotent steps and restarts without gaps."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
import pytest
from psycopg import sql
from psycopg.rows import dict_row
from support.demo_digest import digest

from snapwatch.demo.cron import fire_times
from snapwatch.demo.demo_clock import DEFAULT_SPEED, demo_clock_settings
from snapwatch.demo.layout import SITES, demo_company_ids
from snapwatch.demo.places import DevicePlan, Ids, build_places
from snapwatch.demo.seed import DemoSeedError, seed_demo
from snapwatch.demo.simulator import DeviceSimulator, seeded_at
from snapwatch.infra.clock import FixedClock
from snapwatch.infra.config import load_settings
from snapwatch.infra.embedded import EmbeddedServer
from snapwatch.schedule.tick import run_tick

# Just before midnight in New York (04:00 UTC) and Chicago (05:00 UTC), the day after the
# US spring-forward night; not a round instant, as a real seed is.
NOW = datetime(2025, 3, 10, 3, 30, 17, 123456, tzinfo=UTC)
SEED = 7
END = NOW + timedelta(hours=2)

Conn = psycopg.AsyncConnection[dict[str, Any]]


@pytest.fixture
async def seeded(migrated_dsn: str) -> AsyncIterator[Conn]:
    """A connection to a database with the demo fleet seeded."""
    async with await psycopg.AsyncConnection.connect(
        migrated_dsn, autocommit=True, row_factory=dict_row
    ) as c:
        await seed_demo(c, seed=SEED, now=NOW)
        yield c


@pytest.fixture
async def other(pg_server: EmbeddedServer, migrated_template: str) -> AsyncIterator[Conn]:
    """A second seeded database beside ``seeded``'s."""
    name = f"sim_other_{os.getpid()}"
    drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
    async with await psycopg.AsyncConnection.connect(
        pg_server.uri("postgres"), autocommit=True
    ) as admin:
        await admin.execute(drop)
        await admin.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(migrated_template)
            )
        )
        try:
            async with await psycopg.AsyncConnection.connect(
                pg_server.uri(name), autocommit=True, row_factory=dict_row
            ) as c:
                await seed_demo(c, seed=SEED, now=NOW)
                yield c
        finally:
            await admin.execute(drop)


def waking_plans() -> list[DevicePlan]:
    places = build_places(SEED, NOW, Ids(SEED))
    return [p for p in places.plans if p.counting and p.offline_for is None]


async def wakes_of(seeded: Conn, device: UUID, lo: datetime, hi: datetime) -> list[datetime]:
    cur = await seeded.execute(
        "SELECT captured_at FROM device_wake_payloads WHERE device_id = %s"
        " AND wake_type <> 'retry' AND captured_at > %s AND captured_at <= %s"
        " ORDER BY captured_at",
        (device, lo, hi),
    )
    return [r["captured_at"] for r in await cur.fetchall()]


def simulator(seeded: Conn) -> DeviceSimulator:
    return DeviceSimulator(seeded, FixedClock(NOW), SEED)


async def test_the_seed_instant_is_read_back_from_the_fleet(seeded: Conn) -> None:
    assert abs(await seeded_at(seeded, SEED) - NOW) <= timedelta(microseconds=1)
    with pytest.raises(DemoSeedError, match="seed 8 is not in this database"):
        await seeded_at(seeded, 8)


async def test_two_simulated_hours_write_every_wake_the_cron_schedules_imply(seeded: Conn) -> None:
    report = await simulator(seeded).step(END)
    assert report.wakes > 300 and report.images > 150
    arrived_by = END - timedelta(seconds=100)  # the slowest wake arrives 96 s after its fire
    total = 0
    for plan in waking_plans():
        # From shortly before the seed instant (wakes still in flight when it was seeded)
        # to the end: exactly one wake per fire, captured 0.5-6 s after it.
        fires = fire_times(
            plan.device.wake_schedule_cron, plan.tz, NOW - timedelta(minutes=10), arrived_by
        )
        got = await wakes_of(
            seeded,
            plan.device.device_id,
            NOW - timedelta(minutes=10),
            arrived_by + timedelta(seconds=6),
        )
        assert len(got) == len(fires), plan.device.device_code
        for fire, captured in zip(fires, got, strict=True):
            assert timedelta(seconds=0.5) <= captured - fire <= timedelta(seconds=6)
        total += len(fires)
    assert total > 300
    # Offline and non-counting devices stay silent.
    silent = {p.device.device_id for p in build_places(SEED, NOW, Ids(SEED)).plans} - {
        p.device.device_id for p in waking_plans()
    }
    cur = await seeded.execute(
        "SELECT count(*) AS n FROM device_wake_payloads WHERE device_id = ANY(%s)"
        " AND captured_at > %s",
        (list(silent), NOW),
    )
    assert (await cur.fetchone()) == {"n": 0}


async def test_nothing_is_written_ahead_of_now(seeded: Conn) -> None:
    await simulator(seeded).step(END)
    cur = await seeded.execute(
        "SELECT (SELECT max(received_at) FROM device_wake_payloads) AS received,"
        " (SELECT max(captured_at) FROM device_wake_payloads) AS captured,"
        " (SELECT max(scored_at) FROM device_images) AS scored,"
        " (SELECT max(captured_at) FROM device_images) AS imaged,"
        " (SELECT max(session_start_time) FROM site_device_sessions) AS session"
    )
    row = await cur.fetchone()
    assert row is not None
    assert all(value <= END for value in row.values()), row


async def test_images_are_scored_on_the_growth_curve_within_0_and_1(seeded: Conn) -> None:
    await simulator(seeded).step(END)
    cur = await seeded.execute(
        "SELECT i.device_id, i.captured_at, i.mgi_score::float8 AS score, i.scored_at,"
        " i.status, p.payload_status FROM device_images i"
        " JOIN device_wake_payloads p ON p.payload_id = i.wake_payload_id"
        " WHERE i.captured_at > %s",
        (NOW,),
    )
    images = await cur.fetchall()
    assert len(images) > 150
    plans = {p.device.device_id: p for p in waking_plans()}
    scored = [i for i in images if i["score"] is not None]
    assert len(scored) > 0.8 * len(images)
    for image in scored:
        plan = plans[image["device_id"]]
        assert 0.0 <= image["score"] <= 1.0
        assert image["status"] == "complete" and image["payload_status"] == "complete"
        expected = plan.curve.at((image["captured_at"] - plan.program_start) / timedelta(days=1))
        assert abs(image["score"] - expected) < 0.04  # the scorer's noise is 0.006
    assert max(i["score"] for i in scored) > 0.40  # the hot plates stay hot
    # Images of wakes that did not complete are never scored.
    assert all(i["score"] is None for i in images if i["payload_status"] != "complete")


async def test_a_new_session_opens_at_local_midnight_and_the_ended_one_is_locked(
    seeded: Conn,
) -> None:
    report = await simulator(seeded).step(END)
    assert (report.sessions_opened, report.sessions_locked) == (4, 4)  # 2 in New York, 2 Chicago
    ids = Ids(SEED)
    cur = await seeded.execute(
        "SELECT session_id, session_date::text AS day, session_start_time, session_end_time,"
        " status, locked_at, expected_wake_count FROM site_device_sessions"
        " WHERE site_id = %s ORDER BY session_date",
        (ids("site:pier4-cold"),),
    )
    sessions = await cur.fetchall()
    assert [s["day"] for s in sessions][-2:] == ["2025-03-09", "2025-03-10"]
    ended, new = sessions[-2], sessions[-1]
    midnight = datetime(2025, 3, 10, 4, tzinfo=UTC)  # 00:00 EDT
    assert (ended["status"], ended["locked_at"]) == ("locked", midnight)
    assert (new["status"], new["locked_at"], new["session_start_time"]) == (
        "in_progress",
        None,
        midnight,
    )
    assert new["session_end_time"] == datetime(2025, 3, 11, 4, tzinfo=UTC)
    assert new["expected_wake_count"] == 14 * 96  # 14 devices every 15 minutes
    # Wakes after midnight belong to the new session, those before to the ended one.
    cur = await seeded.execute(
        "SELECT bool_and(site_device_session_id = CASE WHEN captured_at >= %(m)s"
        " THEN %(new)s::uuid ELSE %(old)s::uuid END) AS right"
        " FROM device_wake_payloads WHERE site_id = %(site)s AND captured_at > %(now)s",
        {
            "m": midnight,
            "new": new["session_id"],
            "old": ended["session_id"],
            "site": ids("site:pier4-cold"),
            "now": NOW,
        },
    )
    assert (await cur.fetchone()) == {"right": True}
    # Sites whose midnight has not come yet keep their session; Seed Vault's closed early.
    cur = await seeded.execute(
        "SELECT s.name, max(x.session_date)::text AS last FROM site_device_sessions x"
        " JOIN sites s USING (site_id) GROUP BY s.name"
    )
    last = {r["name"]: r["last"] for r in await cur.fetchall()}
    assert last["Ripening Room A"] == "2025-03-09"  # Los Angeles: midnight at 07:00 UTC
    assert last["Harborview Main Warehouse"] == "2025-03-10"  # Chicago: at 05:00 UTC
    vault = next(s for s in SITES if s.session_locked_today)
    cur = await seeded.execute(
        "SELECT status, locked_at < session_end_time AS early FROM site_device_sessions"
        " WHERE site_id = %s AND session_date = '2025-03-10'",
        (ids(f"site:{vault.key}"),),
    )
    assert (await cur.fetchone()) == {"status": "locked", "early": True}


async def test_stepping_again_over_the_same_interval_writes_nothing(seeded: Conn) -> None:
    first = simulator(seeded)
    await first.step(END)
    before = await digest(seeded)
    again = await first.step(END)
    assert not again.wrote and again.sessions_locked == 0
    restarted = await simulator(seeded).step(END)
    assert not restarted.wrote
    assert await digest(seeded) == before


async def test_small_steps_and_a_restart_give_exactly_what_one_step_gives(
    seeded: Conn, other: Conn
) -> None:
    await simulator(seeded).step(END)
    sim = simulator(other)
    at = NOW
    while at < END:
        at = min(END, at + timedelta(minutes=5))
        if at == NOW + timedelta(hours=1):
            sim = simulator(other)  # a restart halfway: a new process, nothing in memory
        await sim.step(at)
    one, many = await digest(seeded), await digest(other)
    # Every wake, image, score and session alike; the device rows' battery and signal
    # roll-ups follow arrival order, so only their wake times are compared.
    assert {k: v for k, v in many.items() if k != "devices"} == {
        k: v for k, v in one.items() if k != "devices"
    }
    times = (
        "SELECT device_id, last_seen_at, last_wake_at FROM devices"
        " WHERE company_id = ANY(%s) ORDER BY device_id"
    )
    companies = demo_company_ids()
    assert (
        await (await other.execute(times, (companies,))).fetchall()
        == await (await seeded.execute(times, (companies,))).fetchall()
    )


def test_the_demo_clock_settings() -> None:
    settings = demo_clock_settings()
    assert settings.speed == DEFAULT_SPEED == 120
    assert settings.step_seconds == settings.tick_seconds == 2.5
    with pytest.raises(ValueError):
        demo_clock_settings(0)


async def test_the_scheduler_snapshots_the_simulated_rounds_with_current_data(
    seeded: Conn, migrated_dsn: str, isolated_env: Path
) -> None:
    base = load_settings(overrides={"dsn": migrated_dsn})[0]
    latest = base.scheduler.model_copy(update={"catch_up": "latest"})  # only the newest slot
    cfg = base.model_copy(update={"scheduler": latest})
    await simulator(seeded).step(END)
    report = await run_tick(seeded, cfg, END, site=Ids(SEED)("site:pier4-cold"))
    [outcome] = report.outcomes
    assert outcome.outcome == "written", outcome.error
    newest = outcome.written[-1]
    assert newest.end == datetime(2025, 3, 10, 5, 15, tzinfo=UTC)  # 15-minute slots
    cur = await seeded.execute(
        "SELECT site_state #> '{session_metrics,devices_reporting}' AS reporting,"
        " session_id FROM session_wake_snapshots WHERE snapshot_id = %s",
        (newest.snapshot_id,),
    )
    row = await cur.fetchone()
    assert row is not None and row["reporting"] == 14  # every device woke in the round
    assert row["session_id"] == Ids(SEED)(
        "session:" + str(Ids(SEED)("site:pier4-cold")) + ":2025-03-10"
    )
