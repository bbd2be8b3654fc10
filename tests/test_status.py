"""``snapwatch status``: a small fleet in every health state, as text and as JSON, and the
pg_cron conflict warning with its evidence, on a real pg_cron whose jobs call functions
shaped like the platform's (pitfalls 2, 6 and 29)."""

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
from platform_writers import DROP, FUNCTIONS, schedule

from snapwatch.commands.status import (
    WIDTH,
    StatusReport,
    emit,
    read_status,
    render_status,
    status_json,
    table,
)
from snapwatch.infra.access import AccessReport
from snapwatch.infra.config import Settings
from snapwatch.infra.db import connect, resolve_target
from snapwatch.schedule.actions import pause
from snapwatch.schedule.health import InstanceState, conflict_warning, instance_health
from snapwatch.schedule.instances import InstanceRow, mark_stopped, record_tick, register
from snapwatch.schedule.other_writers import (
    Evidence,
    GrantWriter,
    OtherWriters,
    Outcome,
    TriggerWriter,
    read_other_writers,
)
from snapwatch.schedule.pgcron import CronJob, CronReport, read_cron
from snapwatch.schedule.runlog import record_run
from snapwatch.schedule.tick import run_tick

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
    assert lines[:2] == [
        "status as of 2026-06-10 05:03:00 UTC (database clock)",
        "database test db",
    ]
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
    assert "OTHER WRITERS OF SNAPSHOTS (triggers, grants to the web app): none" in lines


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
    assert doc["other_writers"] == {"triggers": [], "grants": [], "note": None}


async def test_status_of_one_site(conn: Any, cfg: Settings, rows: Rows) -> None:
    sites = await fleet(conn, cfg, rows)
    report = await read_status(conn, NOW, cfg, database="db", site=sites["On Time"])
    assert [s.site_name for s in report.sites] == ["On Time"]
    assert report.pauses == []  # the other site's pause is not this site's


# --- the pg_cron conflict ------------------------------------------------------------------------

INSERT = "INSERT INTO session_wake_snapshots"
CHAIN = ("generate_scheduled_snapshots()", "generate_session_wake_snapshot()", INSERT)


def cron_job(evidence: Evidence) -> CronJob:
    return CronJob(
        jobid=3,
        name="generate-site-snapshots",
        schedule="0 * * * *",
        command="SELECT generate_scheduled_snapshots()",
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
        schedule_error=None,
        snapshot_evidence=evidence,
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
        clock_offset_seconds=None,
    )
    return instance_health(dataclasses.replace(row, **state_changes))


NO_WRITERS = OtherWriters()


def report_of(
    cron: CronReport, instances: list[Any], writers: OtherWriters = NO_WRITERS
) -> StatusReport:
    warning = conflict_warning(cron, instances)
    access = AccessReport("ops", {})
    return StatusReport(NOW, "db", [], instances, [], cron, writers, warning, access)


def conflict_report(instances: list[Any]) -> StatusReport:
    cron = CronReport(
        installed=True,
        readable=True,
        version="1.6",
        database="platform",
        jobs=(cron_job(Evidence(Outcome.WRITES, CHAIN)),),
        run_details=True,
    )
    return report_of(cron, instances)


def test_a_job_writing_snapshots_beside_a_live_scheduler_is_the_first_line_and_on_stderr() -> None:
    report = conflict_report([instance({})])
    out, err = io.StringIO(), io.StringIO()
    emit(report, as_json=False, out=out, err=err)
    first = out.getvalue().splitlines()[0]
    assert first.startswith("!!! CONFLICT: a pg_cron job writes snapshots")
    assert "job 3 'generate-site-snapshots' → generate_scheduled_snapshots() →" in first
    assert first.endswith("; unschedule it with SELECT cron.unschedule(3)")
    assert err.getvalue().startswith("snapwatch: warning: CONFLICT:")


