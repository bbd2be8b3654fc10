"""The demo fleet: deterministic, realistic, seeded once, reset without touching others."""

from __future__ import annotations

import os
import random
import re
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
import pytest
from psycopg import sql
from psycopg.rows import dict_row
from support.demo_digest import digest

from snapwatch.demo.cron import fire_times, parse_cron
from snapwatch.demo.fleet import Fleet, build_fleet
from snapwatch.demo.growth import GrowthCurve
from snapwatch.demo.layout import COMPANIES, demo_company_ids
from snapwatch.demo.places import Ids, build_places
from snapwatch.demo.seed import DemoSeedError, seed_demo
from snapwatch.demo.site_days import site_sessions
from snapwatch.infra.embedded import EmbeddedServer

# The day after the US switched to daylight saving time: the history holds a 23-hour
# session for the American sites.
NOW = datetime(2025, 3, 10, 14, 20, 30, tzinfo=UTC)
SEED = 7


@pytest.fixture
async def tx_conn(migrated_dsn: str) -> AsyncIterator[psycopg.AsyncConnection[dict[str, Any]]]:
    """Not autocommit, unlike ``conn``: the tests commit (or not) themselves."""
    async with await psycopg.AsyncConnection.connect(migrated_dsn, row_factory=dict_row) as c:
        yield c


@pytest.fixture(scope="module")
def fleet() -> Fleet:
    return build_fleet(SEED, NOW)


@pytest.fixture
async def other_conn(
    pg_server: EmbeddedServer, migrated_template: str
) -> AsyncIterator[psycopg.AsyncConnection[dict[str, Any]]]:
    """A second database with the full schema, beside ``tx_conn``'s."""
    name = f"demo_other_{os.getpid()}"
    create = sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
        sql.Identifier(name), sql.Identifier(migrated_template)
    )
    drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
    async with await psycopg.AsyncConnection.connect(
        pg_server.uri("postgres"), autocommit=True
    ) as admin:
        await admin.execute(drop)
        await admin.execute(create)
        try:
            async with await psycopg.AsyncConnection.connect(
                pg_server.uri(name), row_factory=dict_row
            ) as c:
                yield c
        finally:
            await admin.execute(drop)


# --- cron and growth -------------------------------------------------------------------


def test_cron_forms_fire_at_their_local_times() -> None:
    ny = ZoneInfo("America/New_York")
    day = datetime(2025, 1, 15, 5, tzinfo=UTC)  # local midnight in New York
    times = fire_times("0 8,16 * * *", ny, day, day + timedelta(days=1))
    assert [t.astimezone(ny).hour for t in times] == [8, 16]
    assert len(fire_times("*/15 * * * *", UTC, day, day + timedelta(days=1))) == 96
    assert len(fire_times("0 */3 * * *", UTC, day, day + timedelta(days=1))) == 8
    assert parse_cron("*/30 * * * *").per_day == 48
    with pytest.raises(ValueError):
        parse_cron("0 8 * * 1")


def test_cron_on_a_spring_forward_day_skips_the_missing_hour() -> None:
    ny = ZoneInfo("America/New_York")
    start = datetime(2025, 3, 9, 5, tzinfo=UTC)  # 2025-03-09 00:00 EST
    end = datetime(2025, 3, 10, 4, tzinfo=UTC)  # 2025-03-10 00:00 EDT: 23 hours later
    assert len(fire_times("0 * * * *", ny, start, end)) == 23


def test_growth_curve_rises_and_stays_within_0_and_1() -> None:
    curve = GrowthCurve(baseline=0.02, capacity=0.9, rate=0.5, midpoint=10)
    values = [curve.at(d) for d in range(-50, 80)]
    assert values == sorted(values)
    assert all(0.0 <= v <= 1.0 for v in values)


# --- the fleet in memory ---------------------------------------------------------------


def test_fleet_is_a_pure_function_of_seed_and_now(fleet: Fleet) -> None:
    assert build_fleet(SEED, NOW.astimezone(ZoneInfo("Europe/Amsterdam"))) == fleet
    with pytest.raises(ValueError, match="timezone-aware"):
        build_fleet(SEED, NOW.replace(tzinfo=None))


def test_fleet_has_two_companies_three_active_programs_and_twelve_sites(fleet: Fleet) -> None:
    assert [c.name for c in fleet.companies] == [c.name for c in COMPANIES]
    assert len(fleet.programs) == 3
    today = NOW.date()
    for program in fleet.programs:
        assert program.status == "active"
        assert timedelta(weeks=3) <= today - program.start_date <= timedelta(weeks=8)
        assert program.end_date - today >= timedelta(days=60)
    assert len(fleet.sites) == 12
    assert len({s.timezone for s in fleet.sites}) >= 5


