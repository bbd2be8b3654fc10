"""``snapwatch status``: a small fleet in every health state, as text and as JSON, and the
pg_cron conflict warning (pitfalls 2 and 6)."""

from __future__ import annotations

import dataclasses
import io
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import psycopg
import pytest
from overview_rows import Rows

from snapwatch.access import AccessReport
from snapwatch.actions import pause
from snapwatch.commands.status import (
    WIDTH,
    StatusReport,
    conflict_warning,
    emit,
    read_status,
    render_status,
    status_json,
    table,
)
from snapwatch.config import Settings
from snapwatch.db import connect, resolve_target
from snapwatch.health import InstanceState, instance_health
from snapwatch.instances import InstanceRow, mark_stopped, record_tick, register
from snapwatch.pgcron import CronJob, CronReport
from snapwatch.runlog import record_run
from snapwatch.tick import run_tick

DAY = datetime(2026, 6, 10, tzinfo=UTC)
H = timedelta(hours=1)
M = timedelta(minutes=1)
NOW = DAY + 5 * H + 3 * M  # slot 5 (04:00-05:00) became due at 05:02


@pytest.fixture
async def conn(cfg: Settings) -> AsyncIterator[psycopg.AsyncConnection[dict[str, Any]]]:
    c = await connect(resolve_target(cfg), cfg)
    yield c
    await c.close()


def make_site(rows: Rows, name: str, *, devices: int = 1) -> UUID:
    program = rows.program(rows.company(f"Co {name}"), f"Program {name}")
    site = rows.site(program, name, snapshot_cadence_hours=1)
    for _ in range(devices):
        rows.device(site)
    rows.session(site, DAY, DAY + 24 * H, "in_progress")
    return site


async def fleet(conn: Any, cfg: Settings, rows: Rows) -> dict[str, UUID]:
    sites = {
        name: make_site(rows, name)
        for name in ("On Time", "Due Now", "Never Written", "Paused", "Broken")
    }
    sites["Empty"] = make_site(rows, "Empty", devices=0)
    await run_tick(conn, cfg, DAY + 4 * H + 3 * M, site=sites["Due Now"])
    await run_tick(conn, cfg, NOW, site=sites["On Time"])
    await pause(conn, DAY, site=sites["Paused"], reason="cleaning", until=None, who="ops@h")
    rows.conn.execute("UPDATE sites SET company_id = NULL WHERE site_id = %s", (sites["Broken"],))
    rows.conn.execute(
        "UPDATE pilot_programs SET company_id = NULL WHERE program_id ="
        " (SELECT program_id FROM sites WHERE site_id = %s)",
        (sites["Broken"],),
    )
    await record_run(conn, await run_tick(conn, cfg, NOW, site=sites["Broken"]), None)
    live = await register(conn, "daemon", clock="system", tick_seconds=60)
    started = datetime.now(UTC)  # a tick's wall-clock stamp
    await record_tick(
        conn, live, started=started, finished=started, next_tick_at=None, paused=False, error=None
    )
    gone = await register(conn, "tui", clock="demo", tick_seconds=60)
    await mark_stopped(conn, gone)
    return sites


def block(lines: list[str], name: str) -> str:
    """A site's row and the indented lines under it."""
    start = next(n for n, line in enumerate(lines) if line.startswith(name + " "))
    end = start + 1
    while end < len(lines) and lines[end].startswith("    "):
        end += 1
    return "\n".join(lines[start:end])


async def test_status_shows_every_health_state_of_a_small_fleet(
    conn: Any, cfg: Settings, rows: Rows
) -> None:
    await fleet(conn, cfg, rows)
    report = await read_status(conn, NOW, cfg, database="test db")
    states = {s.site_name: s.state.value for s in report.sites}
    assert states == {
        "On Time": "on_time",
        "Due Now": "due",
        "Never Written": "late",
        "Paused": "paused",
        "Broken": "failing",
        "Empty": "not_eligible",
    }
    assert sorted(i.state.value for i in report.instances) == ["ok", "stopped"]
    assert [p.scope for p in report.pauses] == ["'Paused'"]
    assert not report.cron.installed and report.warning is None

    text = render_status(report)
    lines = text.splitlines()
    assert all(len(line) <= WIDTH for line in lines), max(lines, key=len)
    assert lines[:2] == ["status as of 2026-06-10 05:03:00 UTC", "database test db"]
    row = {name: block(lines, name) for name in states}
    assert "on time" in row["On Time"] and "05:02" not in row["On Time"]
    assert "#5 04:00-05:00" in row["Due Now"] and "1m ago" in row["Due Now"]
    assert "late" in row["Never Written"] and "#1 00:00-01:00" in row["Never Written"]
    assert 'paused by ops@h: "cleaning"' in row["Paused"]
    assert "failing" in row["Broken"] and "last run failed: write: NotNull" in row["Broken"]
    assert "[Program Broken]" in lines
    assert "not eligible" in row["Empty"] and "no_devices" in row["Empty"]
    assert "06:02 (in 59m)" in row["On Time"]  # next due, with a relative time
    assert "SITES 6: 1 on time, 1 due, 1 late, 1 paused, 1 not eligible, 1 failing" in lines
    assert any(ln.startswith("ok ") and "daemon" in ln for ln in lines)
    assert any(ln.startswith("stopped ") and " tui " in ln for ln in lines)
    assert "PG_CRON pg_cron is not installed in this database" in lines


