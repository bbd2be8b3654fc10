"""What only the process tests need: a PostgreSQL 15 with pg_cron, a PgBouncer that drops
``options``; every test here is marked ``process`` (real processes: daemons, races, kills,
outages, poolers, pg_cron, the CLI in a subprocess). ``pytest -m "not process"`` leaves
them out; plain ``pytest`` runs them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from psycopg import AsyncConnection
from psycopg.rows import dict_row
from support.pgbouncer_server import PGBOUNCER, running_pgbouncer
from support.pgcron_server import PgCronServer, PgCronUnavailable, start_pgcron_server

from snapwatch.infra.embedded import EmbeddedServer

HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.process)


@pytest.fixture(scope="session")
def pgcron_server(own_home: Path) -> Iterator[PgCronServer]:
    """A PostgreSQL 15 cluster with pg_cron (tests/support/pgcron_server.py), or a skip
    saying why."""
    try:
        server = start_pgcron_server()
    except PgCronUnavailable as exc:
        pytest.skip(f"pg_cron tests need PostgreSQL 15 with pg_cron: {exc}")
    yield server
    server.stop()


@pytest.fixture
async def cron_conn(pgcron_server: PgCronServer) -> AsyncIterator[AsyncConnection[dict[str, Any]]]:
    """A superuser connection to the pg_cron database; every job is unscheduled after."""
    async with await AsyncConnection.connect(
        pgcron_server.dsn(), autocommit=True, row_factory=dict_row
    ) as conn:
        yield conn
        await conn.execute("SELECT cron.unschedule(jobid) FROM cron.job")


@pytest.fixture
def pgbouncer_ignoring_options(pg_server: EmbeddedServer) -> Iterator[int]:
    """Like ``pgbouncer``, but it drops the startup option ``options`` instead of refusing
    it (``ignore_startup_parameters = options``, a common setting)."""
    if PGBOUNCER is None:
        pytest.skip("needs PgBouncer (Debian package pgbouncer)")
    with running_pgbouncer(pg_server, settings="ignore_startup_parameters = options\n") as port:
        yield port
