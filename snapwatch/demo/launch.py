"""``snapwatch demo``: the embedded PostgreSQL, the schema and the demo fleet, ready to open
(no Textual here).

The demo always lives in the embedded server's database, never in a configured DSN, so
it cannot write into a platform database; ``snapwatch run-once`` or ``snapwatch`` with no
DSN then work on the demo fleet.

A newly seeded fleet forgets the shared demo clock's row, so the app
(:mod:`snapwatch.tui.demo_glue`) starts the clock again instead of continuing an old
timeline.
"""

from __future__ import annotations

import asyncio

from snapwatch.demo.demo_clock import demo_clock_settings
from snapwatch.demo.seed import SeedResult, seed_demo
from snapwatch.infra.clock import Clock
from snapwatch.infra.config import Settings
from snapwatch.infra.db import Target, connect
from snapwatch.infra.embedded import DATABASE_NAME, start_embedded
from snapwatch.infra.migrations import migrate

FORGET_CLOCK_SQL = "DELETE FROM snapwatch.clocks WHERE name = %(name)s"


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
        result = await seed_demo(conn, seed=seed, now=clock.now(), reset=reset)
        if result.created:  # a new timeline: the app starts the clock again at now
            await conn.execute(FORGET_CLOCK_SQL, {"name": demo_clock_settings().name})
        return result
    finally:
        await conn.close()
