"""The snapshot pipeline end to end on a real database: eligibility reasons, idempotent
writes, provisional replacement, failure isolation, as-of reconstruction, NOTIFY."""

from __future__ import annotations

import functools
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import jsonschema
import psycopg
import pytest
import support.sites
from support.overview_rows import Rows

from snapwatch.infra.config import Settings, load_settings
from snapwatch.infra.db import connect, resolve_target
from snapwatch.infra.notify import NOTIFY_CHANNEL
from snapwatch.schedule.runlog import record_run
from snapwatch.schedule.tick import run_tick
from snapwatch.schedule.tick_report import TickReport
from snapwatch.snapshot.schema import shipped_schema

DAY = datetime(2026, 6, 10, tzinfo=UTC)  # a session day, UTC midnight to midnight
H = timedelta(hours=1)


async def tick(cfg: Settings, now: datetime, **kw: Any) -> TickReport:
    conn = await connect(resolve_target(cfg), cfg)
    try:
        report = await run_tick(conn, cfg, now, **kw)
        await record_run(conn, report, None)
        return report
    finally:
        await conn.close()


def snapshots(rows: Rows, site_id: UUID) -> list[dict[str, Any]]:
    cur = rows.conn.cursor(row_factory=psycopg.rows.dict_row)
    return cur.execute(
        "SELECT * FROM session_wake_snapshots WHERE site_id = %s ORDER BY wake_number",
        (site_id,),
    ).fetchall()


make_site = functools.partial(support.sites.make_site, day=DAY)


def outcome(report: TickReport, site_id: UUID) -> Any:
    return next(o for o in report.outcomes if o.site_id == site_id)


async def test_every_site_gets_a_snapshot_or_a_named_reason(cfg: Settings, rows: Rows) -> None:
    ok = make_site(rows, "Ok")
    rows.device(ok, x_position=1, y_position=2)
    empty = make_site(rows, "Empty")
    no_session = rows.site(
        rows.program(rows.company("C3"), "P3"), "Closed", snapshot_cadence_hours=1
    )
    rows.device(no_session)
    no_cadence = make_site(rows, "NoCadence", cadence=None)
    rows.device(no_cadence)
    report = await tick(cfg, DAY + 5 * H + timedelta(minutes=3))
    assert outcome(report, ok).outcome == "written"
    assert outcome(report, empty).reason == "no_devices"
    assert outcome(report, no_session).reason == "no_open_session"
    assert outcome(report, no_cadence).reason == "no_cadence"
    assert all(o.reason or o.written for o in report.outcomes)  # nothing skipped silently


async def test_first_run_writes_every_completed_slot_of_the_session_at_once(
    cfg: Settings, rows: Rows
) -> None:
    site = make_site(rows, cadence=3)
    rows.device(site)
    report = await tick(cfg, DAY + 12 * H + timedelta(minutes=3))  # 12:00 slot due
    written = outcome(report, site).written
    assert [(w.wake_number, w.start, w.end) for w in written] == [
        (k, DAY + 3 * (k - 1) * H, DAY + 3 * k * H) for k in (1, 2, 3, 4)
    ]
    assert [w.trigger for w in written] == ["catch_up"] * 3 + ["schedule"]


async def test_rerun_of_the_same_slot_writes_no_second_row(cfg: Settings, rows: Rows) -> None:
    site = make_site(rows)
    rows.device(site)
    now = DAY + 5 * H + timedelta(minutes=3)
    first = await tick(cfg, now)
    second = await tick(cfg, now)
    assert outcome(first, site).outcome == "written"
    assert outcome(second, site).outcome == "skipped"
    assert outcome(second, site).reason == "not_due"
    assert len(snapshots(rows, site)) == 5


async def test_timeline_of_a_3h_cadence_writes_each_window_once(cfg: Settings, rows: Rows) -> None:
    site = make_site(rows, cadence=3)
    rows.device(site)
    for hour in (12, 15, 18):
        await tick(cfg, DAY + hour * H + timedelta(minutes=2))
        await tick(cfg, DAY + hour * H + timedelta(minutes=30))
    got = [(s["wake_number"], s["wake_round_end"]) for s in snapshots(rows, site)]
    assert got == [(k, DAY + 3 * k * H) for k in range(1, 7)]


