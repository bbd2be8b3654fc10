"""One embedded PostgreSQL per test session; every test gets a fresh database."""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any, Literal

import psycopg
import pytest
from psycopg import AsyncConnection, sql
from support.home import HOME_VARIABLES
from support.overview_rows import Rows
from support.own_server import OwnServer
from support.pgbouncer_server import PGBOUNCER, running_pgbouncer
from support.roles import MakeRole, Role

from snapwatch.infra.config import Settings, load_settings
from snapwatch.infra.db import connect, resolve_target
from snapwatch.infra.embedded import EmbeddedServer, start_embedded

_counter = itertools.count(1)


@pytest.fixture(scope="session", autouse=True)
def own_home() -> Iterator[Path]:
    """The whole session runs with a home of its own: HOME and the XDG config, data,
    state and cache directories point into a throwaway directory, and no SNAPWATCH_*
    comes from the outside world. Processes the tests start inherit it, so nothing a test
    does (the app's log file, a config file, a demo database) lands in the user's files.
    Session-scoped and set up before any other fixture, so the embedded server started
    by ``pg_server`` sees the same environment for the whole session."""
    root = Path(tempfile.mkdtemp(prefix="snapwatch-test-home-"))
    with pytest.MonkeyPatch.context() as mp:
        for variable, name in HOME_VARIABLES.items():
            (root / name).mkdir()
            mp.setenv(variable, str(root / name))
        for key in list(os.environ):
            if key.startswith("SNAPWATCH_"):
                mp.delenv(key)
        yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_server(own_home: Path) -> Iterator[EmbeddedServer]:
    # Its own directory, not under pytest's basetemp: concurrent pytest runs rotate
    # (delete) old basetemp directories, which must never take a live server with them.
    data_dir = Path(tempfile.mkdtemp(prefix="snapwatch-test-pg-"))
    server = start_embedded(data_dir)
    yield server
    server.release()
    shutil.rmtree(data_dir, ignore_errors=True)


def _admin(server: EmbeddedServer) -> psycopg.Connection:
    return psycopg.connect(server.uri("postgres"), autocommit=True)


def create_database(server: EmbeddedServer, template: str = "template0") -> str:
    name = f"t_{os.getpid()}_{next(_counter)}"
    with _admin(server) as conn:
        conn.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(template)
            )
        )
    return name


def drop_database(server: EmbeddedServer, name: str) -> None:
    with _admin(server) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


@pytest.fixture
def fresh_dsn(pg_server: EmbeddedServer) -> Iterator[str]:
    """DSN of a new, empty database, dropped after the test."""
    name = create_database(pg_server)
    yield pg_server.uri(name)
    drop_database(pg_server, name)