def test_with_json_the_conflict_is_in_the_document_and_on_stderr() -> None:
    report = conflict_report([instance({"paused": True})])
    out, err = io.StringIO(), io.StringIO()
    emit(report, as_json=True, out=out, err=err)
    doc = json.loads(out.getvalue())
    assert doc["pg_cron"]["warning"].startswith("CONFLICT:")
    [job] = doc["pg_cron"]["jobs"]
    assert job["writes_snapshots"] is True
    assert job["snapshot_evidence"]["outcome"] == "writes"
    assert job["snapshot_evidence"]["chain"] == list(CHAIN)
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
    text = render_status(report)
    assert "CONFLICT" not in text and "unschedule" not in text
    assert "    job 3 'generate-site-snapshots' → generate_scheduled_snapshots() →" in text


def test_other_writers_are_listed_with_their_evidence_and_wrapped_not_cut() -> None:
    writers = OtherWriters(
        triggers=(
            TriggerWriter(
                "trigger_auto_generate_snapshot",
                "device_wake_payloads",
                Evidence(Outcome.WRITES, ("auto_snapshot_on_wake_complete()", *CHAIN[1:])),
            ),
            TriggerWriter(  # a quoted name may hold anything: shown inert
                "t\x1b]0;owned\x07",
                "sites",
                Evidence(Outcome.WRITES, ("x\x9b2J()", INSERT)),
            ),
        ),
        grants=(
            GrantWriter(
                "recompute_wake_snapshot(uuid)",
                ("anon", "authenticated"),
                Evidence(Outcome.WRITES, ("UPDATE session_wake_snapshots",)),
            ),
        ),
    )
    cron = CronReport(installed=False, note="pg_cron is not installed in this database")
    text = render_status(report_of(cron, [instance({})], writers))
    lines = text.splitlines()
    head = lines.index("OTHER WRITERS OF SNAPSHOTS (triggers, grants to the web app): 3")
    assert all(len(line) <= WIDTH for line in lines)
    section = lines[head + 1 : lines.index("", head)]
    assert " ".join(line.strip() for line in section) == (
        "trigger trigger_auto_generate_snapshot on device_wake_payloads → "
        "auto_snapshot_on_wake_complete() → generate_session_wake_snapshot() → "
        "INSERT INTO session_wake_snapshots "
        "trigger t\\x1b]0;owned\\x07 on sites → x\\x9b2J() → INSERT INTO session_wake_snapshots "
        "anon, authenticated may execute recompute_wake_snapshot(uuid) → "
        "UPDATE session_wake_snapshots"
    )
    assert not any(c in text for c in "\x1b\x07\x9b")
    assert "CONFLICT" not in text  # reported, not a pg_cron conflict
    doc = status_json(report_of(cron, [], writers))["other_writers"]
    assert doc["triggers"][0]["table"] == "device_wake_payloads"
    assert doc["triggers"][0]["chain"] == ["auto_snapshot_on_wake_complete()", *CHAIN[1:]]
    assert doc["triggers"][1]["trigger"] == "t\x1b]0;owned\x07"  # JSON escapes it
    assert doc["grants"][0]["roles"] == ["anon", "authenticated"]
    assert doc["grants"][0]["text"].startswith("anon, authenticated may execute")


# --- status of a real pg_cron ------------------------------------------------------------------


@pytest.fixture
async def platform_cron(
    cron_conn: psycopg.AsyncConnection[dict[str, Any]],
) -> AsyncIterator[psycopg.AsyncConnection[dict[str, Any]]]:
    await cron_conn.execute(FUNCTIONS)
    yield cron_conn
    await cron_conn.execute(DROP)


async def real_status(conn: psycopg.AsyncConnection[dict[str, Any]]) -> StatusReport:
    """What status reads from pg_cron and the functions, beside one live scheduler."""
    cron = await read_cron(conn, NOW)
    return report_of(cron, [instance({})], await read_other_writers(conn))


def emitted(report: StatusReport, *, as_json: bool) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    emit(report, as_json=as_json, out=out, err=err)
    return out.getvalue(), err.getvalue()


