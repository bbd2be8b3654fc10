"""Audit and backfill of past sessions (design/history.md) on one database per test."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from psycopg import AsyncConnection
from support.history import D1, D2, H, history
from support.overview_rows import Rows

from snapwatch.infra.config import Settings
from snapwatch.schedule.history.audit import DateRange, SiteAudit, Status, audit_sites, total
from snapwatch.schedule.history.backfill import Backfill
from snapwatch.schedule.history.plan import BackfillOptions, plan_backfill
from snapwatch.schedule.history.restore import restore

NOW = D1 + timedelta(days=2, hours=12)
RANGE = DateRange(D1.date(), D2.date())


def session_of(rows: Rows, site: UUID, day: datetime) -> UUID:
    row = rows.conn.execute(
        "SELECT session_id FROM site_device_sessions WHERE site_id = %s AND session_date = %s",
        (site, day.date()),
    ).fetchone()
    assert row is not None
    return UUID(str(row[0]))


def stored_row(
    rows: Rows, site: UUID, session: UUID, wake: int, start: datetime, end: datetime, doc: Any
) -> UUID:
    keys = rows._site_keys(site)
    row = rows.conn.execute(
        "INSERT INTO session_wake_snapshots (company_id, program_id, site_id, session_id,"
        " wake_number, wake_round_start, wake_round_end, site_state)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s::jsonb) RETURNING snapshot_id",
        (keys["company_id"], keys["program_id"], site, session, wake, start, end, json.dumps(doc)),
    ).fetchone()
    assert row is not None
    return UUID(str(row[0]))


async def audit(conn: AsyncConnection[Any], cfg: Settings) -> list[SiteAudit]:
    return [a async for a in audit_sites(conn, NOW, cfg.scheduler, dates=RANGE)]


async def backfill(conn: AsyncConnection[Any], cfg: Settings, **options: Any) -> list[Any]:
    chosen = BackfillOptions(dates=RANGE, **options)
    plans = await plan_backfill(conn, NOW, cfg, chosen)
    return await Backfill(conn, cfg, chosen, now=lambda: NOW).run(plans)


@pytest.fixture
def broken(rows: Rows) -> dict[str, UUID]:
    """The history with the older generators' rows in it: a bare array for wake 3, an
    unversioned object for wake 4 and the old job's 09:07-09:12 row under wake 100."""
    site = history(rows)
    s1 = session_of(rows, site, D1)
    return {
        "site": site,
        "bare": stored_row(rows, site, s1, 3, D1 + 2 * H, D1 + 3 * H, [{"device_code": "A"}]),
        "unversioned": stored_row(
            rows, site, s1, 4, D1 + 3 * H, D1 + 4 * H, {"devices": [], "site_name": "Pier 4"}
        ),
        "off_grid": stored_row(
            rows,
            site,
            s1,
            100,
            D1 + 9 * H + timedelta(minutes=7),
            D1 + 9 * H + timedelta(minutes=12),
            {"snapshot_time": "09:07"},
        ),
    }


async def test_an_audit_counts_each_kind_of_problem_exactly(
    broken: dict[str, UUID], conn: AsyncConnection[Any], cfg: Settings
) -> None:
    [site] = await audit(conn, cfg)
    counts = site.counts
    assert (counts.sessions, counts.expected, counts.present) == (2, 48, 0)
    assert (counts.missing, counts.other_shape, counts.off_grid) == (46, 2, 1)
    [off] = site.sessions[0].off_grid
    assert off.row.snapshot_id == broken["off_grid"]
    assert off.uncovered == (
        (D1 + 9 * H, D1 + 9 * H + timedelta(minutes=7)),
        (D1 + 9 * H + timedelta(minutes=12), D1 + 10 * H),
    )
    slot10 = site.sessions[0].slots[9]
    assert (slot10.status, slot10.blocked_by) == (Status.MISSING, (off.row,))
    shapes = {s.row.shape for s in site.sessions[0].slots if s.row is not None}
    assert shapes == {"bare array", "unversioned"}
    # wakes 1-2 and 5-99 are gaps below the off-grid row's 100
    assert len(site.sessions[0].wake_gaps) == 97


