"""A backfill as a real process: beside two ticking daemons, killed at random instants,
stopped by SIGINT (design/history.md "resumable and safe to kill")."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from support.daemon import Daemon
from support.overview_rows import Rows

pytestmark = [pytest.mark.slow, pytest.mark.process]

DAYS = 4
SITES = 6


def fleet(dsn: str) -> datetime:
    """Sites at a 1 h cadence with a session per UTC day for the last four days and today,
    two devices each and telemetry every 30 minutes; no snapshots. Returns the first day."""
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    first = today - timedelta(days=DAYS)
    rows = Rows(dsn)
    try:
        program = rows.program(rows.company("Harbour Foods"), "Cold chain")
        for n in range(SITES):
            site = rows.site(program, f"Room {n + 1}", snapshot_cadence_hours=1, timezone="UTC")
            for d in range(DAYS + 1):
                day = first + timedelta(days=d)
                rows.session(
                    site, day, day + timedelta(days=1), "in_progress" if d == DAYS else "locked"
                )
            for _ in range(2):
                rows.device(site)
        rows.conn.execute(
            "INSERT INTO device_wake_payloads (company_id, program_id, site_id, device_id,"
            " captured_at, temperature, humidity, battery_voltage)"
            " SELECT s.company_id, s.program_id, d.site_id, d.device_id, t, 20, 50, 3.7"
            "   FROM devices d JOIN sites s USING (site_id)"
            "  CROSS JOIN generate_series(%s::timestamptz, now(), interval '30 minutes') t",
            (first + timedelta(minutes=7),),
        )
    finally:
        rows.close()
    return first


def backfill(dsn: str, since: datetime, *extra: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SNAPWATCH_")}
    return subprocess.Popen(
        [sys.executable, "-m", "snapwatch", "backfill", "--all", "--since",
         since.date().isoformat(), "--dsn", dsn, "--json", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip


def audit(dsn: str) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SNAPWATCH_")}
    done = subprocess.run(
        [sys.executable, "-m", "snapwatch", "audit", "--all", "--since",
         (datetime.now(UTC) - timedelta(days=DAYS)).date().isoformat(), "--dsn", dsn, "--json"],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode in (0, 1), done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def duplicates(dsn: str) -> list[tuple[Any, ...]]:
    """Windows written twice (by wake number UNIQUE is the backstop; windows are not)."""
    with psycopg.connect(dsn) as conn:
        return conn.execute(
            "SELECT a.snapshot_id, b.snapshot_id FROM session_wake_snapshots a"
            "  JOIN session_wake_snapshots b ON a.site_id = b.site_id"
            "   AND a.snapshot_id < b.snapshot_id"
            "   AND a.wake_round_start < b.wake_round_end AND b.wake_round_start < a.wake_round_end"
        ).fetchall()


def completed_everywhere(result: dict[str, Any]) -> None:
    """Every completed slot holds exactly one valid snapshot, and nothing else is stored."""
    total = result["total"]
    assert total["expected"] > 0
    assert (total["missing"], total["overlapping"], total["off_grid"]) == (0, 0, 0)
    assert total["present"] == total["expected"]


@pytest.fixture
def history(migrated_dsn: str) -> Iterator[tuple[str, datetime]]:
    yield migrated_dsn, fleet(migrated_dsn)


def test_a_backfill_racing_two_daemons_writes_every_slot_once(
    history: tuple[str, datetime], tmp_path: Path
) -> None:
    dsn, first = history
    daemons = [Daemon(dsn, tmp_path / f"d{i}") for i in range(2)]
    try:
        for d in daemons:
            d.wait_event("tick")
        proc = backfill(dsn, first, "--rate", "150")
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        for d in daemons:  # a tick after the backfill
            d.wait_event("tick")
    finally:
        for d in daemons:
            d.stop()
    done = [json.loads(line) for line in out.splitlines() if '"event": "done"' in line]
    assert done and not done[0]["stopped"]
    with psycopg.connect(dsn) as conn:
        started, finished = conn.execute(
            "SELECT started_at, finished_at FROM snapwatch.runs WHERE kind = 'backfill'"
        ).fetchone() or (None, None)
        during = conn.execute(
            "SELECT count(*) FROM snapwatch.runs WHERE kind = 'tick'"
            "   AND started_at BETWEEN %s AND %s",
            (started, finished),
        ).fetchone()
        by: dict[str, int] = dict(
            conn.execute(
                "SELECT site_state #>> '{snapshot_metadata,trigger}', count(*)"
                "  FROM session_wake_snapshots GROUP BY 1"
            ).fetchall()
        )
    # the daemons ticked while the backfill wrote, and both kinds of writer wrote
    assert during is not None and during[0] >= 2
    assert by.get("backfill", 0) > 0 and by.get("schedule", 0) + by.get("catch_up", 0) > 0
    assert duplicates(dsn) == []
    completed_everywhere(audit(dsn))


def test_a_backfill_killed_at_random_instants_then_rerun_writes_every_slot_once(
    history: tuple[str, datetime],
) -> None:
    dsn, first = history
    rng = random.Random(20261207)
    kills = 0
    for _ in range(4):
        proc = backfill(dsn, first, "--rate", "60")
        time.sleep(rng.uniform(0.8, 2.5))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.communicate(timeout=30)
    assert kills >= 3
    with psycopg.connect(dsn) as conn:
        partial = conn.execute("SELECT count(*) FROM session_wake_snapshots").fetchone()
    assert partial is not None and partial[0] > 0
    proc = backfill(dsn, first)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert duplicates(dsn) == []
    completed_everywhere(audit(dsn))


def test_sigint_finishes_the_site_day_in_hand_and_exits_0(
    history: tuple[str, datetime],
) -> None:
    dsn, first = history
    proc = backfill(dsn, first, "--rate", "30")
    time.sleep(2.0)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "finishing the site-day in hand" in err
    [done] = [json.loads(line) for line in out.splitlines() if '"event": "done"' in line]
    assert done["stopped"] is True and done["written"] > 0
    with psycopg.connect(dsn) as conn:
        per_session = conn.execute(
            "SELECT ss.session_id, count(w.*) FROM site_device_sessions ss"
            "  LEFT JOIN session_wake_snapshots w ON w.session_id = ss.session_id"
            " WHERE ss.status = 'locked' GROUP BY 1"
        ).fetchall()
        run = conn.execute(
            "SELECT status, detail->>'written' FROM snapwatch.runs WHERE kind = 'backfill'"
        ).fetchone()
    # every past site-day is whole or untouched
    assert {n for _, n in per_session} <= {0, 24}
    assert run is not None and run[0] == "ok" and int(run[1]) == done["written"]
