"""One bad reading never stops a site's snapshots (pitfall 35), on a real database: a
65535 °F reading once overflowed the numeric(5,2) aggregate columns and failed every
write of its site. Through a tick and through ``snapwatch run-once``."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import jsonschema
import psycopg
import pytest
from support.overview_rows import Rows

from snapwatch.cli import main
from snapwatch.infra.config import Settings, load_settings
from snapwatch.infra.db import connect, resolve_target
from snapwatch.schedule.runlog import record_run
from snapwatch.schedule.tick import run_tick
from snapwatch.schedule.tick_report import TickReport
from snapwatch.snapshot.aggregates import to_cents
from snapwatch.snapshot.document import ROSTER_AS_OF_TODAY
from snapwatch.snapshot.schema import shipped_schema

DAY = datetime(2026, 6, 10, tzinfo=UTC)
H = timedelta(hours=1)
AT = DAY + 3 * H + timedelta(minutes=3)  # wakes 1 and 2 caught up, wake 3 on schedule
AGGREGATES = ("avg_temperature", "avg_humidity", "avg_mgi", "max_mgi")


def site_with_a_broken_sensor(rows: Rows, *, with_a_working_one: bool) -> UUID:
    """A 40 × 30 ft site whose device A-1 reports 65535 °F and 200 % RH, sits at
    x = 1e9 ft and had one image scored 7.3; A-2, when there, reports 70 °F, 50 % RH."""
    program = rows.program(rows.company("Co"), "Program")
    site = rows.site(program, "Barn 7", snapshot_cadence_hours=1, length=40, width=30)
    rows.session(site, DAY, DAY + 24 * H, "in_progress")
    broken = rows.device(site, device_code="A-1", x_position=1e9, y_position=5)
    rows.payload(broken, DAY + 10 * timedelta(minutes=1), temperature=65535, humidity=200)
    rows.image(broken, DAY + 20 * timedelta(minutes=1), 7.3)
    if with_a_working_one:
        working = rows.device(site, device_code="A-2", x_position=5, y_position=5)
        rows.payload(working, DAY + 10 * timedelta(minutes=1), temperature=70, humidity=50)
        rows.image(working, DAY + 20 * timedelta(minutes=1), 0.2)
    return site


async def tick(cfg: Settings, now: datetime) -> TickReport:
    conn = await connect(resolve_target(cfg), cfg)
    try:
        report = await run_tick(conn, cfg, now)
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


def named(row: dict[str, Any]) -> set[tuple[str, Any, str]]:
    return {(q["field"], q["value"], q["problem"]) for q in row["site_state"]["data_quality"]}


def assert_columns_are_the_session_metrics(row: dict[str, Any]) -> None:
    metrics = row["site_state"]["session_metrics"]
    assert [row[k] for k in AGGREGATES] == [to_cents(metrics[k]) for k in AGGREGATES]
    jsonschema.validate(row["site_state"], shipped_schema())


async def test_a_65535_f_reading_is_left_out_and_every_snapshot_is_written_on_time(
    cfg: Settings, rows: Rows
) -> None:
    site = site_with_a_broken_sensor(rows, with_a_working_one=True)
    report = await tick(cfg, AT)
    [outcome] = report.outcomes
    assert (outcome.outcome, outcome.error) == ("written", None)
    assert [(w.wake_number, w.trigger) for w in outcome.written] == [
        (1, "catch_up"),
        (2, "catch_up"),
        (3, "schedule"),
    ]
    written = snapshots(rows, site)
    assert [r["wake_number"] for r in written] == [1, 2, 3]
    for row in written:
        assert_columns_are_the_session_metrics(row)
        assert (row["avg_temperature"], row["avg_humidity"]) == (Decimal("70.00"), Decimal("50.00"))
        assert (row["avg_mgi"], row["max_mgi"]) == (Decimal("0.20"), Decimal("0.20"))
        # caught up without placement history (none in snapwatch's own database)
        roster = ("devices", ROSTER_AS_OF_TODAY, "roster_as_of_today")
        caught_up = row["site_state"]["snapshot_metadata"]["trigger"] == "catch_up"
        assert {
            ("temperature", 65535, "implausible"),
            ("humidity", 200, "implausible"),
            ("x_position", 1e9, "outside_site"),
            ("mgi_score", 7.3, "out_of_range"),
            *([roster] if caught_up else []),
        } == named(row)
        broken = row["site_state"]["devices"][0]
        assert broken["telemetry"]["temperature"] == 65535  # kept as stored
        assert broken["position"] == {"x": 1e9, "y": 5}
    status = rows.conn.execute("SELECT status, sites_failed FROM snapwatch.runs").fetchone()
    assert status == ("ok", 0)


async def test_when_the_only_temperature_is_implausible_the_average_is_null(
    cfg: Settings, rows: Rows
) -> None:
    site = site_with_a_broken_sensor(rows, with_a_working_one=False)
    [outcome] = (await tick(cfg, AT)).outcomes
    assert outcome.outcome == "written"
    for row in snapshots(rows, site):
        assert_columns_are_the_session_metrics(row)
        assert [row[k] for k in AGGREGATES] == [None] * 4
        assert ("temperature", 65535, "implausible") in named(row)


async def test_bounds_widened_by_configuration_leave_an_unstorable_average_null(
    migrated_dsn: str, isolated_env: Path, rows: Rows, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SNAPWATCH_PLAUSIBILITY__TEMPERATURE_MAX_F", "100000")
    cfg = load_settings(overrides={"dsn": migrated_dsn})[0]
    site = site_with_a_broken_sensor(rows, with_a_working_one=True)
    [outcome] = (await tick(cfg, AT)).outcomes
    assert outcome.outcome == "written"
    for row in snapshots(rows, site):
        assert_columns_are_the_session_metrics(row)
        assert row["avg_temperature"] is None
        assert row["avg_humidity"] == Decimal("50.00")
        problems = named(row)
        assert ("avg_temperature", 32802.5, "not_storable") in problems
        assert not any(field == "temperature" for field, _, _ in problems)


def run_once(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code = main(["run-once", "--json", "--at", AT.isoformat(), *args])
    return code, json.loads(capsys.readouterr().out)


def test_run_once_writes_the_site_of_a_broken_sensor(
    migrated_dsn: str, isolated_env: Path, rows: Rows, capsys: pytest.CaptureFixture[str]
) -> None:
    site = site_with_a_broken_sensor(rows, with_a_working_one=True)
    code, report = run_once(capsys, "--dsn", migrated_dsn)
    assert code == 0
    [outcome] = report["sites"]
    assert (outcome["outcome"], outcome["error"]) == ("written", None)
    assert outcome["written"][-1]["trigger"] == "schedule"
    assert outcome["written"][-1]["late_by_seconds"] < 10 * 60
    for row in snapshots(rows, site):
        assert_columns_are_the_session_metrics(row)
        assert row["avg_temperature"] == Decimal("70.00")
        assert ("temperature", 65535, "implausible") in named(row)


def test_run_once_with_widened_bounds_in_the_config_file_still_writes(
    migrated_dsn: str, isolated_env: Path, rows: Rows, capsys: pytest.CaptureFixture[str]
) -> None:
    config = isolated_env / "wide.toml"
    config.write_text("[plausibility]\ntemperature_max_f = 100000.0\n")
    site = site_with_a_broken_sensor(rows, with_a_working_one=False)
    code, report = run_once(capsys, "--dsn", migrated_dsn, "--config", str(config))
    assert code == 0
    assert report["summary"]["failed"] == 0 and report["summary"]["snapshots"] == 3
    for row in snapshots(rows, site):
        assert_columns_are_the_session_metrics(row)
        assert row["avg_temperature"] is None
        assert ("avg_temperature", 65535, "not_storable") in named(row)


async def test_a_number_beyond_the_float_range_is_read_and_named_not_a_failure(
    cfg: Settings, rows: Rows
) -> None:
    """A plain numeric-to-float8 cast raises on these, and would fail every site read
    together with this one."""
    program = rows.program(rows.company("Co"), "Program")
    site = rows.site(program, "Barn 9", snapshot_cadence_hours=1, length=40, width=30)
    rows.session(site, DAY, DAY + 24 * H, "in_progress")
    device = rows.device(site, x_position=5, y_position="1e400")
    minute = timedelta(minutes=1)
    rows.payload(
        device,
        DAY + 10 * minute,
        temperature="1e400",
        pressure="1e-400",
        humidity=40,
        battery_voltage="-1e400",
    )
    rows.image(device, DAY + 20 * minute, "1e400")  # type: ignore[arg-type]  # text on purpose
    [outcome] = (await tick(cfg, DAY + H + timedelta(minutes=3))).outcomes
    assert (outcome.outcome, outcome.error) == ("written", None)
    [row] = snapshots(rows, site)
    assert_columns_are_the_session_metrics(row)
    assert named(row) == {
        ("y_position", "inf", "not_finite"),
        ("battery_voltage", "-inf", "not_finite"),
        ("temperature", "inf", "not_finite"),
        ("pressure", 0, "implausible"),
        ("mgi_score", "inf", "not_finite"),
    }
    telemetry = row["site_state"]["devices"][0]["telemetry"]
    assert (telemetry["temperature"], telemetry["pressure"]) == (None, 0)
    assert (row["avg_temperature"], row["avg_humidity"]) == (None, Decimal("40.00"))
