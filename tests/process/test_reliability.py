"""Exactly once with real processes on the accelerated clock: four daemons racing over 48
simulated hours, a daemon killed with SIGKILL at random instants again and again, and the
database stopped and started again under a running daemon.

Each test prints what it counted (run pytest with ``-s`` to see it)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from pydantic import SecretStr
from support.own_server import OwnServer
from support.reliability_fleet import (
    START,
    build,
    clean_env,
    daemon,
    last_snapshot_mismatches,
    simulated_now,
    stop,
    tally,
    wait_for_simulated,
)

from snapwatch.infra.config import Settings
from snapwatch.infra.db import Target
from snapwatch.infra.migrations import migrate

pytestmark = pytest.mark.slow

H = timedelta(hours=1)


def race_evidence(dsn: str) -> tuple[dict[str, int], int, int]:
    """(snapshots written per instance, pairs of overlapping writing ticks of different
    instances, sites found busy because another process held them)."""
    with psycopg.connect(dsn) as conn:
        per_instance: dict[str, int] = dict(
            conn.execute(
                "SELECT r.instance_id::text, count(*) FROM snapwatch.run_sites rs"
                "  JOIN snapwatch.runs r USING (run_id)"
                " WHERE rs.outcome = 'written' GROUP BY r.instance_id"
            ).fetchall()
        )
        (overlaps,) = conn.execute(
            "SELECT count(*) FROM snapwatch.runs a JOIN snapwatch.runs b"
            "  ON a.instance_id < b.instance_id"
            " AND a.started_at < b.finished_at AND b.started_at < a.finished_at"
            " WHERE a.sites_written > 0 AND b.sites_written > 0"
        ).fetchone() or (0,)
        (busy,) = conn.execute(
            "SELECT count(*) FROM snapwatch.run_sites WHERE reason LIKE 'busy%%'"
        ).fetchone() or (0,)
    return per_instance, int(overlaps), int(busy)


def test_four_daemons_write_every_slot_of_48_hours_exactly_once(
    migrated_dsn: str, tmp_path: Path
) -> None:
    sessions = build(migrated_dsn, sites=104)
    procs = [
        daemon(migrated_dsn, speed=2880, clock="race", tick=0.5, log=tmp_path / f"d{i}.log")
        for i in range(4)
    ]
    try:
        wait_for_simulated(migrated_dsn, "race", START + 49 * H, procs, timeout=300)
    finally:
        codes = stop(procs)
    assert codes == [0, 0, 0, 0], [p.read_text()[-2000:] for p in tmp_path.glob("d*.log")]
    counted = tally(migrated_dsn, sessions, START + 48 * H)
    per_instance, overlaps, busy = race_evidence(migrated_dsn)
    print(
        f"\n4 daemons, 104 sites, 48 simulated hours: {counted.line()}; "
        f"written per daemon {sorted(per_instance.values())}, {overlaps} overlapping "
        f"writing ticks, {busy} sites left to another daemon"
    )
    assert counted.expected > 4000
    assert (counted.duplicates, counted.gaps, counted.wrong_windows) == (0, 0, 0)
    assert last_snapshot_mismatches(migrated_dsn) == []
    # They really raced: several daemons wrote, in ticks that overlapped in time.
    assert len([n for n in per_instance.values() if n > 0]) >= 2
    assert overlaps > 0


def in_write(conn: psycopg.Connection[tuple[object, ...]]) -> bool:
    """A snapwatch backend holds a transaction that has written (an xid is assigned)."""
    row = conn.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'snapwatch'"
        " AND datname = current_database() AND backend_xid IS NOT NULL"
    ).fetchone()
    return bool(row and row[0])


def test_a_daemon_killed_mid_tick_again_and_again_leaves_whole_snapshots_only(
    migrated_dsn: str, tmp_path: Path
) -> None:
    sessions = build(migrated_dsn, sites=60)
    rng = random.Random(20261201)
    proc = daemon(migrated_dsn, speed=1200, clock="kill", tick=0.3, log=tmp_path / "k0.log")
    kills = mid_write = 0
    with psycopg.connect(migrated_dsn, autocommit=True) as watch:
        for n in range(1, 13):
            deadline = time.monotonic() + rng.uniform(0.5, 2.5)
            while time.monotonic() < deadline and not in_write(watch):
                time.sleep(0.002)
            mid_write += in_write(watch)
            proc.kill()
            assert proc.wait(timeout=10) == -9
            kills += 1
            assert last_snapshot_mismatches(migrated_dsn) == []
            assert tally(migrated_dsn, sessions, START).duplicates == 0
            proc = daemon(
                migrated_dsn, speed=1200, clock="kill", tick=0.3, log=tmp_path / f"k{n}.log"
            )
    try:
        wait_for_simulated(migrated_dsn, "kill", START + 25 * H, [proc], timeout=240)
    finally:
        (code,) = stop([proc])
    assert code == 0
    counted = tally(migrated_dsn, sessions, START + 24 * H)
    print(
        f"\n{kills} SIGKILLs ({mid_write} inside a write transaction), then a restarted "
        f"daemon finished: {counted.line()}"
    )
    assert kills >= 10 and mid_write >= kills // 2
    assert (counted.duplicates, counted.gaps, counted.wrong_windows) == (0, 0, 0)
    assert last_snapshot_mismatches(migrated_dsn) == []


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def status_migrate(dsn: str) -> int:
    asyncio.run(migrate(Target(dsn=dsn), Settings.model_construct(dsn=SecretStr(dsn))))
    return 0


def healthz(port: int) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
            return int(response.status), response.read().decode()
    except urllib.error.HTTPError as err:
        return int(err.code), err.read().decode()
    except OSError as err:
        return 0, str(err)


def events(log: Path, name: str) -> list[dict[str, object]]:
    found = []
    for line in log.read_text().splitlines():
        with contextlib.suppress(ValueError):
            entry = json.loads(line)
            if entry.get("event") == name:
                found.append(entry)
    return found


def status(dsn: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "snapwatch", "status", "--dsn", dsn],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=clean_env(),
    )


def until_true(what: str, predicate: Callable[[], object], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_database_outage_under_a_running_daemon_is_survived_shown_and_caught_up(
    own_server: OwnServer, tmp_path: Path
) -> None:
    dsn = own_server.server.uri()
    assert status_migrate(dsn) == 0
    sessions = build(dsn, sites=26)
    port = free_port()
    log = tmp_path / "daemon.log"
    proc = daemon(
        dsn, speed=1200, clock="outage", tick=0.3, log=log, extra=("--metrics-port", str(port))
    )
    try:
        wait_for_simulated(dsn, "outage", START + 3 * H, [proc], timeout=120)
        until_true("healthy", lambda: healthz(port)[0] == 200)
        before = simulated_now(dsn, "outage")
        assert before is not None
        own_server.stop()
        down_at = time.monotonic()
        until_true("503 during the outage", lambda: healthz(port)[0] == 503)
        during = status(dsn)
        assert during.returncode == 3 and "unreachable" in during.stderr, during
        time.sleep(4)  # about 80 simulated minutes pass while the server is down
        assert proc.poll() is None, "the daemon died with its database"
        own_server.start()
        outage = time.monotonic() - down_at
        until_true("db_reachable", lambda: events(log, "db_reachable"), timeout=60)
        recovered = simulated_now(dsn, "outage")
        assert recovered is not None
        wait_for_simulated(dsn, "outage", recovered + 2 * H, [proc], timeout=120)
        until_true("healthy again", lambda: healthz(port)[0] == 200)
        after = status(dsn)
        assert after.returncode == 0, after.stderr
        assert any(line.startswith("ok ") for line in after.stdout.splitlines()), after.stdout
    finally:
        (code,) = stop([proc])
    assert code == 0
    assert len(events(log, "db_unreachable")) == 1 and len(events(log, "db_reachable")) == 1
    counted = tally(dsn, sessions, recovered + 1 * H)
    with psycopg.connect(dsn) as conn:
        (caught_up,) = conn.execute(
            "SELECT count(*) FROM session_wake_snapshots"
            " WHERE site_state->'snapshot_metadata'->>'trigger' = 'catch_up'"
            "   AND wake_round_end > %s",
            (before,),
        ).fetchone() or (0,)
    print(
        f"\noutage of {outage:.1f} s wall under a running daemon: survived, /healthz 503 then "
        f"200, status exit 3 then ok; {caught_up} slots caught up after it; {counted.line()}"
    )
    assert caught_up > 0
    assert (counted.duplicates, counted.gaps, counted.wrong_windows) == (0, 0, 0)