@pytest.fixture
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No SNAPWATCH_* (a test may have set one), and config/data/state/cache dirs of
    this test's own under tmp_path (the session's home is shared by every test)."""
    for key in list(os.environ):
        if key.startswith("SNAPWATCH_"):
            monkeypatch.delenv(key)
    for variable, name in HOME_VARIABLES.items():
        if variable != "HOME":
            monkeypatch.setenv(variable, str(tmp_path / name))
    return tmp_path


@pytest.fixture
def settings(fresh_dsn: str, isolated_env: Path) -> Settings:
    return load_settings(overrides={"dsn": fresh_dsn})[0]


def _migrate(dsn: str) -> None:
    import asyncio

    from pydantic import SecretStr

    from snapwatch.infra.db import Target
    from snapwatch.infra.migrations import migrate

    # Built without reading the environment: the outside world must not change the schema.
    settings = Settings.model_construct(dsn=SecretStr(dsn))
    asyncio.run(migrate(Target(dsn=dsn), settings))


@pytest.fixture(scope="session")
def migrated_template(pg_server: EmbeddedServer) -> Iterator[str]:
    """Name of a database migrated once per test session, to be copied as a template."""
    name = create_database(pg_server)
    _migrate(pg_server.uri(name))
    yield name
    drop_database(pg_server, name)


@pytest.fixture
def migrated_dsn(pg_server: EmbeddedServer, migrated_template: str) -> Iterator[str]:
    """DSN of a new database with the full schema (platform tables and snapwatch's)."""
    name = create_database(pg_server, template=migrated_template)
    yield pg_server.uri(name)
    drop_database(pg_server, name)


@pytest.fixture(scope="module")
def module_migrated_dsn(pg_server: EmbeddedServer, migrated_template: str) -> Iterator[str]:
    """Like ``migrated_dsn`` but shared by every test of a module: tests must leave no
    trace (roll their transactions back)."""
    name = create_database(pg_server, template=migrated_template)
    yield pg_server.uri(name)
    drop_database(pg_server, name)


PLATFORM_LIKE_SQL = Path(__file__).parent / "support" / "platform_like.sql"


@pytest.fixture
def platform_like_dsn(pg_server: EmbeddedServer) -> Iterator[str]:
    """DSN of a new database shaped like an existing platform database, not migrated:
    extra columns and an enum, integer ``sites.snapshot_cadence_hours``, no
    ``sites.last_snapshot_at``, none of snapwatch's indexes, no snapwatch schema, and a
    few rows of data (see ``platform_like.sql``)."""
    name = create_database(pg_server)
    dsn = pg_server.uri(name)
    with psycopg.connect(dsn) as conn:
        conn.execute(PLATFORM_LIKE_SQL.read_text(encoding="utf-8").encode())
    yield dsn
    drop_database(pg_server, name)


@pytest.fixture
def pgbouncer(pg_server: EmbeddedServer) -> Iterator[int]:
    """A PgBouncer in transaction mode, otherwise with its default settings, in front of
    the test server; its port (tests/support/pgbouncer_server.py)."""
    if PGBOUNCER is None:
        pytest.skip("needs PgBouncer (Debian package pgbouncer)")
    with running_pgbouncer(pg_server) as port:
        yield port


@pytest.fixture
def own_server() -> Iterator[OwnServer]:
    """A server of the test's own, to stop and start (never the shared test server)."""
    server = OwnServer()
    yield server
    server.close()


@pytest.fixture
def cfg(migrated_dsn: str, isolated_env: Path) -> Settings:
    """Settings on a fresh migrated database, nothing read from the outside world."""
    return load_settings(overrides={"dsn": migrated_dsn})[0]


@pytest.fixture
def rows(migrated_dsn: str) -> Iterator[Rows]:
    """Plain-SQL row builder on the fresh migrated database."""
    r = Rows(migrated_dsn)
    yield r
    r.close()


@pytest.fixture
async def conn(cfg: Settings) -> AsyncIterator[AsyncConnection[dict[str, Any]]]:
    """A connection to the fresh migrated database as snapwatch opens its own
    (``snapwatch.infra.db.connect``: autocommit, dict rows, its session settings)."""
    c = await connect(resolve_target(cfg), cfg)
    yield c
    await c.close()


@pytest.fixture
def make_role(pg_server: EmbeddedServer) -> Iterator[MakeRole]:
    """``make_role(dsn, "BYPASSRLS")``: a new login role (roles are cluster-wide, so each
    is named uniquely) and its DSN for the database of ``dsn``. After the test its
    privileges and policies in that database are dropped (DROP OWNED BY), then the role."""
    made: list[tuple[str, str]] = []

    def make(dsn: str, *attributes: Literal["BYPASSRLS", "NOINHERIT"]) -> Role:
        name = f"r_{os.getpid()}_{next(_counter)}"
        extra = sql.SQL(" ").join(sql.SQL(a) for a in attributes)
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN {}").format(sql.Identifier(name), extra))
        made.append((name, dsn))
        return Role(name, dsn.replace("postgres:@", f"{name}:@", 1))

    yield make
    for name, dsn in reversed(made):
        with contextlib.suppress(psycopg.OperationalError), psycopg.connect(dsn) as conn:
            conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(name)))
        with _admin(pg_server) as conn:
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))