async def test_backfill_fills_every_missing_slot_once_and_keeps_older_rows(
    broken: dict[str, UUID], rows: Rows, conn: AsyncConnection[Any], cfg: Settings
) -> None:
    before: dict[UUID, str] = dict(
        rows.conn.execute("SELECT snapshot_id, site_state::text FROM session_wake_snapshots")
    )
    [result] = await backfill(conn, cfg)
    assert (result.written, result.left, result.replaced) == (45, 1, 0)
    after: dict[UUID, str] = dict(
        rows.conn.execute("SELECT snapshot_id, site_state::text FROM session_wake_snapshots")
    )
    assert {k: after[k] for k in before} == before  # byte-identical, all still there
    [site] = await audit(conn, cfg)
    assert (site.counts.present, site.counts.missing, site.counts.other_shape) == (45, 1, 2)
    docs = [json.loads(after[k]) for k in after if k not in before]
    assert {d["snapshot_metadata"]["trigger"] for d in docs} == {"backfill"}
    # a second run has nothing left to write but the blocked slot
    [again] = await backfill(conn, cfg)
    assert (again.written, again.left) == (0, 1)


async def test_replaced_rows_are_kept_aside_and_restorable(
    broken: dict[str, UUID], rows: Rows, conn: AsyncConnection[Any], cfg: Settings
) -> None:
    originals: dict[UUID, str] = dict(
        rows.conn.execute("SELECT snapshot_id, site_state::text FROM session_wake_snapshots")
    )
    [result] = await backfill(conn, cfg, replace=frozenset({"other_shape", "off_grid"}))
    assert (result.written, result.replaced, result.left) == (48, 3, 0)
    [site] = await audit(conn, cfg)
    assert (site.counts.present, site.counts.problems) == (48, 0)
    kept = rows.conn.execute(
        "SELECT snapshot_id, kind, row_data->>'site_state' IS NOT NULL, replacement_id IS NOT NULL"
        "  FROM snapwatch.replaced_snapshots ORDER BY kind"
    ).fetchall()
    assert sorted((r[0], r[1]) for r in kept) == sorted(
        [
            (broken["bare"], "other_shape"),
            (broken["unversioned"], "other_shape"),
            (broken["off_grid"], "off_grid"),
        ]
    )
    assert all(r[2] and r[3] for r in kept)
    restored = await restore(conn, NOW, site=broken["site"], who="ops")
    assert restored.restored == 3
    now_stored: dict[UUID, str] = dict(
        rows.conn.execute("SELECT snapshot_id, site_state::text FROM session_wake_snapshots")
    )
    assert {k: now_stored[k] for k in originals} == originals
    [site] = await audit(conn, cfg)
    assert (site.counts.other_shape, site.counts.off_grid) == (2, 1)


async def test_totals_and_coverage(
    broken: dict[str, UUID], conn: AsyncConnection[Any], cfg: Settings
) -> None:
    await backfill(conn, cfg)
    totals = total(await audit(conn, cfg))
    assert totals.expected == 48 and totals.coverage == pytest.approx(100 * 45 / 48)


# --- as of the window: the same document the scheduler would have written -----------------

IGNORED = {"generated_at", "trigger", "late_by_seconds"}
"""What differs by who wrote it and when, not by what it says."""


def comparable(doc: dict[str, Any]) -> dict[str, Any]:
    """The document less who wrote it and when. On a database without placement history a
    reconstructed document also says its roster is today's (a note the on-time one, whose
    roster is today's by definition, does not carry)."""
    meta = {k: v for k, v in doc["snapshot_metadata"].items() if k not in IGNORED}
    quality = [q for q in doc["data_quality"] if q["problem"] != "roster_as_of_today"]
    return {**doc, "snapshot_metadata": meta, "data_quality": quality}


