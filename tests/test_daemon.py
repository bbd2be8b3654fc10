"""`snapwatch --daemon` as a real process: JSON log lines, snapshots written, /metrics and
/healthz, SIGTERM and SIGINT, and a database outage it survives."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from overview_rows import Rows
from own_server import OwnServer
from pydantic import SecretStr

from snapwatch.infra.clock import SystemClock
from snapwatch.infra.config import Settings
from snapwatch.infra.db import Target
from snapwatch.infra.migrations import migrate

pytestmark = pytest.mark.slow  # real processes

H = timedelta(hours=1)
METRIC_NAMES = (
    "snapwatch_last_successful_tick_timestamp_seconds",
    "snapwatch_tick_duration_seconds_bucket",
    "snapwatch_snapshots_written_total",
    "snapwatch_sites",
    "snapwatch_site_failures_total",
    "snapwatch_instance_up",
    "snapwatch_database_up",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def build_fleet(dsn: str, sites: int = 3) -> None:
    """Sites with hourly cadence and a session that opened three hours ago."""
    now = SystemClock().now()
    start = now.replace(minute=0, second=0, microsecond=0) - 3 * H
    rows = Rows(dsn)
    try:
        company = rows.company("Harbour Foods")
        program = rows.program(company, "Cold chain")
        for n in range(sites):
            site = rows.site(program, f"Room {n + 1}", snapshot_cadence_hours=1)
            rows.session(site, start, start + 24 * H, "in_progress")
            rows.device(site)
    finally:
        rows.close()


class Daemon:
    """A real ``python -m snapwatch --daemon`` process and the JSON lines it logs."""

    def __init__(self, dsn: str, home: Path, *extra: str) -> None:
        self.port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("SNAPWATCH_")}
        env |= {"XDG_CONFIG_HOME": str(home / "config"), "XDG_DATA_HOME": str(home / "data")}
        command = [
            sys.executable, "-m", "snapwatch", "--daemon", "--dsn", dsn,
            "--tick-seconds", "0.5", "--log-format", "json",
            "--metrics-port", str(self.port), *extra,
        ]  # fmt: skip
        self.proc = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line.rstrip("\n"))

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in list(self.lines)]

    def named(self, event: str) -> list[dict[str, Any]]:
        return [e for e in self.events() if e["event"] == event]

    def wait_for(self, what: str, predicate: Callable[[], Any], timeout: float = 15) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = predicate()
            if got:
                return got
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"no {what} (exit {self.proc.poll()}):\n" + "\n".join(self.lines))

    def wait_event(self, event: str, **where: Any) -> dict[str, Any]:
        def found() -> dict[str, Any] | None:
            hits = [e for e in self.named(event) if all(w(e) for w in where.values())]
            return hits[-1] if hits else None

        return dict(self.wait_for(f"{event} event", found))

    def get(self, path: str) -> tuple[int, str]:
        url = f"http://127.0.0.1:{self.port}{path}"
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return int(response.status), response.read().decode()
        except urllib.error.HTTPError as err:
            return int(err.code), err.read().decode()
        except OSError:
            return 0, ""

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 5) -> tuple[int, float]:
        started = time.monotonic()
        self.proc.send_signal(signum)
        code = self.proc.wait(timeout=timeout)
        self._reader.join(timeout=2)
        return code, time.monotonic() - started

    def wait_exit(self, timeout: float = 20) -> int:
        code = self.proc.wait(timeout=timeout)
        self._reader.join(timeout=2)
        return code

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def daemon_home(tmp_path: Path) -> Path:
    return tmp_path


def instance_rows(dsn: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(
            "SELECT mode, stopped_at, last_success_at, clock FROM snapwatch.scheduler_instances"
        ).fetchall()


def snapshot_count(dsn: str) -> int:
    with psycopg.connect(dsn) as conn:
        row = conn.execute("SELECT count(*) FROM session_wake_snapshots").fetchone()
    assert row is not None
    return int(row[0])


@pytest.mark.parametrize(
    ("signum", "clock_args", "clock"),
    [
        (signal.SIGTERM, [], "database"),
        (signal.SIGINT, ["--speed", "2", "--clock-name", "ops"], "accelerated 'ops' x2"),
    ],
    ids=["SIGTERM-database-clock", "SIGINT-shared-clock"],
)
def test_the_daemon_ticks_logs_json_serves_metrics_and_stops_on_a_signal(
    migrated_dsn: str, daemon_home: Path, signum: int, clock_args: list[str], clock: str
) -> None:
    build_fleet(migrated_dsn)
    daemon = Daemon(migrated_dsn, daemon_home, *clock_args)
    try:
        tick = daemon.wait_event("tick", wrote=lambda e: e["snapshots"] > 0)
        assert tick["written"] == 3 and tick["failed"] == 0 and tick["level"] == "info"
        assert datetime.fromisoformat(tick["as_of"]).tzinfo is not None
        assert tick["next_tick"] and tick["duration_seconds"] >= 0
        assert snapshot_count(migrated_dsn) >= 6  # 3 sites, catch-up of 2-3 slots each
        daemon.wait_event("tick", quiet=lambda e: e["snapshots"] == 0)  # nothing due again
        status, body = daemon.get("/metrics")
        assert status == 200
        for name in METRIC_NAMES:
            assert name in body, name
        assert 'snapwatch_sites{state="on_time"} 3.0' in body
        assert "snapwatch_instance_up 1.0" in body and "snapwatch_database_up 1.0" in body
        assert daemon.get("/healthz")[0] == 200
        code, took = daemon.stop(signum)
    finally:
        daemon.kill()
    assert code == 0 and took < 5
    events = daemon.events()  # every line is one JSON object
    assert all({"time", "level", "event"} <= e.keys() for e in events)
    assert all(datetime.fromisoformat(e["time"]).utcoffset() == timedelta(0) for e in events)
    names = [e["event"] for e in events]
    for name in ("starting", "metrics_listening", "started", "stopping", "stopped"):
        assert name in names, name
    assert names[-1] == "stopped"
    [(mode, stopped_at, last_success, described)] = instance_rows(migrated_dsn)
    assert mode == "daemon" and stopped_at is not None and last_success is not None
    assert described == clock
    with psycopg.connect(migrated_dsn) as conn:
        clocks = conn.execute("SELECT name, speed FROM snapwatch.clocks").fetchall()
    assert clocks == ([("ops", 2.0)] if clock_args else [])


def test_an_unreachable_database_at_start_is_waited_for_and_logged_once(
    daemon_home: Path,
) -> None:
    daemon = Daemon("postgresql://snapwatch:hunter22@127.0.0.1:1/nowhere", daemon_home)
    try:
        daemon.wait_event("db_unreachable")
        time.sleep(2)  # several backoff attempts later: still one line, still running
        assert daemon.proc.poll() is None
        assert len(daemon.named("db_unreachable")) == 1
        status, body = daemon.get("/healthz")
        assert status == 503 and "unreachable" in body
        code, took = daemon.stop()
    finally:
        daemon.kill()
    assert code == 0 and took < 5
    assert not any("hunter22" in line for line in daemon.lines)


def test_the_daemon_refuses_read_only_and_bad_configuration_at_once(
    daemon_home: Path,
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SNAPWATCH_")}
    env |= {"XDG_CONFIG_HOME": str(daemon_home / "config")}
    cases = {
        "read-only": ["--dsn", "postgresql://u:pw1234@127.0.0.1:1/x", "--read-only"],
        "dsn syntax": ["--dsn", "host=x dbname"],
        "option": ["--dsn", "postgresql://u@127.0.0.1:1/x", "--no-such-option"],
    }
    for name, args in cases.items():
        result = subprocess.run(
            [sys.executable, "-m", "snapwatch", "--daemon", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=20,
            check=False,
        )
        assert result.returncode == 2, name
        assert "pw1234" not in result.stderr
        assert result.stderr.strip().splitlines()[-1].startswith("snapwatch: error: "), name


def test_the_daemon_refuses_a_schema_that_needs_migrate(fresh_dsn: str, daemon_home: Path) -> None:
    daemon = Daemon(fresh_dsn, daemon_home)
    try:
        code = daemon.wait_exit()
    finally:
        daemon.kill()
    assert code == 2
    assert daemon.lines[-1] == (
        "snapwatch: error: database schema is not up to date: run `snapwatch migrate`"
    )


# -- a database outage: a server of its own, stopped and started again --------------------


def test_the_daemon_survives_a_database_outage(own_server: OwnServer, daemon_home: Path) -> None:
    dsn = own_server.server.uri()
    asyncio.run(migrate(Target(dsn=dsn), Settings.model_construct(dsn=SecretStr(dsn))))
    build_fleet(dsn, sites=2)
    daemon = Daemon(dsn, daemon_home)
    try:
        daemon.wait_event("tick", wrote=lambda e: e["snapshots"] > 0)
        daemon.wait_for("healthy", lambda: daemon.get("/healthz")[0] == 200)

        own_server.stop()
        daemon.wait_event("db_unreachable")
        body = daemon.wait_for("503", lambda: (r := daemon.get("/healthz"))[0] == 503 and r[1])
        assert "unreachable" in body
        assert "snapwatch_database_up 0.0" in daemon.get("/metrics")[1]
        time.sleep(2.5)  # five ticks while the server is down
        assert daemon.proc.poll() is None
        ticks_before = len(daemon.named("tick"))

        own_server.start()
        daemon.wait_event("db_reachable")
        daemon.wait_for("a tick after the outage", lambda: len(daemon.named("tick")) > ticks_before)
        daemon.wait_for("healthy again", lambda: daemon.get("/healthz")[0] == 200)
        assert len(daemon.named("db_unreachable")) == 1
        assert len(daemon.named("db_reachable")) == 1
        assert daemon.named("db_reachable")[0]["down_seconds"] > 0
        code, _ = daemon.stop()
    finally:
        daemon.kill()
    assert code == 0
    [(_, stopped_at, _, _)] = instance_rows(dsn)
    assert stopped_at is not None
