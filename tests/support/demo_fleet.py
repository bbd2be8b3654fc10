"""The demo fleet seeded at a fixed instant, with one tick's snapshots written: real
documents for the app's tests (deterministic: the same seed and instant every time)."""

from __future__ import annotations

from datetime import UTC, datetime

from snapwatch.demo.seed import seed_demo
from snapwatch.infra.config import load_settings
from snapwatch.infra.db import Target, connect
from snapwatch.schedule.runlog import record_run
from snapwatch.schedule.tick import run_tick

AT = datetime(2026, 11, 28, 14, 5, tzinfo=UTC)


async def seed_and_tick(dsn: str) -> None:
    """Seed the demo fleet as of ``AT`` and write what is owed then (one tick)."""
    settings = load_settings(overrides={"dsn": dsn})[0]
    conn = await connect(Target(dsn=dsn), settings)
    try:
        await seed_demo(conn, seed=settings.demo.seed, now=AT)
        report = await run_tick(conn, settings, AT)
        await record_run(conn, report, None)
    finally:
        await conn.close()
