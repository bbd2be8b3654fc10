"""LISTEN/NOTIFY: snapshots written by another process reach the listener at once; a lost
connection is re-established; a transaction-mode pooler is detected and reported."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from uuid import UUID

import psycopg
from support.overview_rows import Rows
from support.pgbouncer_server import through

from snapwatch.infra.clock import SystemClock
from snapwatch.infra.config import Settings
from snapwatch.infra.db import Target
from snapwatch.infra.notify import NOTIFY_CHANNEL, ListenState, SnapshotListener


@dataclass
class Heard:
    snapshots: list[dict[str, Any]] = field(default_factory=list)
    states: list[ListenState] = field(default_factory=list)

    async def until(self, what: Callable[[], bool], seconds: float = 10.0) -> None:
        deadline = time.monotonic() + seconds
        while not what():
            if time.monotonic() > deadline:
                raise AssertionError(f"not within {seconds} s: {self}")
            await asyncio.sleep(0.02)

    def mode(self) -> str | None:
        return self.states[-1].mode if self.states else None


@asynccontextmanager
async def listening(dsn: str, cfg: Settings) -> AsyncIterator[tuple[Heard, asyncio.Task[None]]]:
    heard = Heard()
    listener = SnapshotListener(Target(dsn=dsn), cfg, heard.snapshots.append, heard.states.append)
    stop = asyncio.Event()
    task = asyncio.create_task(listener.run(stop))
    try:
        yield heard, task
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=5)


def due_site(dsn: str) -> UUID:
    """A site whose first hourly slot of today is due now."""
    rows = Rows(dsn)
    try:
        now = SystemClock().now()
        program = rows.program(rows.company("Listen Co"), "Listen")
        site = rows.site(program, "Listened", snapshot_cadence_hours=1)
        rows.device(site)
        rows.session(
            site, now - timedelta(hours=1, minutes=5), now + timedelta(hours=20), "pending"
        )
        return site
    finally:
        rows.close()


async def test_a_snapshot_written_by_another_process_reaches_the_callback_at_once(
    migrated_dsn: str, cfg: Settings
) -> None:
    site = due_site(migrated_dsn)
    async with listening(migrated_dsn, cfg) as (heard, _):
        await heard.until(lambda: heard.mode() == "listening")
        done = subprocess.run(
            [sys.executable, "-m", "snapwatch", "--dsn", migrated_dsn, "run-once"],
            capture_output=True,
            text=True,
            timeout=60,
            env=os.environ.copy(),
            check=False,
        )
        assert done.returncode == 0, done.stderr
        await heard.until(lambda: bool(heard.snapshots))
    [payload] = heard.snapshots
    assert payload["site_id"] == str(site)
    assert (payload["wake_number"], payload["trigger"]) == (1, "schedule")
    with psycopg.connect(migrated_dsn) as conn:
        row = conn.execute("SELECT snapshot_id FROM session_wake_snapshots").fetchone()
    assert row is not None and payload["snapshot_id"] == str(row[0])
    assert [s.mode for s in heard.states] == ["listening"]


async def test_a_lost_connection_is_reported_down_then_listens_again(
    migrated_dsn: str, cfg: Settings
) -> None:
    async with listening(migrated_dsn, cfg) as (heard, _):
        await heard.until(lambda: heard.mode() == "listening")
        with psycopg.connect(migrated_dsn, autocommit=True) as admin:
            killed = admin.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            ).fetchone()
            assert killed is not None and killed[0] >= 1
            await heard.until(lambda: [s.mode for s in heard.states][-2:] == ["down", "listening"])
            admin.execute("SELECT pg_notify(%s, %s)", (NOTIFY_CHANNEL, '{"snapshot_id": "x"}'))
            admin.execute("SELECT pg_notify(%s, 'not json')", (NOTIFY_CHANNEL,))
            admin.execute("SELECT pg_notify(%s, '[1, 2]')", (NOTIFY_CHANNEL,))
            admin.execute("SELECT pg_notify('elsewhere', '{}')")
            admin.execute("SELECT pg_notify(%s, %s)", (NOTIFY_CHANNEL, '{"snapshot_id": "y"}'))
        await heard.until(lambda: len(heard.snapshots) == 2)
    assert [p["snapshot_id"] for p in heard.snapshots] == ["x", "y"]
    assert heard.states[1].detail is not None and "connection lost" in heard.states[1].detail


async def test_an_unreachable_database_is_down_with_the_error_and_stop_ends_the_wait(
    cfg: Settings,
) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    async with listening(f"postgresql://nobody:secret@127.0.0.1:{port}/x", cfg) as (heard, task):
        await heard.until(lambda: heard.mode() == "down")
        assert not task.done()
    detail = heard.states[-1].detail or ""
    assert "unreachable" in detail and "secret" not in detail


async def test_a_pooler_dsn_is_polling_with_the_reason_without_connecting(cfg: Settings) -> None:
    # Nothing listens on that port: had it tried to connect, it would be down.
    async with listening("postgresql://u@127.0.0.1:6543/postgres", cfg) as (heard, task):
        await heard.until(task.done)
    assert heard.states == [
        ListenState.polling("transaction pooler (port 6543): LISTEN needs a session connection")
    ]


# --- a real PgBouncer in transaction mode -----------------------------------------------


async def test_a_transaction_pooler_found_by_connecting_is_polling_with_the_reason(
    pgbouncer: int, migrated_dsn: str, cfg: Settings
) -> None:
    async with listening(through(pgbouncer, migrated_dsn), cfg) as (heard, task):
        await heard.until(task.done)
    # Found by the refusal, not by a self-test that timed out (that detail is different).
    assert heard.states == [
        ListenState.polling(
            "transaction pooler (PgBouncer refused startup options): "
            "LISTEN needs a session connection"
        )
    ]


async def test_a_transaction_mode_pooler_is_found_by_the_self_test_and_reported_polling(
    pgbouncer_ignoring_options: int, migrated_dsn: str, cfg: Settings
) -> None:
    """Told there is no pooler, the listener still finds out: the test notification
    does not come back."""
    through_pooler = through(pgbouncer_ignoring_options, migrated_dsn)
    told = cfg.model_copy(update={"database": cfg.database.model_copy(update={"pooler": "none"})})
    with psycopg.connect(through_pooler, autocommit=True) as probe:  # the pooler works
        assert probe.execute("SELECT 1").fetchone() == (1,)
    async with listening(through_pooler, told) as (heard, task):
        await heard.until(task.done)
    [state] = heard.states
    assert state.mode == "polling"
    assert state.detail == (
        "a test notification did not arrive within 2 s (a transaction-mode pooler?)"
    )


async def test_the_self_test_passes_on_a_direct_connection_at_once(
    migrated_dsn: str, cfg: Settings
) -> None:
    async with listening(migrated_dsn, cfg) as (heard, _):
        await heard.until(lambda: heard.mode() == "listening")
    assert [s.mode for s in heard.states] == ["listening"]  # never polling, never down
