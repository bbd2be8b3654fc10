"""Regenerate the screenshots in this folder from the real app on the moving demo fleet.

    python screenshots/make.py

Starts a throwaway embedded PostgreSQL, seeds the demo fleet at a fixed instant, writes
every owed snapshot, then runs the app as ``snapwatch demo`` does (embedded scheduler and
device simulator on an accelerated clock, here ×120 from that instant) for a few seconds
before each capture: the main screen at 120×40 and 80×24, the help screen and the pause
dialog, the inspection screen at both sizes with its diff and MGI chart (SVG; about two
minutes in all). The captures differ a little from run to run (the
clock moves); the tests keep deterministic snapshots in ``tests/tui/__snapshots__``.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from snapwatch.demo.demo_clock import demo_clock_settings
from snapwatch.demo.seed import seed_demo
from snapwatch.infra.clock import AcceleratedClock, SystemClock
from snapwatch.infra.config import Settings, load_settings
from snapwatch.infra.db import Target, connect
from snapwatch.infra.embedded import start_embedded
from snapwatch.infra.migrations import migrate
from snapwatch.schedule.runlog import record_run
from snapwatch.schedule.tick import run_tick
from snapwatch.tui.app import SnapwatchApp
from snapwatch.tui.demo_glue import simulator_job
from snapwatch.tui.screens.activity.screen import ActivityScreen
from snapwatch.tui.screens.dialogs import PauseScreen
from snapwatch.tui.screens.help import HelpScreen
from snapwatch.tui.screens.inspect.chart import ChartScreen
from snapwatch.tui.screens.inspect.diff import DiffScreen
from snapwatch.tui.screens.inspect.screen import InspectScreen
from snapwatch.tui.screens.runs.screen import RunsScreen

HERE = Path(__file__).resolve().parent
AT = datetime(2026, 11, 28, 14, 5, tzinfo=UTC)
SPEED = 120.0
RUN_SECONDS = 8.0
"""Wall seconds the app runs before a capture: ~16 simulated minutes of ticks and wakes."""


class ShownTarget(Target):
    """The demo's database under a short name (not the temporary directory's path)."""

    @property
    def display(self) -> str:
        return "embedded PostgreSQL (demo)"


async def prepare(target: Target, settings: Settings) -> None:
    await migrate(target, settings)
    conn = await connect(target, settings)
    try:
        await seed_demo(conn, seed=settings.demo.seed, now=AT)
        while True:  # every owed slot, as a daemon would write them over its first ticks
            report = await run_tick(conn, settings, AT)
            await record_run(conn, report, None)
            if not any(o.written for o in report.outcomes):
                break
    finally:
        await conn.close()


def demo_app(target: Target, settings: Settings) -> SnapwatchApp:
    wall = SystemClock()
    clock = AcceleratedClock(AT, wall.now(), SPEED, wall)
    timing = demo_clock_settings(SPEED)
    job = simulator_job(target, settings, clock, settings.demo.seed, timing)
    return SnapwatchApp(
        target,
        settings,
        clock,
        "snapwatch demo",
        wall=wall,
        jobs=[job],
        tick_seconds=timing.tick_seconds,
        log_path=Path(tempfile.gettempdir()) / "snapwatch-screenshots.log",
    )


async def until(pilot: Pilot[Any], done: Callable[[], bool], seconds: float = 10) -> None:
    for _ in range(int(seconds / 0.05)):
        if done():
            return
        await pilot.pause(0.05)


Scene = Callable[[Pilot[Any], SnapwatchApp], Awaitable[None]]


async def main_screen(pilot: Pilot[Any], app: SnapwatchApp) -> None:
    await pilot.press("down", "down", "down")  # a site with growing MGI


async def help_screen(pilot: Pilot[Any], app: SnapwatchApp) -> None:
    await pilot.press("question_mark")
    await until(pilot, lambda: isinstance(app.screen, HelpScreen))


async def pause_dialog(pilot: Pilot[Any], app: SnapwatchApp) -> None:
    await pilot.press("down", "down", "down", "p")
    await until(pilot, lambda: isinstance(app.screen, PauseScreen))
    await pilot.press(*"door seal repair", "tab", *"2h")


async def inspection(pilot: Pilot[Any], app: SnapwatchApp) -> None:
    await pilot.press("down", "down", "down", "enter")
    await until(pilot, lambda: isinstance(app.screen, InspectScreen))
    await pilot.press("down", "down")  # a device highlighted on the map
    await pilot.pause(0.5)


async def inspection_diff(pilot: Pilot[Any], app: SnapwatchApp) -> None:
    await inspection(pilot, app)
    await pilot.press("d")
    await until(pilot, lambda: isinstance(app.screen, DiffScreen))
    await pilot.pause(0.3)


async def inspection_chart(pilot: Pilot[Any], app: SnapwatchApp) -> None:
    await inspection(pilot, app)
    await pilot.press("c")
    await until(pilot, lambda: isinstance(app.screen, ChartScreen))
    await pilot.pause(1.0)


async def inspection_device(pilot: Pilot[Any], app: SnapwatchApp) -> None:
    await inspection(pilot, app)
    await pilot.press("i", "shift+right", "shift+right")  # every field, the table scrolled
    await pilot.pause(0.5)


async def activity(pilot: Pilot[Any], app: SnapwatchApp) -> None:
    await pilot.press("down", "down", "down", "f")  # an operator action in the trail
    await pilot.pause(1.0)
    await pilot.press("A")
    await until(pilot, lambda: isinstance(app.screen, ActivityScreen))
    await pilot.pause(1.0)


async def run_history(pilot: Pilot[Any], app: SnapwatchApp) -> None:
    await pilot.press("R")
    await until(pilot, lambda: isinstance(app.screen, RunsScreen))
    await pilot.pause(1.0)
    await pilot.press("enter")  # the newest run's sites
    await pilot.pause(1.0)


SCENES: list[tuple[str, tuple[int, int], Scene]] = [
    ("main-120x40.svg", (120, 40), main_screen),
    ("main-80x24.svg", (80, 24), main_screen),
    ("help-120x40.svg", (120, 40), help_screen),
    ("pause-120x40.svg", (120, 40), pause_dialog),
    ("inspect-120x40.svg", (120, 40), inspection),
    ("inspect-80x24.svg", (80, 24), inspection),
    ("inspect-diff-120x40.svg", (120, 40), inspection_diff),
    ("inspect-chart-120x40.svg", (120, 40), inspection_chart),
    ("inspect-device-80x24.svg", (80, 24), inspection_device),
    ("activity-120x40.svg", (120, 40), activity),
    ("runs-120x40.svg", (120, 40), run_history),
]


async def capture(target: Target, settings: Settings) -> None:
    for name, size, scene in SCENES:
        app = demo_app(target, settings)
        async with app.run_test(size=size) as pilot:
            await pilot.pause(RUN_SECONDS)
            await scene(pilot, app)
            await pilot.pause(1.0)
            app.save_screenshot(filename=name, path=str(HERE))
            await app.shut_down()
        print(f"wrote {HERE / name}")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        server = start_embedded(Path(tmp))
        target = ShownTarget(dsn=server.uri(), embedded=server)
        settings = load_settings(overrides={"dsn": target.dsn})[0]
        try:
            asyncio.run(prepare(target, settings))
            asyncio.run(capture(target, settings))
        finally:
            target.release()


if __name__ == "__main__":
    main()
