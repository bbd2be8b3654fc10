from snapwatch.infra.config import Settings
from snapwatch.infra.db import Database, resolve_target


async def test_pool_runs_a_query_on_a_fresh_database(settings: Settings) -> None:
    target = resolve_target(settings)
    async with Database.open(target, settings) as db, db.connection() as conn:
        row = await (await conn.execute("SELECT current_database() AS name")).fetchone()
    assert row is not None and row["name"].startswith("t_")
