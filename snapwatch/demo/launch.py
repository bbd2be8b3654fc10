"""``snapwatch demo``: the embedded PostgreSQL, the schema and the demo fleet, ready to open.

The demo always lives in the embedded server's database, never in a configured DSN, so
it cannot write into a platform database; ``snapwatch run-once`` or ``snapwatch`` with no
DSN then work on the demo fleet.
"""

from __future__ import annotations

import asyncio

from snapwatch.clock import Clock
from snapwatch.config import Settings
from snapwatch.db import Target, connect
from snapwatch.demo.seed import SeedResult, seed_demo
from snapwatch.embedded import DATABASE_NAME, start_embedded
from snapwatch.migrations import migrate


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


async def _prepare(
    target: Target, settings: Settings, seed: int, reset: bool, clock: Clock
) -> SeedResult:
    await migrate(target, settings)
    conn = await connect(target, settings)
    try:
        return await seed_demo(conn, seed=seed, now=clock.now(), reset=reset)
    finally:
        await conn.close()
