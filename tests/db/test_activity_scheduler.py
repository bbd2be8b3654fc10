"""The schedulers' events in the activity trail: a tick that wrote is one entry naming the
instance, an idle tick none; an outage is recorded once the database is back, with how
long it lasted; a tick that raises is recorded once for a run of the same failure."""

from __future__ import annotations

import functools
import getpass
import logging
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import psycopg
import pytest
import support.sites
from psycopg.rows import dict_row
from support.overview_rows import Rows

from snapwatch.infra.clock import FixedClock
from snapwatch.infra.config import Settings
from snapwatch.infra.db import Target, connect
from snapwatch.infra.dbsession import Conn, DbSession
from snapwatch.schedule import activity
from snapwatch.schedule.scheduler import Scheduler
from snapwatch.schedule.tick_events import TickEvents
from snapwatch.service.activity_log import ActivityFollower

DAY = datetime(2026, 6, 10, tzinfo=UTC)
H = timedelta(hours=1)

ME = f"{getpass.getuser()}@{socket.gethostname()}"

make_site = functools.partial(support.sites.make_site, day=DAY, devices=1)


@pytest.fixture
async def db(cfg: Settings, migrated_dsn: str) -> AsyncIterator[DbSession]:
    session = DbSession(Target(dsn=migrated_dsn), cfg)
    yield session
    await session.close()


@pytest.fixture
async def conn(cfg: Settings, migrated_dsn: str) -> AsyncIterator[Conn]:
    c = await connect(Target(dsn=migrated_dsn), cfg)
    yield c
    await c.close()


def trail(dsn: str) -> list[dict[str, Any]]:
    with psycopg.connect(dsn, row_factory=dict_row) as c:
        return c.execute("SELECT * FROM snapwatch.activity ORDER BY at").fetchall()


async def test_a_tick_that_wrote_is_one_entry_of_the_instance_and_an_idle_tick_none(
    db: DbSession, cfg: Settings, rows: Rows, migrated_dsn: str
) -> None:
    make_site(rows, "Pier")
    sched = Scheduler(db, cfg, FixedClock(DAY + 5 * H + timedelta(minutes=3)), mode="daemon")
    try:
        await sched.tick_now()
        await sched.tick_now()  # nothing due: nothing to say
    finally:
        await sched.stop()
    [entry] = trail(migrated_dsn)
    assert entry["kind"] == "tick_wrote" and entry["result"] == "ok"
    assert entry["process"] == f"daemon {sched.instance_id}"
    assert (entry["detail"]["snapshots"], entry["detail"]["sites_written"]) == (5, 1)


async def test_an_outage_is_recorded_when_the_database_is_back_with_its_length(
    conn: Conn, migrated_dsn: str
) -> None:
    events, instance = TickEvents("tui"), uuid4()
    began = datetime(2026, 6, 10, 8, tzinfo=UTC)
    events.unreachable(began, "connection refused")
    events.unreachable(began + timedelta(seconds=30), "connection refused")  # the same outage
    await events.reached(conn, instance, began + timedelta(seconds=95))
    await events.reached(conn, instance, began + timedelta(seconds=200))  # no outage since
    [entry] = trail(migrated_dsn)
    assert (entry["kind"], entry["process"]) == ("outage", f"app {instance}")
    assert entry["result"] == "recovered after 95 s"
    assert entry["detail"] == {
        "since": "2026-06-10T08:00:00+00:00",
        "seconds": 95.0,
        "error": "connection refused",
    }


async def test_a_tick_that_raises_is_recorded_once_for_a_run_of_the_same_failure(
    conn: Conn, migrated_dsn: str
) -> None:
    events, instance = TickEvents("daemon"), uuid4()
    for error in ["schema not ready", "schema not ready", "lock timeout", "lock timeout"]:
        await events.raised(conn, instance, error)
    assert [(e["kind"], e["result"]) for e in trail(migrated_dsn)] == [
        ("tick_failed", "failed: schema not ready"),
        ("tick_failed", "failed: lock timeout"),
    ]


async def test_the_daemon_logs_what_others_record_once_and_not_its_own_nor_older_entries(
    conn: Conn, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="snapwatch.service.activity_log")
    await activity.record(conn, activity.PAUSE, scope="all sites", process="cli pid 1")
    follower = ActivityFollower(lambda: "daemon me")
    await follower.follow(conn)  # where the trail is: older entries are not logged
    await activity.record(
        conn, activity.FORCE, scope="Pier 4", result="refused: no devices", process="cli pid 1"
    )
    await activity.record(conn, activity.TICK_WROTE, scope="all sites", process="daemon me")
    await follower.follow(conn)
    await follower.follow(conn)  # nothing new
    lines = [r for r in caplog.records if getattr(r, "event", None) == "activity"]
    assert [r.getMessage() for r in lines] == [
        f"force Pier 4 by {ME} (cli pid 1): refused: no devices"
    ]