def test_fleet_has_the_special_sites(fleet: Fleet) -> None:
    per_site = Counter(d.site_id for d in fleet.devices)
    assert any(s.length is None and s.width is None and s.height is None for s in fleet.sites)
    assert any(s.timezone is None for s in fleet.sites)
    assert sum(1 for s in fleet.sites if per_site[s.site_id] == 0) == 1
    assert all(3 <= n <= 25 for n in per_site.values())
    assert any(s.zones for s in fleet.sites)
    per_day = [s for s in fleet.sites if s.snapshot_cadence_hours is None]
    assert [s.snapshot_cadence_per_day for s in per_day] == [12]
    cadences = [s.snapshot_cadence_hours for s in fleet.sites if s.snapshot_cadence_hours]
    assert min(cadences) == 0.25 and max(cadences) == 6


def test_devices_are_unique_placed_inside_their_site_and_mostly_active(fleet: Fleet) -> None:
    sites = {s.site_id: s for s in fleet.sites}
    assert 100 <= len(fleet.devices) <= 150
    assert len({d.device_code for d in fleet.devices}) == len(fleet.devices)
    assert len({d.device_mac for d in fleet.devices}) == len(fleet.devices)
    assert all(re.fullmatch(r"DEVICE-ESP32S3-\d{3}", d.device_code) for d in fleet.devices)
    unplaced = [d for d in fleet.devices if d.x_position is None]
    assert 2 <= len(unplaced) <= 8
    assert all(d.y_position is None for d in unplaced)
    for d in fleet.devices:
        site = sites[d.site_id]
        if d.x_position is not None and d.y_position is not None and site.length is not None:
            assert site.width is not None
            assert 0 <= d.x_position <= site.length and 0 <= d.y_position <= site.width
        for zone in site.zones:
            b = zone["bounds"]
            assert site.length is not None and site.width is not None
            assert 0 <= b["x1"] < b["x2"] <= site.length and 0 <= b["y1"] < b["y2"] <= site.width
    statuses = Counter(d.provisioning_status for d in fleet.devices)
    assert statuses["active"] > 0.9 * len(fleet.devices)
    assert 1 <= statuses["inactive"] + statuses["decommissioned"] <= 3
    assert sum(1 for d in fleet.devices if not d.is_active) == 1
    schedules = {parse_cron(d.wake_schedule_cron).per_day for d in fleet.devices}
    assert min(schedules) == 2 and max(schedules) == 96


def test_sessions_run_from_local_midnight_to_local_midnight(fleet: Fleet) -> None:
    sites = {s.site_id: s for s in fleet.sites}
    assert len(fleet.sessions) == 3 * len(fleet.sites)
    lengths = set()
    for s in fleet.sessions:
        tz = ZoneInfo(sites[s.site_id].timezone or "UTC")
        start = s.session_start_time.astimezone(tz)
        assert (start.hour, start.minute, start.date()) == (0, 0, s.session_date)
        assert s.session_end_time.astimezone(tz).time().hour == 0
        lengths.add((s.session_end_time - s.session_start_time) / timedelta(hours=1))
        if s.session_end_time <= NOW:
            assert s.status == "locked" and s.locked_at is not None
    assert lengths == {23.0, 24.0}  # the US spring-forward day is in the history


def test_sessions_on_a_fall_back_day_last_25_hours() -> None:
    now = datetime(2025, 11, 3, 15, tzinfo=UTC)
    ids = Ids(SEED)
    places = build_places(SEED, now, ids)
    site = next(s for s in places.sites if s.timezone == "America/New_York")
    plans = [p for p in places.plans if p.site.site_id == site.site_id]
    sessions = site_sessions(site, plans, now, ids, random.Random(0), locked_today=False)
    hours = [(s.session_end_time - s.session_start_time) / timedelta(hours=1) for s in sessions]
    assert hours == [24.0, 25.0, 24.0]
    # A repeated wall-clock time fires once: a 25-hour day has the ordinary wake count.
    ordinary = sum(parse_cron(p.device.wake_schedule_cron).per_day for p in plans if p.counting)
    assert sessions[1].expected_wake_count == ordinary


