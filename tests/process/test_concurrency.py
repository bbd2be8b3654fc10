"""Exactly once with real processes: two schedulers racing on one database, and a
process killed mid-tick leaving every site either whole or untouched."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from support.overview_rows import Rows

pytestmark = pytest.mark.slow

DAY = datetime(2026, 6, 10, tzinfo=UTC)
H = timedelta(hours=1)
SITES = 30
AT = DAY + 20 * H + timedelta(minutes=5)  # 20 slots completed; wake 1 already written
EXPECTED_PER_SITE = 20


def build_fleet(dsn: str) -> None:
    rows = Rows(dsn)
    program = rows.program(rows.company("Race Co"), "Race")
    for n in range(SITES):
        site = rows.site(program, f"Site {n:02d}", snapshot_cadence_hours=1)
        rows.session(site, DAY, DAY + 24 * H, "in_progress")
        for _ in range(3):
            device = rows.device(site)
            rows.payload(device, DAY + timedelta(minutes=10), temperature=70.0, humidity=60.0)
            rows.image(device, DAY + timedelta(minutes=10), 0.1)
    rows.close()
    # Wake 1 of every site, written by one tick first: the race is over the catch-up.
    assert run_once(dsn, DAY + H + timedelta(minutes=5)).wait(timeout=120) == 0


def run_once(dsn: str, at: datetime) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SNAPWATCH_")}
    return subprocess.Popen(
        [sys.executable, "-m", "snapwatch", "run-once", "--dsn", dsn, "--at", at.isoformat()],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def snapshot_counts(dsn: str) -> dict[str, int]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT s.name, count(w.snapshot_id) FROM sites s"
            " LEFT JOIN session_wake_snapshots w USING (site_id) GROUP BY s.name"
        ).fetchall()
    return dict(rows)


def waiting_on_a_lock(conn: psycopg.Connection[tuple[int]]) -> int:
    row = conn.execute(
        "SELECT count(*)::int FROM pg_stat_activity WHERE application_name = 'snapwatch'"
        " AND datname = current_database() AND wait_event_type = 'Lock'"
    ).fetchone()
    return row[0] if row is not None else 0


def test_two_processes_write_every_slot_exactly_once(migrated_dsn: str) -> None:
    build_fleet(migrated_dsn)
    # A barrier: the sites table is locked until both processes are waiting for it, so
    # they are released together and their ticks overlap (not one after the other).
    with psycopg.connect(migrated_dsn) as gate:
        gate.execute("LOCK TABLE sites IN ACCESS EXCLUSIVE MODE")
        first, second = run_once(migrated_dsn, AT), run_once(migrated_dsn, AT)
        with psycopg.connect(migrated_dsn, autocommit=True) as watch:
            deadline = time.monotonic() + 120
            while waiting_on_a_lock(watch) < 2:
                assert first.poll() is None and second.poll() is None, "a process ended early"
                assert time.monotonic() < deadline, "the processes never both waited"
                time.sleep(0.01)
        gate.commit()  # both go at once
    out = [p.communicate(timeout=180) for p in (first, second)]
    assert first.returncode == 0 and second.returncode == 0, out
    counts = snapshot_counts(migrated_dsn)
    assert counts == {f"Site {n:02d}": EXPECTED_PER_SITE for n in range(SITES)}
    written = sum(int(o.split(" written (")[1].split(" ")[0]) for o, _ in out)
    assert written == SITES * (EXPECTED_PER_SITE - 1)  # each snapshot claimed by one process
    with psycopg.connect(migrated_dsn) as conn:
        wakes = conn.execute(
            "SELECT count(*), count(DISTINCT (session_id, wake_number)) FROM session_wake_snapshots"
        ).fetchone()
    assert wakes is not None and wakes[0] == wakes[1]


def test_a_killed_process_leaves_each_site_whole_or_untouched(migrated_dsn: str) -> None:
    build_fleet(migrated_dsn)
    victim = run_once(migrated_dsn, AT)
    with psycopg.connect(migrated_dsn, autocommit=True) as watch:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # kill once the first site has committed
            row = watch.execute("SELECT count(*) FROM session_wake_snapshots").fetchone()
            if row is not None and row[0] > SITES:
                break
            time.sleep(0.01)
    victim.send_signal(signal.SIGKILL)
    assert victim.wait(timeout=30) == -signal.SIGKILL  # killed while still running
    with psycopg.connect(migrated_dsn) as conn:
        per_site = conn.execute(
            "SELECT s.name, s.last_snapshot_at, count(w.snapshot_id) FROM sites s"
            " JOIN session_wake_snapshots w USING (site_id) GROUP BY s.name, s.last_snapshot_at"
        ).fetchall()
    for name, last, count in per_site:
        # all of the site's catch-up in one transaction: either every slot or none
        assert count in (1, EXPECTED_PER_SITE), (name, count)
        assert (last == AT) == (count == EXPECTED_PER_SITE), (name, last, count)
    finisher = run_once(migrated_dsn, AT)
    assert finisher.wait(timeout=180) == 0
    assert set(snapshot_counts(migrated_dsn).values()) == {EXPECTED_PER_SITE}


def test_connection_killed_mid_run_is_exit_3_in_one_line(migrated_dsn: str) -> None:
    build_fleet(migrated_dsn)
    victim = run_once(migrated_dsn, AT)
    with psycopg.connect(migrated_dsn, autocommit=True) as admin:
        deadline = time.monotonic() + 60
        while victim.poll() is None and time.monotonic() < deadline:
            row = admin.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE application_name = 'snapwatch' AND datname = current_database()"
            ).fetchone()
            if row is not None and row[0] > 0:
                break
            time.sleep(0.005)
    _, err = victim.communicate(timeout=60)
    assert victim.returncode == 3, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "database connection lost" in lines[0], err
