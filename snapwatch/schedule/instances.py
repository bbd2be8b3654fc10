"""Scheduler instances: every process that ticks registers, heartbeats and says goodbye.

Heartbeats are stamped with the database's own ``now()``, and :func:`read_instances`
returns the database's ``now()`` with the rows, so that health is judged on one clock
whatever the hosts' clocks say.
"""

from __future__ import annotations

import getpass
import os
import socket
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from psycopg import AsyncConnection
from psycopg.rows import dict_row

from snapwatch import __version__

Mode = Literal["tui", "daemon", "once"]

REGISTER_SQL = """
INSERT INTO snapwatch.scheduler_instances (host, pid, mode, version, clock, tick_seconds,
                                           os_user)
VALUES (%(host)s, %(pid)s, %(mode)s, %(version)s, %(clock)s, %(tick_seconds)s, %(os_user)s)
RETURNING instance_id
"""

TICKED_SQL = """
UPDATE snapwatch.scheduler_instances
   SET heartbeat_at = now(), last_tick_at = %(started)s, next_tick_at = %(next_tick_at)s,
       last_duration_ms = %(duration_ms)s, paused = %(paused)s,
       clock_offset_seconds = %(clock_offset)s,
       last_success_at = CASE WHEN %(error)s::text IS NULL THEN %(finished)s
                              ELSE last_success_at END,
       last_error = %(error)s
 WHERE instance_id = %(id)s
"""

STOPPED_SQL = """
UPDATE snapwatch.scheduler_instances
   SET stopped_at = now(), heartbeat_at = now(), next_tick_at = NULL
 WHERE instance_id = %(id)s
"""

# Live instances, and stopped ones for a day so operators see that they stopped.
READ_SQL = """
SELECT i.*, now() AS db_now
  FROM snapwatch.scheduler_instances i
 WHERE i.stopped_at IS NULL OR i.stopped_at > now() - interval '1 day'
 ORDER BY i.started_at DESC
"""

# Instances that neither stopped nor heartbeat for a week are forgotten.
FORGET_SQL = """
DELETE FROM snapwatch.scheduler_instances
 WHERE heartbeat_at < now() - interval '7 days'
"""


@dataclass(frozen=True)
class Identity:
    """Who a process is, as operators need to find it: host, pid, OS user."""

    host: str
    pid: int
    os_user: str

    @classmethod
    def current(cls) -> Identity:
        try:
            user = getpass.getuser()
        except (KeyError, OSError):  # no passwd entry (containers)
            user = str(os.getuid())
        return cls(socket.gethostname(), os.getpid(), user)

    @property
    def who(self) -> str:
        return f"{self.os_user}@{self.host}"


@dataclass(frozen=True)
class InstanceRow:
    instance_id: UUID
    host: str
    pid: int
    mode: str
    version: str
    clock: str
    tick_seconds: float
    os_user: str | None
    started_at: datetime
    heartbeat_at: datetime
    last_tick_at: datetime | None
    next_tick_at: datetime | None
    last_duration_ms: float | None
    last_success_at: datetime | None
    last_error: str | None
    paused: bool
    stopped_at: datetime | None
    db_now: datetime
    """The database's ``now()`` when the row was read: the instant health is judged at."""
    clock_offset_seconds: float | None
    """The database's clock minus the instance host's, as last measured (positive: the
    host is behind); None when not measured."""


async def register(
    conn: AsyncConnection[Any],
    mode: Mode,
    *,
    clock: str,
    tick_seconds: float,
    identity: Identity | None = None,
) -> UUID:
    """Record this process as a scheduler instance; returns its id."""
    me = identity or Identity.current()
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(FORGET_SQL)
        await cur.execute(
            REGISTER_SQL,
            {
                "host": me.host,
                "pid": me.pid,
                "mode": mode,
                "version": __version__,
                "clock": clock,
                "tick_seconds": tick_seconds,
                "os_user": me.os_user,
            },
        )
        row = await cur.fetchone()
    assert row is not None
    return UUID(str(row["instance_id"]))


async def record_tick(
    conn: AsyncConnection[Any],
    instance_id: UUID,
    *,
    started: datetime,
    finished: datetime,
    next_tick_at: datetime | None,
    paused: bool,
    error: str | None,
    clock_offset: float | None = None,
) -> None:
    """A tick finished (``error`` None = it succeeded): heartbeat and the tick figures,
    with the host's measured clock offset from the database (seconds)."""
    await conn.execute(
        TICKED_SQL,
        {
            "id": instance_id,
            "started": started,
            "finished": finished,
            "next_tick_at": next_tick_at,
            "duration_ms": (finished - started).total_seconds() * 1000,
            "paused": paused,
            "error": error,
            "clock_offset": clock_offset,
        },
    )


async def mark_stopped(conn: AsyncConnection[Any], instance_id: UUID) -> None:
    await conn.execute(STOPPED_SQL, {"id": instance_id})


async def read_instances(conn: AsyncConnection[Any]) -> list[InstanceRow]:
    """Every live instance and those stopped within a day, newest first."""
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(READ_SQL)
        rows = await cur.fetchall()
    fields = InstanceRow.__dataclass_fields__
    return [InstanceRow(**{k: v for k, v in r.items() if k in fields}) for r in rows]