def test_wakes_images_and_sessions_link_up(fleet: Fleet) -> None:
    sessions = {s.session_id: s for s in fleet.sessions}
    images = {i.image_id: i for i in fleet.images}
    payloads = {p.payload_id: p for p in fleet.payloads}
    assert 5_000 <= len(fleet.payloads) <= 40_000
    for p in fleet.payloads:
        assert p.site_device_session_id is not None
        session = sessions[p.site_device_session_id]
        assert session.site_id == p.site_id
        assert session.session_start_time <= p.captured_at < session.session_end_time
        assert timedelta(seconds=5) <= p.received_at - p.captured_at <= timedelta(seconds=90)
        assert p.received_at <= NOW
        if p.image_id is not None:
            assert p.wake_type == "image_wake"
            assert images[p.image_id].wake_payload_id == p.payload_id
    for i in fleet.images:
        wake = payloads[i.wake_payload_id]
        assert (wake.image_id, wake.captured_at) == (i.image_id, i.captured_at)
        assert i.site_device_session_id == wake.site_device_session_id
        assert i.observation_type == "petri"
        if i.mgi_score is not None:
            assert i.scored_at is not None and i.captured_at < i.scored_at <= NOW


def test_history_is_realistic(fleet: Fleet) -> None:
    statuses = Counter(p.payload_status for p in fleet.payloads)
    assert statuses["complete"] > 0.9 * len(fleet.payloads)
    assert statuses["pending"] > 0 and statuses["failed"] > 0
    kinds = Counter(p.wake_type for p in fleet.payloads)
    assert kinds["image_wake"] and kinds["telemetry_only"] and kinds["retry"]
    full = [p for p in fleet.payloads if p.payload_status == "complete"]
    assert any(p.temperature is None or p.humidity is None for p in full)  # partial wakes
    ranges = {
        "temperature": (60, 85),
        "humidity": (40, 95),
        "pressure": (1005, 1020),
        "gas_resistance": (5_000, 200_000),
        "battery_voltage": (3.3, 4.2),
        "wifi_rssi": (-90, -45),
    }
    for name, (lo, hi) in ranges.items():
        values = [getattr(p, name) for p in fleet.payloads if getattr(p, name) is not None]
        assert all(lo <= v <= hi for v in values), name
    temps = [p.temperature for p in fleet.payloads if p.temperature is not None]
    assert max(temps) - min(temps) > 8  # a daily cycle, not a constant


def test_mgi_scores_are_within_0_and_1_and_some_reach_the_high_band(fleet: Fleet) -> None:
    scores = [i.mgi_score for i in fleet.images if i.mgi_score is not None]
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert any(s > 0.40 for s in scores)
    assert sum(1 for s in scores if s <= 0.25) > 0.7 * len(scores)  # mostly low/moderate
    unscored = [i for i in fleet.images if i.mgi_score is None and i.status == "complete"]
    assert unscored and all(i.scored_at is None for i in unscored)


def test_alerts_cover_battery_mgi_and_offline_and_some_are_resolved(fleet: Fleet) -> None:
    kinds = {a.alert_type for a in fleet.alerts}
    assert {"low_battery", "mgi_high", "device_offline"} <= kinds
    assert any(a.resolved_at is not None for a in fleet.alerts)
    assert any(a.resolved_at is None for a in fleet.alerts)
    for a in fleet.alerts:
        assert a.severity in {"info", "warning", "error", "critical"}
        assert a.triggered_at <= NOW
        assert a.resolved_at is None or a.triggered_at < a.resolved_at <= NOW


def test_device_roll_ups_match_the_history(fleet: Fleet) -> None:
    by_device: dict[Any, list[Any]] = {}
    for p in fleet.payloads:
        by_device.setdefault(p.device_id, []).append(p)
    for d in fleet.devices:
        wakes = by_device.get(d.device_id)
        if not wakes:
            continue
        newest = max(wakes, key=lambda p: p.captured_at)
        assert d.last_wake_at == newest.captured_at
        assert d.last_seen_at == max(p.received_at for p in wakes)
        scored = [i for i in fleet.images if i.device_id == d.device_id and i.mgi_score is not None]
        if scored:
            latest = max(scored, key=lambda i: i.captured_at)
            assert (d.latest_mgi_score, d.latest_mgi_at) == (latest.mgi_score, latest.captured_at)
    silent = [
        d for d in fleet.devices if d.last_wake_at and NOW - d.last_wake_at > timedelta(hours=5)
    ]
    assert silent  # a device has been offline for hours


# --- the fleet in PostgreSQL -----------------------------------------------------------