async def test_status_of_the_platform_site_snapshot_job_is_a_conflict_with_its_chain(
    platform_cron: psycopg.AsyncConnection[dict[str, Any]],
) -> None:
    job = await schedule(
        platform_cron,
        "generate-site-snapshots\x1b[2J",  # an escape sequence in a job's name stays inert
        "*/15 * * * *",
        "SELECT generate_scheduled_snapshots();",
    )
    report = await real_status(platform_cron)
    name = "'generate-site-snapshots\\x1b[2J'"
    chain = (
        f"job {job} {name} → generate_scheduled_snapshots() → "
        "generate_session_wake_snapshot() → INSERT INTO session_wake_snapshots"
    )
    text, err = emitted(report, as_json=False)
    lines = text.splitlines()
    assert lines[0] == (
        f"!!! CONFLICT: a pg_cron job writes snapshots while snapwatch schedules them: {chain}; "
        f"unschedule it with SELECT cron.unschedule({job})"
    )
    assert err == f"snapwatch: warning: {lines[0][4:]}\n"
    assert "\x1b" not in text + err
    _, *evidence = block(lines, str(job)).splitlines()
    assert " ".join(line.strip() for line in evidence) == chain
    assert all(len(line) <= WIDTH for line in lines[1:])

    raw, err = emitted(report, as_json=True)
    doc = json.loads(raw)
    assert doc["pg_cron"]["warning"] == lines[0][4:]
    [listed] = doc["pg_cron"]["jobs"]
    assert listed["writes_snapshots"] is True
    assert listed["snapshot_evidence"] == {
        "outcome": "writes",
        "chain": list(CHAIN),
        "reason": None,
        "text": chain,
    }
    assert doc["other_writers"]["triggers"] == []
    assert err.startswith("snapwatch: warning: CONFLICT")


async def test_status_of_the_report_job_and_a_dynamic_one_gives_no_advice(
    platform_cron: psycopg.AsyncConnection[dict[str, Any]],
) -> None:
    reports = await schedule(
        platform_cron,
        "generate-report-snapshots",
        "*/15 * * * *",
        "SELECT generate_scheduled_report_snapshots()",
    )
    rebuild = await schedule(
        platform_cron, "rebuild-partitions", "0 3 * * *", "SELECT rebuild_snapshot_partitions()"
    )
    report = await real_status(platform_cron)
    assert report.warning is None
    text, err = emitted(report, as_json=False)
    assert err == ""
    assert "CONFLICT" not in text and "unschedule" not in text
    lines = text.splitlines()
    assert block(lines, str(reports)).count("\n") == 0  # nothing to say about the report job
    _, *note = block(lines, str(rebuild)).splitlines()
    assert " ".join(line.strip() for line in note) == (
        f"job {rebuild} 'rebuild-partitions' → rebuild_snapshot_partitions() could not be "
        "followed: dynamic SQL"
    )

    raw, err = emitted(report, as_json=True)
    doc = json.loads(raw)
    assert doc["pg_cron"]["warning"] is None and err == ""
    by_id = {j["jobid"]: j for j in doc["pg_cron"]["jobs"]}
    assert by_id[reports]["writes_snapshots"] is False
    assert by_id[reports]["snapshot_evidence"]["outcome"] == "does_not_write"
    assert by_id[rebuild]["snapshot_evidence"] == {
        "outcome": "unknown",
        "chain": ["rebuild_snapshot_partitions()"],
        "reason": "dynamic SQL",
        "text": f"job {rebuild} 'rebuild-partitions' → rebuild_snapshot_partitions() could "
        "not be followed: dynamic SQL",
    }


def test_tables_fit_the_width_by_cutting_the_flexible_columns() -> None:
    rows = [["a" * 60, "b" * 30, "c" * 40]]
    lines = table(["A", "B", "C"], rows, shrink={2: 10, 0: 20}, width=80)
    assert all(len(line) <= 80 for line in lines)
    assert lines[1].split("  ")[1] == "b" * 30  # not in shrink: kept whole
    assert lines[1].endswith("…")