async def test_catch_up_writes_missed_slots_oldest_first_as_of_their_window(
    cfg: Settings, rows: Rows
) -> None:
    site = make_site(rows)
    device = rows.device(site)
    await tick(cfg, DAY + 2 * H + timedelta(minutes=5))  # wake 2 written, then "downtime"
    rows.payload(device, DAY + 2 * H + timedelta(minutes=10), temperature=70.0)
    rows.payload(device, DAY + 4 * H + timedelta(minutes=10), temperature=90.0)
    report = await tick(cfg, DAY + 6 * H + timedelta(minutes=5))
    written = outcome(report, site).written
    assert [w.wake_number for w in written] == [3, 4, 5, 6]
    assert [w.trigger for w in written] == ["catch_up", "catch_up", "catch_up", "schedule"]
    docs = {s["wake_number"]: s["site_state"] for s in snapshots(rows, site)}
    temps = {k: d["devices"][0]["telemetry"]["temperature"] for k, d in docs.items()}
    # wake 3 = [02:00, 03:00) saw only the 70 °F reading; the later 90 °F never leaks back.
    assert (
        temps[3] == 70.0 and docs[3]["devices"][0]["telemetry"]["data_freshness"] == "current_wake"
    )
    assert (
        temps[4] == 70.0
        and docs[4]["devices"][0]["telemetry"]["data_freshness"] == "carried_forward"
    )
    assert temps[5] == 90.0
    assert docs[3]["snapshot_metadata"]["late_by_seconds"] > 0


async def test_catch_up_latest_writes_only_the_newest_and_records_skipped(
    cfg: Settings, rows: Rows
) -> None:
    site = make_site(rows)
    rows.device(site)
    await tick(cfg, DAY + 2 * H + timedelta(minutes=5))
    latest = cfg.model_copy(
        update={"scheduler": cfg.scheduler.model_copy(update={"catch_up": "latest"})}
    )
    report = await tick(latest, DAY + 6 * H + timedelta(minutes=5))
    assert [w.wake_number for w in outcome(report, site).written] == [6]
    assert outcome(report, site).skipped_slots == 3
    [_, _, row] = snapshots(rows, site)
    assert row["site_state"]["snapshot_metadata"]["skipped_slots"] == 3
    recorded = rows.conn.execute(
        "SELECT reason FROM snapwatch.run_sites WHERE site_id = %s AND wake_number = 6", (site,)
    ).fetchone()
    assert recorded == ("3 older slot(s) skipped",)


async def test_provisional_forced_row_is_replaced_by_the_regular_one(
    cfg: Settings, rows: Rows
) -> None:
    site = make_site(rows)
    device = rows.device(site)
    forced = await tick(cfg, DAY + 4 * H + timedelta(minutes=20), force=True)
    [w] = outcome(forced, site).written
    assert (w.wake_number, w.trigger, w.end) == (5, "force", DAY + 4 * H + timedelta(minutes=20))
    [row] = snapshots(rows, site)
    assert row["site_state"]["snapshot_metadata"]["provisional"] is True
    rows.payload(device, DAY + 4 * H + timedelta(minutes=40), temperature=71.5)
    await tick(cfg, DAY + 5 * H + timedelta(minutes=3))
    *earlier, row = snapshots(rows, site)
    assert [r["wake_number"] for r in earlier] == [1, 2, 3, 4]
    meta = row["site_state"]["snapshot_metadata"]
    assert (row["wake_number"], meta["provisional"], meta["trigger"]) == (5, False, "schedule")
    assert row["wake_round_end"] == DAY + 5 * H
    assert row["site_state"]["devices"][0]["telemetry"]["temperature"] == 71.5