async def test_status_json_is_one_object_with_iso_times(
    conn: Any, cfg: Settings, rows: Rows
) -> None:
    sites = await fleet(conn, cfg, rows)
    report = await read_status(conn, NOW, cfg, database="test db")
    doc = json.loads(json.dumps(status_json(report)))
    assert set(doc) >= {"sites", "instances", "pauses", "pg_cron", "summary", "as_of"}
    assert doc["summary"]["sites"]["failing"] == 1 and doc["summary"]["instances"]["ok"] == 1
    by_name = {s["site_name"]: s for s in doc["sites"]}
    late = by_name["Never Written"]
    assert late["state"] == "late" and late["site_id"] == str(sites["Never Written"])
    assert datetime.fromisoformat(late["waiting_since"]) == DAY + H + 2 * M
    assert late["waiting_for_wake"] == 1
    assert by_name["Empty"]["reason"] == "no_devices"
    assert doc["pauses"][0]["scope"] == "'Paused'" and doc["pauses"][0]["paused_by"] == "ops@h"
    assert {i["state"] for i in doc["instances"]} == {"ok", "stopped"}
    assert doc["pg_cron"]["installed"] is False and doc["pg_cron"]["warning"] is None


async def test_status_of_one_site(conn: Any, cfg: Settings, rows: Rows) -> None:
    sites = await fleet(conn, cfg, rows)
    report = await read_status(conn, NOW, cfg, database="db", site=sites["On Time"])
    assert [s.site_name for s in report.sites] == ["On Time"]
    assert report.pauses == []  # the other site's pause is not this site's


# --- the pg_cron conflict ------------------------------------------------------------------------


def cron_job(command: str) -> CronJob:
    return CronJob(
        jobid=3,
        name="legacy-snapshots",
        schedule="0 * * * *",
        command=command,
        database="platform",
        username="postgres",
        active=True,
        last_status="succeeded",
        last_start=NOW - 3 * M,
        last_end=NOW - 3 * M + timedelta(seconds=2),
        last_duration_seconds=2.0,
        last_message="1 row",
        last_pid=77,
        next_run=NOW + 57 * M,
        stuck=False,
        interval_seconds=3600.0,
        calls_old_generator="generate_session_wake_snapshot" in command,
        schedule_error=None,
    )


def instance(state_changes: dict[str, Any]) -> Any:
    row = InstanceRow(
        instance_id=uuid4(),
        host="ops-1",
        pid=1,
        mode="daemon",
        version="0.1.0",
        clock="system",
        tick_seconds=60.0,
        os_user="ops",
        started_at=NOW - H,
        heartbeat_at=NOW,
        last_tick_at=NOW,
        next_tick_at=NOW + M,
        last_duration_ms=10.0,
        last_success_at=NOW,
        last_error=None,
        paused=False,
        stopped_at=None,
        db_now=NOW,
    )
    return instance_health(dataclasses.replace(row, **state_changes))


def conflict_report(instances: list[Any]) -> StatusReport:
    cron = CronReport(
        installed=True,
        readable=True,
        version="1.6",
        database="platform",
        jobs=(cron_job("SELECT generate_session_wake_snapshot()"),),
        run_details=True,
    )
    warning = conflict_warning(cron, instances)
    return StatusReport(NOW, "db", [], instances, [], cron, warning, AccessReport("ops", {}))


def test_an_old_generator_beside_a_live_scheduler_is_the_first_line_and_on_stderr() -> None:
    report = conflict_report([instance({})])
    out, err = io.StringIO(), io.StringIO()
    emit(report, as_json=False, out=out, err=err)
    first = out.getvalue().splitlines()[0]
    assert first.startswith("!!! CONFLICT: pg_cron job 3 'legacy-snapshots'")
    assert "SELECT cron.unschedule(3)" in first
    assert err.getvalue().startswith("snapwatch: warning: CONFLICT:")
    assert "calls an old snapshot generator" in out.getvalue()


def test_with_json_the_conflict_is_in_the_document_and_on_stderr() -> None:
    report = conflict_report([instance({"paused": True})])
    out, err = io.StringIO(), io.StringIO()
    emit(report, as_json=True, out=out, err=err)
    doc = json.loads(out.getvalue())
    assert doc["pg_cron"]["warning"].startswith("CONFLICT:")
    assert doc["pg_cron"]["jobs"][0]["calls_old_generator"] is True
    assert "CONFLICT" in err.getvalue()


@pytest.mark.parametrize(
    "changes",
    [{"stopped_at": NOW - M}, {"heartbeat_at": NOW - H}],
    ids=["stopped", "down"],
)
def test_no_conflict_when_no_scheduler_is_live(changes: dict[str, Any]) -> None:
    report = conflict_report([instance(changes)])
    assert report.instances[0].state in (InstanceState.STOPPED, InstanceState.DOWN)
    assert report.warning is None
    assert conflict_report([]).warning is None


def test_tables_fit_the_width_by_cutting_the_flexible_columns() -> None:
    rows = [["a" * 60, "b" * 30, "c" * 40]]
    lines = table(["A", "B", "C"], rows, shrink={2: 10, 0: 20}, width=80)
    assert all(len(line) <= 80 for line in lines)
    assert lines[1].split("  ")[1] == "b" * 30  # not in shrink: kept whole
    assert lines[1].endswith("…")
