"""``snapwatch demo`` in the app: the shared accelerated clock and the device simulator.

The app, its embedded scheduler and the simulator all live on the shared clock ``demo``
(:func:`snapwatch.infra.clock.open_shared_clock`), so a day of schedule runs in minutes and a
second ``snapwatch demo`` joins the same timeline. The simulator
(:class:`snapwatch.demo.simulator.DeviceSimulator`) steps in a worker on a timer, on a
database session of its own.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

from snapwatch.demo.demo_clock import DEFAULT_SPEED, DemoClockSettings, demo_clock_settings
from snapwatch.demo.simulator import DeviceSimulator
from snapwatch.infra.clock import AcceleratedClock, Clock, open_shared_clock
from snapwatch.infra.config import Settings
from snapwatch.infra.db import Target, connect
from snapwatch.infra.dbsession import DbSession
from snapwatch.tui.services import BackgroundJob


@dataclass(frozen=True)
class DemoRun:
    clock: Clock
    """The shared demo clock (the wall clock when read-only: joining a shared clock writes
    its row)."""
    timing: DemoClockSettings
    jobs: list[BackgroundJob]


def prepare_demo(
    target: Target, settings: Settings, *, seed: int, speed: float | None, wall: Clock
) -> DemoRun:
    """Open (or join) the shared demo clock and build the simulator job."""
    timing = demo_clock_settings(speed or DEFAULT_SPEED)
    if settings.read_only:
        return DemoRun(wall, timing, [])
    clock = asyncio.run(_open_clock(target, settings, timing, wall))
    return DemoRun(clock, timing, [simulator_job(target, settings, clock, seed, timing)])


async def _open_clock(
    target: Target, settings: Settings, timing: DemoClockSettings, wall: Clock
) -> AcceleratedClock:
    conn = await connect(target, settings)
    try:
        return await open_shared_clock(
            conn, timing.name, start=wall.now(), speed=timing.speed, wall=wall
        )
    finally:
        await conn.close()


def simulator_job(
    target: Target, settings: Settings, clock: Clock, seed: int, timing: DemoClockSettings
) -> BackgroundJob:
    session = DbSession(target, settings)
    simulator = DeviceSimulator(session, clock, seed)

    async def step(now: datetime) -> str | None:
        report = await simulator.step(now)
        if not report.wrote:
            return None
        return (
            f"simulator: {report.wakes} wakes, {report.images} images, {report.scored} scored"
            f", {report.sessions_opened} sessions opened (as of {report.as_of:%Y-%m-%d %H:%M})"
        )

    return BackgroundJob("simulator", timing.step_seconds, step, session.close)