async def test_force_fails_clearly_without_open_session_or_devices(
    cfg: Settings, rows: Rows
) -> None:
    empty = make_site(rows, "Empty")
    report = await tick(cfg, DAY + 4 * H, force=True)
    assert outcome(report, empty).reason == "no_devices"
    assert snapshots(rows, empty) == []


async def test_a_failing_site_rolls_back_alone_and_is_recorded(cfg: Settings, rows: Rows) -> None:
    good = make_site(rows, "Good")
    rows.device(good)
    bad = make_site(rows, "Bad")
    rows.device(bad)
    # A platform row snapwatch cannot write: no company anywhere for the snapshot row.
    rows.conn.execute("UPDATE sites SET company_id = NULL WHERE site_id = %s", (bad,))
    rows.conn.execute(
        "UPDATE pilot_programs SET company_id = NULL WHERE program_id = "
        "(SELECT program_id FROM sites WHERE site_id = %s)",
        (bad,),
    )
    report = await tick(cfg, DAY + 3 * H + timedelta(minutes=3))
    assert outcome(report, good).outcome == "written"
    failed = outcome(report, bad)
    assert failed.outcome == "failed" and "company_id" in (failed.error or "")
    assert snapshots(rows, bad) == []
    assert rows.conn.execute(
        "SELECT last_snapshot_at FROM sites WHERE site_id = %s", (bad,)
    ).fetchone() == (None,)
    run = rows.conn.execute("SELECT status, sites_failed, error FROM snapwatch.runs").fetchone()
    assert run is not None and run[0] == "partial" and run[1] == 1 and "company_id" in run[2]
    site_row = rows.conn.execute(
        "SELECT outcome, error FROM snapwatch.run_sites WHERE site_id = %s", (bad,)
    ).fetchone()
    assert site_row is not None and site_row[0] == "failed" and site_row[1]


async def test_write_sets_last_snapshot_at_and_aggregates_null_without_data(
    cfg: Settings, rows: Rows
) -> None:
    site = make_site(rows)
    rows.device(site)  # never reported anything
    now = DAY + 2 * H + timedelta(minutes=3)
    await tick(cfg, now)
    [_, row] = snapshots(rows, site)
    assert (row["avg_temperature"], row["avg_humidity"], row["avg_mgi"], row["max_mgi"]) == (
        None,
    ) * 4
    assert row["active_devices_count"] == 1
    last = rows.conn.execute(
        "SELECT last_snapshot_at FROM sites WHERE site_id = %s", (site,)
    ).fetchone()
    assert last == (now,)


async def test_devices_that_missed_wakes_stay_in_every_snapshot(cfg: Settings, rows: Rows) -> None:
    site = make_site(rows)
    talking = rows.device(site, device_code="A-1")
    silent = rows.device(site, device_code="A-2")
    rows.payload(talking, DAY + 1 * H + timedelta(minutes=5), temperature=68.0, humidity=70.0)
    rows.payload(silent, DAY - 60 * H, temperature=50.0)  # beyond the 48 h max age
    await tick(cfg, DAY + 2 * H + timedelta(minutes=3))
    [_, row] = snapshots(rows, site)
    devices = {d["device_code"]: d for d in row["site_state"]["devices"]}
    assert devices["A-1"]["telemetry"]["data_freshness"] == "current_wake"
    assert devices["A-2"]["telemetry"]["data_freshness"] == "stale"
    assert devices["A-2"]["telemetry"]["temperature"] is None
    assert float(row["avg_temperature"]) == 68.0  # the stale value is not averaged


async def test_late_arriving_wake_within_settle_is_in_its_window(cfg: Settings, rows: Rows) -> None:
    site = make_site(rows)
    device = rows.device(site)
    await tick(cfg, DAY + 1 * H + timedelta(minutes=3))  # wake 1
    assert outcome(await tick(cfg, DAY + 2 * H + timedelta(seconds=60)), site).reason == "not_due"
    # captured 01:59:30, arrives after the slot ended but before end + settle
    rows.payload(device, DAY + 2 * H - timedelta(seconds=30), temperature=66.0)
    await tick(cfg, DAY + 2 * H + timedelta(seconds=120))
    _, row = snapshots(rows, site)
    assert row["wake_number"] == 2
    assert row["site_state"]["devices"][0]["telemetry"]["temperature"] == 66.0


