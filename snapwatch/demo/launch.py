"""``snapwatch demo``: the embedded PostgreSQL, the schema and the demo fleet, ready to open,
and what the app needs to keep the fleet moving (no Textual here).

The demo always lives in the embedded server's database, never in a configured DSN, so
it cannot write into a platform database; ``snapwatch run-once`` or ``snapwatch`` with no
DSN then work on the demo fleet.

A moving demo runs on the shared accelerated clock :data:`~snapwatch.demo.simulator.
DEMO_CLOCK_NAME`: :func:`open_demo_run` seeds (or finds) the fleet and says how fast the
clock runs, :func:`open_demo_clock` opens the clock where the fleet's timeline got to (the
seed instant for a new fleet, else where the last run stopped), and :func:`simulate_step`
moves the devices up to the clock's now and records how far the clock got, so a restart
continues without a gap and never writes the future. ``--reset`` starts the timeline again
at the new seed instant.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import dict_row

from snapwatch.demo.layout import demo_company_ids
from snapwatch.demo.seed import SeedResult, seed_demo
from snapwatch.demo.simulator import (
    DEFAULT_SPEED,
    NEWEST_WAKE_SQL,
    DemoClockSettings,
    DeviceSimulator,
    StepReport,
    demo_clock_settings,
    seeded_at,
)
from snapwatch.infra.clock import (
    AcceleratedClock,
    Clock,
    SystemClock,
    open_shared_clock,
    record_reached,
)
from snapwatch.infra.config import Settings
from snapwatch.infra.db import Target, connect
from snapwatch.infra.embedded import DATABASE_NAME, start_embedded
from snapwatch.infra.migrations import migrate

FORGET_CLOCK_SQL = "DELETE FROM snapwatch.clocks WHERE name = %(name)s"

DEMO_DEVICES_SQL = "SELECT device_id FROM devices WHERE company_id = ANY(%(companies)s)"


@dataclass(frozen=True, slots=True)
class DemoRun:
    """A seeded demo ready to open and to move."""

    target: Target
    result: SeedResult
    seed: int
    clock: DemoClockSettings
    """Name and speed of the shared clock, and how often to step and tick (wall seconds)."""


def open_demo(
    settings: Settings, *, seed: int, reset: bool, clock: Clock
) -> tuple[Target, SeedResult]:
    """Start (or attach to) the embedded server, migrate and seed; the caller releases."""
    server = start_embedded(settings.data_dir)
    target = Target(dsn=server.uri(DATABASE_NAME), embedded=server)
    demo_settings = settings.model_copy(update={"read_only": False})
    try:
        result = asyncio.run(_prepare(target, demo_settings, seed, reset, clock))
    except BaseException:
        target.release()
        raise
    return target, result


def open_demo_run(
    settings: Settings,
    *,
    seed: int,
    reset: bool,
    speed: float = DEFAULT_SPEED,
    wall: Clock | None = None,
) -> DemoRun:
    """:func:`open_demo` (seeding as of the wall clock's now) plus the demo clock's
    settings; the caller releases ``target``."""
    target, result = open_demo(settings, seed=seed, reset=reset, clock=wall or SystemClock())
    return DemoRun(target, result, seed, demo_clock_settings(speed))


async def _prepare(
    target: Target, settings: Settings, seed: int, reset: bool, clock: Clock
) -> SeedResult:
    await migrate(target, settings)
    conn = await connect(target, settings)
    try:
        result = await seed_demo(conn, seed=seed, now=clock.now(), reset=reset)
        if result.created:  # a new timeline: the clock starts again at the seed instant
            await conn.execute(FORGET_CLOCK_SQL, {"name": demo_clock_settings().name})
        return result
    finally:
        await conn.close()


async def open_demo_clock(
    conn: AsyncConnection[Any], run: DemoRun, *, wall: Clock | None = None
) -> AcceleratedClock:
    """The shared demo clock: joined while another process runs it, else continued from
    where it got; a clock that does not exist yet starts at the seed instant of a fleet
    seeded just now, or where the stored timeline ends (the newest demo wake)."""
    start = run.result.now if run.result.created else await timeline_end(conn, run.seed)
    return await open_shared_clock(
        conn, run.clock.name, start=start, speed=run.clock.speed, wall=wall or SystemClock()
    )


async def timeline_end(conn: AsyncConnection[Any], seed: int) -> datetime:
    """How far the demo fleet's data goes: its newest wake, else its seed instant."""
    started = await seeded_at(conn, seed)
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(DEMO_DEVICES_SQL, {"companies": demo_company_ids()})
        devices = [r["device_id"] for r in await cur.fetchall()]
        await cur.execute(NEWEST_WAKE_SQL, {"devices": devices})
        row = await cur.fetchone()
    newest: datetime | None = row["newest"] if row is not None else None
    return max(started, newest) if newest is not None else started


async def simulate_step(
    simulator: DeviceSimulator, conn: AsyncConnection[Any], clock: AcceleratedClock
) -> StepReport:
    """Move the fleet up to the clock's now, then record how far the clock got."""
    report = await simulator.step(clock.now())
    await record_reached(conn, clock)
    return report