async def test_a_backfilled_snapshot_equals_the_one_written_on_time(
    rows: Rows, conn: AsyncConnection[Any], cfg: Settings
) -> None:
    from snapwatch.schedule.tick import run_tick

    site = history(rows)
    slot_end = D1 + 10 * H
    on_time = slot_end + timedelta(seconds=cfg.scheduler.settle_seconds + 1)
    # the scheduler catches up to 09:00, then writes 09:00-10:00 on time
    await run_tick(conn, cfg, on_time - H, site=site)
    await run_tick(conn, cfg, on_time, site=site)
    [(written, doc_text)] = rows.conn.execute(
        "SELECT snapshot_id, site_state::text FROM session_wake_snapshots WHERE wake_number = 10"
    ).fetchall()
    scheduled = json.loads(doc_text)
    assert scheduled["snapshot_metadata"]["trigger"] == "schedule"
    # more readings arrive after the window; then the row is lost and backfilled
    device = scheduled["devices"][0]["device_id"]
    rows.payload(UUID(device), slot_end + timedelta(minutes=1), temperature=99.0)
    rows.image(UUID(device), slot_end + timedelta(minutes=2), 0.9)
    rows.conn.execute("DELETE FROM session_wake_snapshots WHERE snapshot_id = %s", (written,))
    await backfill(conn, cfg)
    [doc_text] = rows.conn.execute(
        "SELECT site_state::text FROM session_wake_snapshots"
        " WHERE wake_round_start = %s AND wake_round_end = %s",
        (slot_end - H, slot_end),
    ).fetchone() or [None]
    assert doc_text is not None
    backfilled = json.loads(doc_text)
    assert backfilled["snapshot_metadata"]["trigger"] == "backfill"
    assert comparable(backfilled) == comparable(scheduled)


# --- site-local days in several time zones, across a DST change ----------------------------


async def test_sessions_across_a_dst_change_in_two_zones(
    rows: Rows, conn: AsyncConnection[Any], cfg: Settings
) -> None:
    from zoneinfo import ZoneInfo

    program = rows.program(rows.company("Co"), "Program")
    expected: dict[str, int] = {}
    # Europe springs forward on 2026-03-29, the United States on 2026-03-08
    for name, zone, day in (
        ("Zaandam", "Europe/Amsterdam", date(2026, 3, 29)),
        ("Newark", "America/New_York", date(2026, 3, 8)),
    ):
        site = rows.site(program, name, snapshot_cadence_hours=1, timezone=zone)
        device = rows.device(site)
        tz = ZoneInfo(zone)
        for offset in (-1, 0, 1):
            local = day + timedelta(days=offset)
            start = datetime(local.year, local.month, local.day, tzinfo=tz)
            end = start + timedelta(days=1)
            end = datetime(end.year, end.month, end.day, tzinfo=tz)  # the next local midnight
            rows.session(site, start, end, "locked", session_date=local)
            rows.payload(device, start + timedelta(minutes=5), temperature=20.0)
        expected[name] = 24 + 23 + 24  # the spring-forward day has 23 hours
    dates = DateRange(date(2026, 3, 7), date(2026, 3, 30))
    now = datetime(2026, 4, 2, tzinfo=UTC)
    audits = [a async for a in audit_sites(conn, now, cfg.scheduler, dates=dates)]
    assert {a.site_name: a.counts.expected for a in audits} == expected
    assert {a.site_name: [len(s.slots) for s in a.sessions] for a in audits} == {
        "Zaandam": [24, 23, 24],
        "Newark": [24, 23, 24],
    }
    options = BackfillOptions(dates=dates)
    plans = await plan_backfill(conn, now, cfg, options)
    results = await Backfill(conn, cfg, options, now=lambda: now).run(plans)
    assert sum(r.written for r in results) == sum(expected.values())
    after = [a async for a in audit_sites(conn, now, cfg.scheduler, dates=dates)]
    assert all(a.counts.coverage == 100.0 and a.counts.problems == 0 for a in after)


# --- weeks of history with every kind of problem --------------------------------------------


