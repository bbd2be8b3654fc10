"""Locks another process holds: a row (a transaction on a snapshot row) and a whole table
(``LOCK TABLE``, a migration). Every wait ends after ``lock_timeout`` and says so; a
statement timeout says it is one; a stop cancels the wait in hand. Real processes."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
import pytest
from support.app import main_of, make_app, make_settings, wait_for
from support.daemon import Daemon, build_fleet, instance_rows, snapshot_count
from support.live_fleet import eligible_fleet
from support.overview_rows import Rows
from support.pgbouncer_server import through

from snapwatch.infra.config import Settings, load_settings
from snapwatch.infra.db import connect, resolve_target
from snapwatch.infra.errors import (
    EXIT_DB_UNREACHABLE,
    DatabaseUnreachable,
    StatementCancelled,
    from_database,
)
from snapwatch.schedule.tick import run_tick

pytestmark = pytest.mark.slow  # real processes

DAY = datetime(2026, 6, 10, tzinfo=UTC)
H = timedelta(hours=1)
AT = DAY + 3 * H + timedelta(minutes=5)  # wakes 1-3 of every room are due
LOCK_TIMEOUT = 1.0
SLACK = 0.5
"""A run's own duration may exceed its lock waits by this much."""
STARTUP = 5.0
"""A Python process's start and end around that (generous: loaded CI machines)."""
BUSY = "busy (lock wait on session_wake_snapshots)"
WAITING_SQL = """
SELECT count(*) FROM pg_stat_activity
 WHERE datname = current_database() AND application_name = 'snapwatch'
   AND wait_event_type = 'Lock'
"""


def rooms(dsn: str) -> None:
    """Three hourly rooms with a device each and a session from ``DAY`` on."""
    rows = Rows(dsn)
    try:
        program = rows.program(rows.company("Lock Co"), "Locks")
        for n in (1, 2, 3):
            site = rows.site(program, f"Room {n}", snapshot_cadence_hours=1)
            rows.session(site, DAY, DAY + 24 * H, "in_progress")
            rows.device(site)
    finally:
        rows.close()


def force_slot_one(cfg: Settings, site: str) -> UUID:
    """A provisional snapshot of the site's wake 1 (forced half-way through the slot): the
    regular write of wake 1 replaces it, so it must lock that row. The site's id."""
    with psycopg.connect(cfg.dsn_value() or "") as conn:
        found = conn.execute(
            "SELECT s.site_id, min(x.session_start_time) FROM sites s"
            " JOIN site_device_sessions x USING (site_id) WHERE s.name = %s GROUP BY s.site_id",
            (site,),
        ).fetchone()
    assert found is not None
    site_id, start = found

    async def force() -> None:
        conn = await connect(resolve_target(cfg), cfg)
        try:
            report = await run_tick(conn, cfg, start + H / 2, site=site_id, force=True)
        finally:
            await conn.close()
        assert [len(o.written) for o in report.outcomes] == [1]

    asyncio.run(force())
    return UUID(str(site_id))


@contextmanager
def row_locked(dsn: str, site: UUID) -> Iterator[psycopg.Connection[Any]]:
    """Another process holds the site's snapshot rows ``FOR UPDATE`` until the end."""
    with psycopg.connect(dsn) as holder:
        holder.execute(
            "SELECT 1 FROM session_wake_snapshots WHERE site_id = %s FOR UPDATE", (site,)
        )
        yield holder
        holder.rollback()


LOCK_TABLE = {
    "ACCESS EXCLUSIVE": "LOCK TABLE session_wake_snapshots IN ACCESS EXCLUSIVE MODE",  # reads too
    "EXCLUSIVE": "LOCK TABLE session_wake_snapshots IN EXCLUSIVE MODE",  # writes only
}


@contextmanager
def table_locked(dsn: str, mode: str) -> Iterator[psycopg.Connection[Any]]:
    """Another process holds ``LOCK TABLE session_wake_snapshots IN <mode> MODE``."""
    with psycopg.connect(dsn) as holder:
        holder.execute(LOCK_TABLE[mode])
        yield holder
        holder.rollback()