async def test_boundary_reading_belongs_to_the_later_window_only(cfg: Settings, rows: Rows) -> None:
    site = make_site(rows)
    device = rows.device(site)
    await tick(cfg, DAY + 1 * H + timedelta(minutes=3))
    rows.payload(device, DAY + 1 * H, temperature=60.0)  # exactly at the 01:00 boundary
    rows.image(device, DAY + 1 * H, 0.3)
    await tick(cfg, DAY + 2 * H + timedelta(minutes=3))
    first, second = snapshots(rows, site)
    assert first["site_state"]["devices"][0]["telemetry"]["data_freshness"] == "no_data"
    assert second["site_state"]["devices"][0]["telemetry"]["data_freshness"] == "current_wake"
    assert second["new_images_this_round"] == 1 and first["new_images_this_round"] == 0


async def test_session_is_found_by_instant_not_by_utc_date(cfg: Settings, rows: Rows) -> None:
    company = rows.company("West")
    site = rows.site(
        rows.program(company, "P"), "LA", snapshot_cadence_hours=1, timezone="America/Los_Angeles"
    )
    rows.device(site)
    # Local day 2026-06-10 in Los Angeles runs 07:00Z..07:00Z next day.
    local_start = datetime(2026, 6, 10, 7, tzinfo=UTC)
    rows.session(site, local_start, local_start + 24 * H, "in_progress")
    report = await tick(cfg, datetime(2026, 6, 11, 3, 5, tzinfo=UTC))  # UTC date is the 11th
    *_, w = outcome(report, site).written
    assert w.wake_number == 20 and w.end == datetime(2026, 6, 11, 3, tzinfo=UTC)


async def test_snapshot_notify_is_sent_on_write(
    cfg: Settings, rows: Rows, migrated_dsn: str
) -> None:
    site = make_site(rows)
    rows.device(site)
    listener = psycopg.connect(migrated_dsn, autocommit=True)
    listener.execute(f"LISTEN {NOTIFY_CHANNEL}")
    await tick(cfg, DAY + 2 * H + timedelta(minutes=3))
    notes = list(listener.notifies(timeout=5, stop_after=2))
    listener.close()
    payloads = [json.loads(n.payload) for n in notes]
    assert [(p["site_id"], p["wake_number"]) for p in payloads] == [(str(site), 1), (str(site), 2)]


async def test_every_written_document_validates_against_the_shipped_schema(
    cfg: Settings, rows: Rows
) -> None:
    site = make_site(
        rows,
        zones=json.dumps(
            [
                {
                    "id": "z1",
                    "label": "North",
                    "bounds": {"x1": 0, "y1": 0, "x2": 10, "y2": 10},
                    "risk_level": "high",
                }
            ]
        ),
        length=40,
        width=30,
    )
    a = rows.device(site, x_position=5, y_position=5, device_name="A")
    rows.device(site)  # unplaced
    rows.payload(a, DAY + 30 * timedelta(minutes=1), temperature=70, humidity=101)
    rows.image(a, DAY + 40 * timedelta(minutes=1), 37.5)  # another scorer's 0-100 scale
    rows.image(a, DAY - 2 * H, 0.2)
    rows.alert(site, a, DAY + 10 * timedelta(minutes=1))
    rows.alert(site, None, DAY + 20 * timedelta(minutes=1))
    await tick(cfg, DAY + 1 * H + timedelta(minutes=3))
    [row] = snapshots(rows, site)
    doc = row["site_state"]
    jsonschema.validate(doc, shipped_schema())
    problems = {(q["field"], q["problem"]) for q in doc["data_quality"]}
    assert ("mgi_score", "out_of_range") in problems and ("humidity", "implausible") in problems
    device = next(d for d in doc["devices"] if d["device_id"] == str(a))
    assert device["mgi_state"]["current_mgi"] == 0.2  # fell back past the rejected 37.5
    assert row["new_alerts_this_round"] == 2