async def test_seed_makes_the_fleet_and_sessions_are_open_at_now_by_instant(
    tx_conn: psycopg.AsyncConnection[dict[str, Any]],
) -> None:
    result = await seed_demo(tx_conn, seed=SEED, now=NOW)
    assert result.created
    assert result.counts["devices"] == 127 and result.counts["sites"] == 12
    assert result.summary().startswith("seeded demo fleet (seed 7): 2 companies, 3 programs")

    cur = await tx_conn.execute(
        """
        SELECT s.name, count(x.session_id) AS open_sessions
        FROM sites s
        LEFT JOIN site_device_sessions x ON x.site_id = s.site_id
          AND x.status IN ('pending', 'in_progress')
          AND x.session_start_time <= %(now)s AND %(now)s < x.session_end_time
        WHERE s.company_id = ANY(%(companies)s)
        GROUP BY s.name
        """,
        {"now": NOW, "companies": demo_company_ids()},
    )
    open_sessions = {r["name"]: r["open_sessions"] for r in await cur.fetchall()}
    assert open_sessions.pop("Seed Vault") == 0
    assert set(open_sessions.values()) == {1}

    cur = await tx_conn.execute(
        "SELECT count(*) AS n, min(mgi_score) AS lo, max(mgi_score) AS hi FROM device_images"
    )
    row = await cur.fetchone()
    assert row is not None and row["n"] == result.counts["device_images"]
    assert row["lo"] >= 0 and 0.40 < row["hi"] <= 1


async def test_seeding_again_creates_nothing_and_reset_rewrites_only_the_demo(
    tx_conn: psycopg.AsyncConnection[dict[str, Any]],
) -> None:
    await tx_conn.execute(
        """
        WITH c AS (INSERT INTO companies (name) VALUES ('Acme Foods') RETURNING company_id),
             p AS (INSERT INTO pilot_programs (company_id, name, start_date, end_date)
                   SELECT company_id, 'Acme pilot', '2025-01-01', '2025-12-31' FROM c
                   RETURNING program_id, company_id)
        INSERT INTO sites (program_id, company_id, name)
        SELECT program_id, company_id, 'Acme 1' FROM p
        """
    )
    await tx_conn.commit()
    first = await seed_demo(tx_conn, seed=SEED, now=NOW)
    seeded = await digest(tx_conn)

    again = await seed_demo(tx_conn, seed=SEED, now=NOW + timedelta(hours=5))
    assert first.created and not again.created
    assert again.counts == first.counts
    assert "already present" in again.summary() and "--reset" in again.summary()
    assert await digest(tx_conn) == seeded

    reset = await seed_demo(tx_conn, seed=SEED, now=NOW, reset=True)
    assert reset.created and reset.removed == sum(first.counts.values())
    assert await digest(tx_conn) == seeded
    cur = await tx_conn.execute("SELECT c.name FROM sites s JOIN companies c USING (company_id)")
    names = Counter(r["name"] for r in await cur.fetchall())
    assert names == {"Acme Foods": 1, COMPANIES[0].name: 8, COMPANIES[1].name: 4}


async def test_another_seed_gives_other_rows(
    tx_conn: psycopg.AsyncConnection[dict[str, Any]],
    other_conn: psycopg.AsyncConnection[dict[str, Any]],
) -> None:
    await seed_demo(tx_conn, seed=SEED, now=NOW)
    await seed_demo(other_conn, seed=SEED + 1, now=NOW)
    ours, theirs = await digest(tx_conn), await digest(other_conn)
    assert ours["companies"] == theirs["companies"]  # fixed names and ids
    assert ours["devices"] != theirs["devices"]
    assert ours["device_wake_payloads"] != theirs["device_wake_payloads"]


async def test_a_foreign_company_with_a_demo_name_stops_the_seed(
    tx_conn: psycopg.AsyncConnection[dict[str, Any]],
) -> None:
    await tx_conn.execute("INSERT INTO companies (name) VALUES (%s)", (COMPANIES[1].name,))
    await tx_conn.commit()
    with pytest.raises(DemoSeedError, match="already exists"):
        await seed_demo(tx_conn, seed=SEED, now=NOW)
    cur = await tx_conn.execute("SELECT count(*) AS n FROM devices")
    assert (await cur.fetchone()) == {"n": 0}


async def test_a_foreign_device_with_a_demo_code_stops_the_seed_cleanly(
    tx_conn: psycopg.AsyncConnection[dict[str, Any]],
) -> None:
    await tx_conn.execute(
        "INSERT INTO devices (device_mac, device_code) VALUES ('AA:BB', 'DEVICE-ESP32S3-001')"
    )
    await tx_conn.commit()
    with pytest.raises(DemoSeedError, match="device_code"):
        await seed_demo(tx_conn, seed=SEED, now=NOW)
    cur = await tx_conn.execute("SELECT count(*) AS n FROM companies")
    assert (await cur.fetchone()) == {"n": 0}