def clean_env(**settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SNAPWATCH_")}
    return env | {f"SNAPWATCH_DATABASE__{k.upper()}": v for k, v in settings.items()}


def run_once(
    dsn: str, *args: str, **settings: str
) -> tuple[subprocess.CompletedProcess[str], float]:
    """``snapwatch run-once --json`` as of ``AT`` (or with ``args``), and its wall time."""
    command = [sys.executable, "-m", "snapwatch", "run-once", "--dsn", dsn, "--at", AT.isoformat()]
    started = time.monotonic()
    done = subprocess.run(
        [*command, *(args or ["--json"])],
        capture_output=True,
        text=True,
        timeout=120,
        env=clean_env(**settings),
        check=False,
    )
    return done, time.monotonic() - started


def sites_of(done: subprocess.CompletedProcess[str]) -> dict[str, dict[str, Any]]:
    return {s["site_name"]: s for s in json.loads(done.stdout)["sites"]}


def counts(dsn: str) -> dict[str, int]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT s.name, count(w.snapshot_id) FILTER (WHERE w.site_state #>"
            " '{snapshot_metadata,provisional}' = 'false'::jsonb)"
            "  FROM sites s LEFT JOIN session_wake_snapshots w USING (site_id) GROUP BY s.name"
        ).fetchall()
    return dict(rows)


# --- run-once: a row, a table, through PgBouncer ----------------------------------------


def test_a_row_lock_leaves_its_site_busy_and_the_others_are_written(
    migrated_dsn: str, cfg: Settings
) -> None:
    rooms(migrated_dsn)
    with row_locked(migrated_dsn, force_slot_one(cfg, "Room 1")):
        done, took = run_once(migrated_dsn, lock_timeout_seconds=str(LOCK_TIMEOUT))
        assert counts(migrated_dsn) == {"Room 1": 0, "Room 2": 3, "Room 3": 3}
    assert done.returncode == EXIT_DB_UNREACHABLE, done.stderr
    sites = sites_of(done)
    assert sites["Room 1"]["outcome"] == "skipped" and sites["Room 1"]["reason"] == BUSY
    assert sites["Room 1"]["lock_wait"] == "lock wait on session_wake_snapshots"
    assert [sites[f"Room {n}"]["outcome"] for n in (2, 3)] == ["written", "written"]
    run = json.loads(done.stdout)
    assert run["summary"]["busy"] == 1
    print(f"\nrun-once under a row lock: {run['duration_seconds']:.2f} s, {took:.2f} s wall")
    assert LOCK_TIMEOUT <= run["duration_seconds"] < LOCK_TIMEOUT + SLACK
    assert took < LOCK_TIMEOUT + STARTUP
    again, _ = run_once(migrated_dsn)  # the lock gone: the next run writes it
    assert again.returncode == 0, again.stderr
    assert counts(migrated_dsn) == {"Room 1": 3, "Room 2": 3, "Room 3": 3}


@pytest.mark.parametrize("mode", ["ACCESS EXCLUSIVE", "EXCLUSIVE"])
def test_a_table_lock_leaves_every_site_busy_after_one_wait(migrated_dsn: str, mode: str) -> None:
    """ACCESS EXCLUSIVE stops the reads (nothing can be judged); EXCLUSIVE lets them
    through and stops the first write: the sites after it do not wait again."""
    rooms(migrated_dsn)
    with table_locked(migrated_dsn, mode):
        done, took = run_once(migrated_dsn, lock_timeout_seconds=str(LOCK_TIMEOUT))
    assert done.returncode == EXIT_DB_UNREACHABLE, done.stderr
    run = json.loads(done.stdout)
    assert [(s["outcome"], s["reason"]) for s in run["sites"]] == [("skipped", BUSY)] * 3
    print(f"\nrun-once under {mode}: {run['duration_seconds']:.2f} s, {took:.2f} s wall")
    assert LOCK_TIMEOUT <= run["duration_seconds"] < LOCK_TIMEOUT + SLACK
    assert took < LOCK_TIMEOUT + STARTUP
    assert snapshot_count(migrated_dsn) == 0


def test_the_text_report_names_the_lock_and_the_exit_code_is_3(migrated_dsn: str) -> None:
    rooms(migrated_dsn)
    with table_locked(migrated_dsn, "EXCLUSIVE"):
        done, _ = run_once(migrated_dsn, "--site", "Room 2", lock_timeout_seconds="0.3")
    assert done.returncode == 3, done.stderr
    lines = done.stdout.splitlines()
    assert lines[1] == f"skipped  Room 2  {BUSY}"
    assert lines[2].startswith("1 sites: 0 written (0 snapshots), 1 skipped (1 busy: lock wait)")


def test_force_under_a_table_lock_says_busy_and_exits_3(migrated_dsn: str) -> None:
    build_fleet(migrated_dsn)  # sessions open now: force has something to write
    with table_locked(migrated_dsn, "EXCLUSIVE"):
        done = subprocess.run(
            [sys.executable, "-m", "snapwatch", "force", "--all", "--dsn", migrated_dsn],
            capture_output=True,
            text=True,
            timeout=60,
            env=clean_env(lock_timeout_seconds="0.3"),
            check=False,
        )
    assert done.returncode == 3, done.stderr
    assert done.stdout.splitlines()[:3] == [f"skipped  Room {n}  {BUSY}" for n in (1, 2, 3)]


@pytest.mark.parametrize("lock", ["row", "table"])
def test_through_a_transaction_pooler_a_lock_wait_ends_the_same_way(
    pgbouncer: int, migrated_dsn: str, cfg: Settings, lock: str
) -> None:
    rooms(migrated_dsn)
    held = (
        row_locked(migrated_dsn, force_slot_one(cfg, "Room 1"))
        if lock == "row"
        else table_locked(migrated_dsn, "ACCESS EXCLUSIVE")
    )
    with held:
        done, took = run_once(
            through(pgbouncer, migrated_dsn), lock_timeout_seconds=str(LOCK_TIMEOUT)
        )
    assert done.returncode == EXIT_DB_UNREACHABLE, done.stderr
    sites = sites_of(done)
    busy = ["Room 1"] if lock == "row" else ["Room 1", "Room 2", "Room 3"]
    assert sorted(n for n, s in sites.items() if s["reason"] == BUSY) == busy
    run = json.loads(done.stdout)
    print(f"\nrun-once through PgBouncer, {lock} lock: {run['duration_seconds']:.2f} s")
    assert LOCK_TIMEOUT <= run["duration_seconds"] < LOCK_TIMEOUT + SLACK
    assert took < LOCK_TIMEOUT + STARTUP


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_ends_a_run_once_waiting_for_a_lock_at_once(
    migrated_dsn: str, signum: int, code: int
) -> None:
    rooms(migrated_dsn)
    with table_locked(migrated_dsn, "ACCESS EXCLUSIVE"):
        command = [sys.executable, "-m", "snapwatch", "run-once", "--dsn", migrated_dsn]
        victim = subprocess.Popen(
            [*command, "--at", AT.isoformat()],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=clean_env(lock_timeout_seconds="300"),
        )
        deadline = time.monotonic() + 30
        while waiting(migrated_dsn) == 0:
            assert victim.poll() is None and time.monotonic() < deadline, victim.communicate()
            time.sleep(0.05)
        started = time.monotonic()
        victim.send_signal(signum)
        _, err = victim.communicate(timeout=30)
        took = time.monotonic() - started
        assert waiting(migrated_dsn) == 0
    print(f"\n{signal.Signals(signum).name} to a waiting run-once: exit in {took:.2f} s")
    assert victim.returncode == code and took < 5
    assert err == ""


# --- statement timeouts ---------------------------------------------------------------------


def test_a_statement_timeout_is_one_line_saying_so_exit_3(migrated_dsn: str) -> None:
    rooms(migrated_dsn)
    with table_locked(migrated_dsn, "ACCESS EXCLUSIVE"):  # the lock wait outlasts the statement
        done, _ = run_once(migrated_dsn, statement_timeout_seconds="0.5", lock_timeout_seconds="30")
    assert done.returncode == 3
    assert done.stderr.splitlines() == [
        "snapwatch: error: statement timed out after 0.5 s (database.statement_timeout_seconds)"
    ]


def test_a_write_past_the_statement_timeout_fails_its_site_as_a_timeout(
    migrated_dsn: str, cfg: Settings
) -> None:
    rooms(migrated_dsn)
    with row_locked(migrated_dsn, force_slot_one(cfg, "Room 1")):
        done, _ = run_once(migrated_dsn, statement_timeout_seconds="0.5", lock_timeout_seconds="30")
    assert done.returncode == 1, done.stderr
    sites = sites_of(done)
    assert sites["Room 1"]["outcome"] == "failed"
    assert sites["Room 1"]["error"] == (
        "write: statement timed out after 0.5 s (database.statement_timeout_seconds)"
    )
    assert [sites[f"Room {n}"]["outcome"] for n in (2, 3)] == ["written", "written"]


def test_a_cancelled_statement_is_never_a_lost_connection() -> None:
    limits = load_settings(overrides={"database": {"statement_timeout_seconds": 2}})[0].database
    timeout = from_database(
        psycopg.errors.QueryCanceled("canceling statement due to statement timeout"),
        limits=limits,
    )
    lock = from_database(
        psycopg.errors.LockNotAvailable("canceling statement due to lock timeout"), limits=limits
    )
    admin = from_database(psycopg.errors.QueryCanceled("canceling statement due to user request"))
    for known in (timeout, lock, admin):
        assert isinstance(known, StatementCancelled) and known.exit_code == EXIT_DB_UNREACHABLE
        assert not isinstance(known, DatabaseUnreachable)
    assert str(timeout) == "statement timed out after 2 s (database.statement_timeout_seconds)"
    assert str(lock).startswith("lock wait timed out after 5 s (database.lock_timeout_seconds)")
    assert (
        str(admin) == "statement cancelled by the server: canceling statement due to user request"
    )


# --- the daemon -----------------------------------------------------------------------------


def config(home: Path, **database: float) -> Path:
    path = home / "snapwatch.toml"
    path.write_text("[database]\n" + "".join(f"{k} = {v}\n" for k, v in database.items()))
    return path


def waiting(dsn: str) -> int:
    with psycopg.connect(dsn, autocommit=True) as conn:
        row = conn.execute(WAITING_SQL).fetchone()
    return int(row[0]) if row else 0


def test_a_daemon_under_a_table_lock_logs_the_busy_sites_each_tick_and_keeps_ticking(
    migrated_dsn: str, tmp_path: Path
) -> None:
    build_fleet(migrated_dsn)
    with table_locked(migrated_dsn, "ACCESS EXCLUSIVE") as holder:
        daemon = Daemon(
            migrated_dsn, tmp_path, "--config", str(config(tmp_path, lock_timeout_seconds=0.3))
        )
        try:
            daemon.wait_for("three busy ticks", lambda: len(daemon.named("sites_busy")) >= 3)
            for event in daemon.named("sites_busy")[:3]:
                assert event["level"] == "warning" and event["count"] == 3
                assert event["lock_wait"] == "lock wait on session_wake_snapshots"
                assert event["sites"] == ["Room 1", "Room 2", "Room 3"]
                assert event["message"].startswith(
                    "3 site(s) busy (lock wait on session_wake_snapshots), left for the next"
                )
            ticks = [e for e in daemon.named("tick") if e["busy"] == 3]
            assert len(ticks) >= 3 and all(t["written"] == 0 for t in ticks)
            assert daemon.named("tick_failed") == [] and daemon.named("db_unreachable") == []
            holder.rollback()  # the migration ends: the next tick writes
            daemon.wait_event("tick", wrote=lambda e: e["snapshots"] > 0)
            code, _ = daemon.stop()
        finally:
            daemon.kill()
    assert code == 0
    assert snapshot_count(migrated_dsn) >= 6


@pytest.mark.parametrize(
    ("signum", "mode"),
    [(signal.SIGTERM, "EXCLUSIVE"), (signal.SIGTERM, "ACCESS EXCLUSIVE"), (signal.SIGINT, "row")],
    ids=["SIGTERM-write-waits", "SIGTERM-read-waits", "SIGINT-row-waits"],
)
def test_a_stop_signal_while_waiting_for_a_lock_exits_0_within_5_s(
    migrated_dsn: str, tmp_path: Path, cfg: Settings, signum: int, mode: str
) -> None:
    build_fleet(migrated_dsn)
    long = config(tmp_path, lock_timeout_seconds=300, statement_timeout_seconds=600)
    held = (
        row_locked(migrated_dsn, force_slot_one(cfg, "Room 1"))
        if mode == "row"
        else table_locked(migrated_dsn, mode)
    )
    with held:
        daemon = Daemon(migrated_dsn, tmp_path, "--config", str(long))
        try:
            daemon.wait_for("a wait for the lock", lambda: waiting(migrated_dsn) > 0)
            time.sleep(0.5)  # well into the wait
            code, took = daemon.stop(signum)
        finally:
            daemon.kill()
        assert waiting(migrated_dsn) == 0
    print(f"\n{signal.Signals(signum).name} while the daemon waited ({mode}): exit in {took:.2f} s")
    assert code == 0 and took < 5, "\n".join(daemon.lines)
    names = [e["event"] for e in daemon.events()]
    assert "tick_interrupted" in names and names[-1] == "stopped"
    assert "tick_cancelled" not in names  # the tick recorded itself
    [(_, stopped_at, _, _)] = instance_rows(migrated_dsn)
    assert stopped_at is not None
    with psycopg.connect(migrated_dsn) as conn:
        runs = conn.execute("SELECT count(*) FROM snapwatch.runs").fetchone()
        reasons = conn.execute("SELECT DISTINCT reason FROM snapwatch.run_sites").fetchall()
    assert runs == (1,)  # the interrupted tick, recorded
    if mode != "ACCESS EXCLUSIVE":  # the reads were done: the sites were known
        assert reasons == [("stopping: left for the next tick",)]
    assert counts(migrated_dsn)["Room 1"] == 0  # rolled back


def test_a_second_signal_while_waiting_exits_at_once(migrated_dsn: str, tmp_path: Path) -> None:
    build_fleet(migrated_dsn)
    long = config(tmp_path, lock_timeout_seconds=300, statement_timeout_seconds=600)
    with table_locked(migrated_dsn, "EXCLUSIVE"):
        daemon = Daemon(migrated_dsn, tmp_path, "--config", str(long))
        try:
            daemon.wait_for("a wait for the lock", lambda: waiting(migrated_dsn) > 0)
            daemon.proc.send_signal(signal.SIGTERM)
            daemon.wait_event("stopping")
            code, took = daemon.stop(signal.SIGTERM)
        finally:
            daemon.kill()
    assert code == 128 + signal.SIGTERM and took < 1, "\n".join(daemon.lines)
    assert daemon.named("exiting_now")
    assert snapshot_count(migrated_dsn) == 0  # whatever was being written rolled back


def test_a_statement_timeout_fails_the_daemons_tick_with_that_reason(
    migrated_dsn: str, tmp_path: Path
) -> None:
    build_fleet(migrated_dsn)
    short = config(tmp_path, statement_timeout_seconds=0.5, lock_timeout_seconds=30)
    with table_locked(migrated_dsn, "ACCESS EXCLUSIVE"):
        daemon = Daemon(migrated_dsn, tmp_path, "--config", str(short))
        try:
            failed = daemon.wait_event("tick_failed")
            time.sleep(1.5)  # more ticks, the same reason: logged once
            assert daemon.proc.poll() is None
            status, body = daemon.get("/healthz")
            code, _ = daemon.stop()
        finally:
            daemon.kill()
    reason = "statement timed out after 0.5 s (database.statement_timeout_seconds)"
    assert failed["error"] == reason and failed["message"] == f"tick failed: {reason}"
    assert len(daemon.named("tick_failed")) == 1
    assert not any("connection lost" in line for line in daemon.lines)
    assert daemon.named("db_unreachable") == []
    assert status == 503 and "statement timed out" in body
    assert code == 0


# --- the app --------------------------------------------------------------------------------


async def test_quitting_the_app_while_its_scheduler_waits_for_a_lock_takes_seconds(
    migrated_dsn: str, isolated_env: Path
) -> None:
    rows = Rows(migrated_dsn)
    eligible_fleet(rows)
    rows.close()
    settings = make_settings(migrated_dsn, database={"lock_timeout_seconds": 300})
    app = make_app(migrated_dsn, settings=settings, scheduler=True, tick_seconds=3600)
    with table_locked(migrated_dsn, "EXCLUSIVE"):
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: main_of(pilot).sites_pane.table.row_count == 3)
            deadline = time.monotonic() + 15
            while await asyncio.to_thread(waiting, migrated_dsn) == 0:
                assert time.monotonic() < deadline, "the scheduler never waited"
                await pilot.pause(0.1)
            started = time.monotonic()
            await pilot.press("q")
            await wait_for(pilot, lambda: not app.is_running, timeout=10)
            took = time.monotonic() - started
    print(f"\nquitting the app while its scheduler waited for a lock: {took:.2f} s")
    assert app.return_code == 0 and took < 5
    assert instance_rows(migrated_dsn)[0][1] is not None  # marked stopped


async def test_the_app_says_how_many_sites_a_lock_left_busy(
    migrated_dsn: str, isolated_env: Path
) -> None:
    rows = Rows(migrated_dsn)
    eligible_fleet(rows)  # two rooms owe snapshots, one has no open session
    rows.close()
    settings = make_settings(migrated_dsn, database={"lock_timeout_seconds": 0.3})
    app = make_app(migrated_dsn, settings=settings, scheduler=True, tick_seconds=3600)
    with table_locked(migrated_dsn, "EXCLUSIVE"):
        async with app.run_test(size=(120, 40)) as pilot:
            status = main_of(pilot).status
            await wait_for(pilot, lambda: "last tick" in status.text)
            assert "last tick: 0 written, 2 busy (lock wait)" in status.text
            await pilot.press("q")
            await pilot.pause()
    assert app.return_code == 0