async def test_tick_on_a_platform_database_with_integer_cadence_and_extra_columns(
    platform_like_dsn: str, isolated_env: Path
) -> None:
    from snapwatch.infra.migrations import migrate

    platform = load_settings(overrides={"dsn": platform_like_dsn})[0]
    await migrate(resolve_target(platform), platform)
    report = await tick(platform, datetime(2025, 1, 15, 12, 5, tzinfo=UTC))
    barn = next(o for o in report.outcomes if o.site_name == "North barn")
    greenhouse = next(o for o in report.outcomes if o.site_name == "Greenhouse 2")
    # integer cadence 3 h; wake 1 (06:00-09:00) already written by the platform
    assert [(w.wake_number, w.start.hour, w.end.hour) for w in barn.written] == [(2, 9, 12)]
    assert greenhouse.reason == "no_devices"
    with psycopg.connect(platform_like_dsn) as conn:
        doc = conn.execute(
            "SELECT site_state FROM session_wake_snapshots WHERE wake_number = 2"
        ).fetchone()
    assert doc is not None
    jsonschema.validate(doc[0], shipped_schema())
    telemetry = {d["device_code"]: d["telemetry"] for d in doc[0]["devices"]}
    assert telemetry["DEVICE-ESP32S3-001"]["temperature"] == 71.6
    assert telemetry["DEVICE-ESP32S3-001"]["data_freshness"] == "carried_forward"


async def test_paused_site_is_skipped_and_its_paused_slots_never_caught_up(
    cfg: Settings, rows: Rows
) -> None:
    site = make_site(rows)
    rows.device(site)
    await tick(cfg, DAY + 1 * H + timedelta(minutes=3))  # wake 1
    rows.conn.execute(
        "INSERT INTO snapwatch.pauses (site_id, paused_by, paused_at, resumed_at)"
        " VALUES (%s, 'ops', %s, %s)",
        (site, DAY + 1 * H + timedelta(minutes=30), DAY + 4 * H + timedelta(minutes=30)),
    )
    during = await tick(cfg, DAY + 3 * H + timedelta(minutes=3))
    assert outcome(during, site).reason == "paused"
    after = await tick(cfg, DAY + 5 * H + timedelta(minutes=3))
    # slots ending 02:00, 03:00, 04:00 fell in the pause; 05:00 is the next one
    assert [w.wake_number for w in outcome(after, site).written] == [5]


async def test_global_pause_skips_every_site(cfg: Settings, rows: Rows) -> None:
    site = make_site(rows)
    rows.device(site)
    rows.conn.execute(
        "INSERT INTO snapwatch.pauses (site_id, paused_by, paused_at) VALUES (NULL, 'ops', %s)",
        (DAY,),
    )
    report = await tick(cfg, DAY + 3 * H + timedelta(minutes=3))
    assert outcome(report, site).reason == "paused"
    assert snapshots(rows, site) == []


@pytest.mark.parametrize("is_active", [True, False, None])
@pytest.mark.parametrize(
    ("status", "live"),
    [
        (None, True),
        ("pending_approval", True),
        ("pending_mapping", True),
        ("mapped", True),
        ("active", True),
        ("inactive", False),
        ("decommissioned", False),
        ("system", True),
    ],
)
def test_a_device_counts_when_active_and_not_inactive_or_decommissioned(
    rows: Rows, is_active: bool | None, status: str | None, live: bool
) -> None:
    from snapwatch.schedule.sitestate import with_counting_devices

    site = make_site(rows)
    device = rows.device(site, is_active=is_active, provisioning_status=status)  # type: ignore[arg-type]
    counted = rows.conn.execute(
        with_counting_devices(
            "SELECT count(*) FROM devices d WHERE d.device_id = %s AND {counting_device}"
        ),
        (device,),
    ).fetchone()
    assert counted == (int(is_active is True and live),)
