"""A fleet for the reliability tests, and the checks every one of them ends with.

Sites of every cadence from 0.25 h to 24 h, in time zones on both sides of UTC, two of them
changing to summer time inside the window (Europe moves its clocks on 2026-03-29), each with
one session per site-local day. The expected slots are written out independently of
snapwatch's own slot arithmetic: start + k·c, the last one clamped to the session end.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import psycopg

START = datetime(2026, 3, 28, 0, 0, tzinfo=UTC)  # simulated time the daemons start at
CADENCES = (0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 12.0, 24.0)
ZONES = (
    "Europe/Berlin",  # spring forward on 2026-03-29: a 23-hour session
    "Europe/London",  # the same night, one hour earlier in UTC
    "America/New_York",  # west of UTC
    "Asia/Kolkata",  # +05:30
    "UTC",
)
SETTLE = timedelta(seconds=120)


@dataclass(frozen=True)
class Session:
    session_id: UUID
    site_id: UUID
    start: datetime
    end: datetime
    cadence: float


def build(dsn: str, sites: int, days: int = 3) -> list[Session]:
    """``sites`` sites, one device each, one session per local day from the day holding
    START; returns the sessions."""
    sessions: list[Session] = []
    with psycopg.connect(dsn, autocommit=True) as conn:
        (company,) = conn.execute(
            "INSERT INTO companies (name) VALUES ('Reliability Co') RETURNING company_id"
        ).fetchone() or (None,)
        (program,) = conn.execute(
            "INSERT INTO pilot_programs (company_id, name, start_date, end_date, status)"
            " VALUES (%s, 'Reliability', '2026-01-01', '2026-12-31', 'active')"
            " RETURNING program_id",
            (company,),
        ).fetchone() or (None,)
        for n in range(sites):
            cadence = CADENCES[n % len(CADENCES)]
            zone = ZONES[(n // len(CADENCES)) % len(ZONES)]
            (site,) = conn.execute(
                "INSERT INTO sites (program_id, company_id, name, timezone,"
                " snapshot_cadence_hours) VALUES (%s, %s, %s, %s, %s) RETURNING site_id",
                (program, company, f"R{n:03d} {zone} {cadence}h", zone, cadence),
            ).fetchone() or (None,)
            (device,) = conn.execute(
                "INSERT INTO devices (device_mac, device_code, site_id, program_id, company_id,"
                " x_position, y_position) VALUES (%s, %s, %s, %s, %s, 1, 1) RETURNING device_id",
                (f"mac-r-{n}", f"R-{n:03d}", site, program, company),
            ).fetchone() or (None,)
            conn.execute(
                "INSERT INTO device_wake_payloads (company_id, program_id, site_id, device_id,"
                " captured_at, temperature, humidity) VALUES (%s, %s, %s, %s, %s, 68, 55)",
                (company, program, site, device, START - timedelta(hours=1)),
            )
            tz = ZoneInfo(zone)
            first: date = START.astimezone(tz).date()
            for d in range(days):
                day = first + timedelta(days=d)
                start = datetime.combine(day, dtime(0), tzinfo=tz).astimezone(UTC)
                end = datetime.combine(day + timedelta(days=1), dtime(0), tzinfo=tz).astimezone(UTC)
                (session,) = conn.execute(
                    "INSERT INTO site_device_sessions (company_id, program_id, site_id,"
                    " session_date, session_start_time, session_end_time, expected_wake_count,"
                    " status) VALUES (%s, %s, %s, %s, %s, %s, 24, 'in_progress')"
                    " RETURNING session_id",
                    (company, program, site, day, start, end),
                ).fetchone() or (None,)
                sessions.append(Session(session, site, start, end, cadence))
    return sessions


def grid(session: Session) -> list[tuple[datetime, datetime]]:
    step = timedelta(hours=session.cadence)
    out, k = [], 1
    while session.start + (k - 1) * step < session.end:
        out.append((session.start + (k - 1) * step, min(session.start + k * step, session.end)))
        k += 1
    return out


@dataclass
class Tally:
    snapshots: int = 0
    expected: int = 0
    duplicates: int = 0
    gaps: int = 0
    wrong_windows: int = 0

    def line(self) -> str:
        return (
            f"{self.snapshots} snapshots, {self.expected} completed slots expected, "
            f"{self.duplicates} duplicates, {self.gaps} gaps, {self.wrong_windows} wrong windows"
        )


def tally(dsn: str, sessions: list[Session], until: datetime) -> Tally:
    """Every slot that was due by ``until`` has exactly one snapshot with its window; no
    session has a snapshot that is not one of its slots, twice, or out of order."""
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT session_id, wake_number, wake_round_start, wake_round_end"
            "  FROM session_wake_snapshots"
        ).fetchall()
    by_session: dict[UUID, list[tuple[int, datetime, datetime]]] = {}
    for session_id, wake, start, end in rows:
        by_session.setdefault(session_id, []).append((wake, start, end))
    result = Tally(snapshots=len(rows))
    for s in sessions:
        written = sorted(by_session.get(s.session_id, []), key=lambda r: r[1])
        windows = Counter((start, end) for _, start, end in written)
        result.duplicates += sum(n - 1 for n in windows.values())
        slots = grid(s)
        due = [w for w in slots if w[1] + SETTLE <= until]
        result.expected += len(due)
        result.gaps += sum(1 for w in due if w not in windows)
        result.wrong_windows += sum(1 for w in windows if w not in slots)
        wakes = [wake for wake, _, _ in written]
        if wakes != sorted(set(wakes)):
            result.duplicates += 1
    return result


def last_snapshot_mismatches(dsn: str) -> list[tuple[Any, ...]]:
    """Sites whose ``last_snapshot_at`` is not the write time of their newest snapshot
    (both are set in the one transaction that writes a site)."""
    with psycopg.connect(dsn) as conn:
        return conn.execute(
            "SELECT s.name, s.last_snapshot_at, max(w.created_at)"
            "  FROM sites s LEFT JOIN session_wake_snapshots w USING (site_id)"
            " GROUP BY s.site_id, s.name, s.last_snapshot_at"
            " HAVING s.last_snapshot_at IS DISTINCT FROM max(w.created_at)"
        ).fetchall()


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SNAPWATCH_")}
    env["SNAPWATCH_SCHEDULER__JITTER_SECONDS"] = "0.1"
    return env


def daemon(
    dsn: str, *, speed: float, clock: str, tick: float, log: Path, extra: tuple[str, ...] = ()
) -> subprocess.Popen[bytes]:
    """A real ``snapwatch --daemon`` on the shared accelerated clock ``clock``."""
    args = [
        sys.executable,
        "-m",
        "snapwatch",
        "--daemon",
        "--dsn",
        dsn,
        "--tick-seconds",
        str(tick),
        "--speed",
        str(speed),
        "--clock-name",
        clock,
        "--clock-start",
        START.isoformat(),
        "--log-format",
        "json",
        *extra,
    ]
    with log.open("ab") as out:
        return subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=clean_env())


def simulated_now(dsn: str, clock: str) -> datetime | None:
    with psycopg.connect(dsn) as conn:
        row = conn.execute(
            "SELECT reached_sim FROM snapwatch.clocks WHERE name = %s", (clock,)
        ).fetchone()
    return None if row is None else row[0]


def wait_for_simulated(
    dsn: str, clock: str, until: datetime, procs: list[subprocess.Popen[bytes]], timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for p in procs:
            assert p.poll() is None, f"a daemon exited with {p.returncode}"
        now = simulated_now(dsn, clock)
        if now is not None and now >= until:
            return
        time.sleep(0.2)
    raise AssertionError(f"simulated time did not reach {until} (at {simulated_now(dsn, clock)})")


def stop(procs: list[subprocess.Popen[bytes]], timeout: float = 5.0) -> list[int]:
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    return [p.wait(timeout=timeout) for p in procs]
