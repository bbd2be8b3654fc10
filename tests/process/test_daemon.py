"""`snapwatch --daemon` as a real process: JSON log lines, snapshots written, /metrics,
/livez, /readyz and /healthz, SIGTERM and SIGINT, and a database outage it survives."""

from __future__ import annotations

import asyncio
import os
import platform
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from pydantic import SecretStr
from support.daemon import Daemon, build_fleet, instance_rows, snapshot_count
from support.own_server import OwnServer
from support.pgcron_server import PgCronServer
from support.platform_writers import DROP, FUNCTIONS

from snapwatch import __version__
from snapwatch.infra.config import Settings
from snapwatch.infra.db import Target
from snapwatch.infra.migrations import migrate

pytestmark = pytest.mark.slow  # real processes

METRIC_NAMES = (
    "snapwatch_last_successful_tick_timestamp_seconds",
    "snapwatch_tick_duration_seconds_bucket",
    "snapwatch_snapshots_written_total",
    "snapwatch_sites",
    "snapwatch_site_failures_total",
    "snapwatch_instance_up",
    "snapwatch_database_up",
    "snapwatch_clock_offset_seconds",
    "snapwatch_pg_cron_conflicts 0.0",
)


@pytest.fixture
def daemon_home(tmp_path: Path) -> Path:
    return tmp_path


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
        [build] = [x for x in body.splitlines() if x.startswith("snapwatch_build_info{")]
        assert f'python="{platform.python_version()}"' in build and build.endswith("} 1.0")
        assert f'version="{__version__}"' in build and build.count("=") == 2
        assert daemon.get("/healthz")[0] == 200
        assert daemon.get("/readyz") == daemon.get("/healthz")
        assert daemon.get("/livez")[0] == 200
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
        body = daemon.wait_for("503", lambda: (r := daemon.get("/readyz"))[0] == 503 and r[1])
        assert "unreachable" in body or "connection lost" in body
        assert "snapwatch_database_up 0.0" in daemon.get("/metrics")[1]
        for _ in range(6):  # three seconds, six ticks while the server is down: alive, not ready
            status, line = daemon.get("/livez")
            assert status == 200 and line.startswith("ok: event loop alive"), line
            assert daemon.get("/readyz")[0] == 503 and daemon.get("/healthz")[0] == 503
            time.sleep(0.5)
        assert daemon.proc.poll() is None
        ticks_before = len(daemon.named("tick"))

        own_server.start()
        daemon.wait_event("db_reachable")
        daemon.wait_for("a tick after the outage", lambda: len(daemon.named("tick")) > ticks_before)
        daemon.wait_for("ready again", lambda: daemon.get("/readyz")[0] == 200)
        assert daemon.get("/healthz")[0] == 200 and daemon.get("/livez")[0] == 200
        assert len(daemon.named("db_unreachable")) == 1
        assert len(daemon.named("db_reachable")) == 1
        assert daemon.named("db_reachable")[0]["down_seconds"] > 0
        code, _ = daemon.stop()
    finally:
        daemon.kill()
    assert code == 0
    [(_, stopped_at, _, _)] = instance_rows(dsn)
    assert stopped_at is not None


# -- a pg_cron job writing snapshots beside the daemon ------------------------------------


def test_a_pg_cron_job_writing_snapshots_beside_the_daemon_is_counted_in_its_metrics(
    pgcron_server: PgCronServer, daemon_home: Path
) -> None:
    dsn = pgcron_server.dsn()
    asyncio.run(migrate(Target(dsn=dsn), Settings.model_construct(dsn=SecretStr(dsn))))
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(FUNCTIONS)
        conn.execute(
            "SELECT cron.schedule('generate-site-snapshots', '0 * * * *',"
            " 'SELECT generate_scheduled_snapshots()')"
        )
        daemon = Daemon(dsn, daemon_home)
        try:
            daemon.wait_for(
                "one conflicting job counted",
                lambda: "snapwatch_pg_cron_conflicts 1.0" in daemon.get("/metrics")[1],
            )
            # A conflict is an alert, not unreadiness: ready while it is counted (waited for:
            # on a loaded machine a tick can be late and the answer 503 for a moment).
            daemon.wait_for(
                "ready while the conflict is counted",
                lambda: (
                    daemon.get("/readyz")[0] == 200
                    and "snapwatch_pg_cron_conflicts 1.0" in daemon.get("/metrics")[1]
                ),
            )
            code, _ = daemon.stop()
        finally:
            daemon.kill()
            conn.execute("SELECT cron.unschedule(jobid) FROM cron.job")
            conn.execute("DELETE FROM snapwatch.scheduler_instances")
            conn.execute("DELETE FROM snapwatch.activity")  # the conflict it recorded
            conn.execute(DROP)
    assert code == 0
