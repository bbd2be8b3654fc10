"""Regenerate the screenshots in this folder from the real app on the demo fleet.

    python screenshots/make.py

Starts a throwaway embedded PostgreSQL, seeds the demo fleet at a fixed instant, writes
one tick of snapshots, and saves SVG captures of the app at 120×40 and 80×24.
"""

from __future__ import annotations

import asyncio
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from snapwatch.clock import FixedClock
from snapwatch.config import load_settings
from snapwatch.db import Target, connect
from snapwatch.demo.seed import seed_demo
from snapwatch.embedded import start_embedded
from snapwatch.migrations import migrate
from snapwatch.tick import run_tick
from snapwatch.tui.app import SnapwatchApp
from snapwatch.tui.sites_table import SitesTable

HERE = Path(__file__).resolve().parent
AT = datetime(2026, 11, 28, 14, 5, tzinfo=UTC)
SIZES = {"main-120x40.svg": (120, 40), "main-80x24.svg": (80, 24)}


async def capture(target: Target) -> None:
    settings = load_settings(overrides={"dsn": target.dsn})[0]
    await migrate(target, settings)
    conn = await connect(target, settings)
    await seed_demo(conn, seed=settings.demo.seed, now=AT)
    await run_tick(conn, settings, AT)
    await conn.close()
    for name, size in SIZES.items():
        app = SnapwatchApp(target, settings, FixedClock(AT), title="snapwatch demo")
        async with app.run_test(size=size) as pilot:
            table = app.query_one(SitesTable)
            while table.row_count == 0:
                await pilot.pause(0.05)
            await pilot.pause(0.2)
            app.save_screenshot(filename=name, path=str(HERE))
            if name.startswith("main-120"):
                await pilot.press("question_mark")
                await pilot.pause(0.3)
                app.save_screenshot(filename="help-120x40.svg", path=str(HERE))
        print(f"wrote {HERE / name}")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        server = start_embedded(Path(tmp))
        target = Target(dsn=server.uri(), embedded=server)
        try:
            asyncio.run(capture(target))
        finally:
            target.release()


if __name__ == "__main__":
    main()