async def test_twelve_days_with_every_kind_of_problem(
    rows: Rows, conn: AsyncConnection[Any], cfg: Settings
) -> None:
    """Twelve days at two sites (UTC and New York), the older generators' rows, a forced
    row left over, an invalid v1 row and two overlapping rows: each kind counted exactly,
    a backfill with --replace leaves 100 % coverage and nothing else."""
    from zoneinfo import ZoneInfo

    program = rows.program(rows.company("Co"), "Program")
    first = date(2026, 2, 20)
    sites: dict[str, UUID] = {}
    sessions: dict[tuple[str, int], UUID] = {}
    for name, zone in (("Pier", "UTC"), ("Newark", "America/New_York")):
        site = rows.site(program, name, snapshot_cadence_hours=2, timezone=zone)
        sites[name] = site
        device = rows.device(site, x_position=1.0, y_position=1.0)
        tz = ZoneInfo(zone)
        for d in range(12):
            local = first + timedelta(days=d)
            start = datetime(local.year, local.month, local.day, tzinfo=tz)
            sessions[name, d] = rows.session(
                site, start, start + timedelta(days=1), "locked", session_date=local
            )
        rows.conn.execute(
            "INSERT INTO device_wake_payloads (company_id, program_id, site_id, device_id,"
            " captured_at, temperature, humidity)"
            " SELECT s.company_id, s.program_id, s.site_id, %s, t, 21, 55 FROM sites s"
            " CROSS JOIN generate_series(%s::timestamptz, %s::timestamptz, interval '40 min') t"
            " WHERE s.site_id = %s",
            (device, datetime(2026, 2, 19, tzinfo=UTC), datetime(2026, 3, 5, tzinfo=UTC), site),
        )
    pier = sites["Pier"]
    day0 = datetime(2026, 2, 20, tzinfo=UTC)
    s0 = sessions["Pier", 0]
    stored_row(rows, pier, s0, 1, day0, day0 + 2 * H, [{"device_code": "A"}])  # bare array
    stored_row(rows, pier, s0, 2, day0 + 2 * H, day0 + 4 * H, {"devices": []})  # unversioned
    stored_row(
        rows, pier, s0, 3, day0 + 4 * H, day0 + 6 * H, {"schema_version": 1, "devices": []}
    )  # invalid v1: the required keys are missing
    forced = stored_row(
        rows,
        pier,
        s0,
        4,
        day0 + 6 * H,
        day0 + 6 * H + timedelta(minutes=20),
        {"snapshot_metadata": {"provisional": True}},
    )
    rows.conn.execute(
        "INSERT INTO snapwatch.provisional_snapshots (session_id, wake_number)"
        " SELECT session_id, wake_number FROM session_wake_snapshots WHERE snapshot_id = %s",
        (forced,),
    )
    s1 = sessions["Pier", 1]
    day1 = day0 + timedelta(days=1)
    stored_row(rows, pier, s1, 90, day1 + H, day1 + 3 * H, {"x": 1})  # off-grid, overlaps
    stored_row(rows, pier, s1, 91, day1 + 2 * H, day1 + 2 * H + timedelta(minutes=30), {"x": 2})
    dates = DateRange(first, first + timedelta(days=11))
    now = datetime(2026, 3, 6, tzinfo=UTC)
    before = {a.site_name: a.counts for a in await _audit(conn, cfg, dates, now)}
    assert before["Newark"].expected == 12 * 12 and before["Newark"].missing == 144
    p = before["Pier"]
    assert (p.expected, p.other_shape, p.invalid_v1, p.provisional_left) == (144, 2, 1, 1)
    assert (p.off_grid, p.overlapping, p.present) == (2, 1, 0)
    assert p.missing == 144 - 4
    options = BackfillOptions(
        dates=dates, replace=frozenset({"other_shape", "invalid_v1", "off_grid"})
    )
    plans = await plan_backfill(conn, now, cfg, options)
    results = await Backfill(conn, cfg, options, now=lambda: now).run(plans)
    assert [p.left for p in plans] == [[], []]
    assert sum(r.written for r in results) == 288, results
    after = await _audit(conn, cfg, dates, now)
    assert all(a.counts.present == 144 and a.counts.problems == 0 for a in after)
    count = rows.conn.execute("SELECT count(*) FROM session_wake_snapshots").fetchone()
    assert count == (288,)
    kept = rows.conn.execute("SELECT count(*) FROM snapwatch.replaced_snapshots").fetchone()
    assert kept == (5,)  # the forced row was replaced in place, as the scheduler does


async def _audit(
    conn: AsyncConnection[Any], cfg: Settings, dates: DateRange, now: datetime
) -> list[SiteAudit]:
    return [a async for a in audit_sites(conn, now, cfg.scheduler, dates=dates)]


def test_coverage_is_rounded_down_never_to_100_while_anything_is_missing() -> None:
    from snapwatch.schedule.history.audit import Counts
    from snapwatch.schedule.history.wording import coverage_text

    assert coverage_text(Counts(expected=9895, present=9893)) == "99.9%"
    assert coverage_text(Counts(expected=4, present=4)) == "100.0%"
    assert coverage_text(Counts()) == "-"
