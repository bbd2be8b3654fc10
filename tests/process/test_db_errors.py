"""Connection failures: one readable line, the right exit code, never a password."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from support.cli import cli

from snapwatch.infra.config import Settings, load_settings
from snapwatch.infra.db import Database, connect, resolve_target
from snapwatch.infra.embedded import EmbeddedServer
from snapwatch.infra.errors import EXIT_DB_UNREACHABLE, AuthenticationFailed, DatabaseUnreachable

DEAD_DSN = "postgresql://bob:hunter2@127.0.0.1:1/platform"


async def test_unreachable_database_is_one_redacted_line(isolated_env: Path) -> None:
    settings, _ = load_settings(overrides={"dsn": DEAD_DSN})
    with pytest.raises(DatabaseUnreachable) as err:
        await connect(resolve_target(settings), settings)
    message = str(err.value)
    assert message.startswith("database unreachable")
    assert "\n" not in message
    assert "hunter2" not in message
    assert err.value.exit_code == EXIT_DB_UNREACHABLE


def test_cli_exits_3_with_one_line_when_database_is_down(isolated_env: Path) -> None:
    result = cli("migrate", "--check", "--dsn", DEAD_DSN)
    assert result.returncode == 3
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "hunter2" not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_cli_rejects_a_malformed_dsn_without_echoing_the_password(isolated_env: Path) -> None:
    result = cli("migrate", "--check", "--dsn", "host=db password=hunter2 bogus_option=1")
    assert result.returncode == 2
    assert "invalid DSN" in result.stderr
    assert "hunter2" not in result.stdout + result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_a_missing_tls_file_is_configuration_exit_2_before_connecting(isolated_env: Path) -> None:
    """libpq says "could not connect" about it; waiting or retrying would not help."""
    missing = isolated_env / "no-such-ca.pem"
    dsn = f"{DEAD_DSN}?sslmode=verify-full&sslrootcert={missing}"
    result = cli("status", "--dsn", dsn)
    assert result.returncode == 2
    assert result.stderr == (
        f"snapwatch: error: sslrootcert file {missing} (named by the DSN) does not exist\n"
    )
    env = {**os.environ, "PGSSLKEY": str(missing)}
    result = cli("run-once", "--dsn", "postgresql://bob@127.0.0.1:1/platform", env=env)
    assert result.returncode == 2
    assert result.stderr == (
        f"snapwatch: error: sslkey file {missing} (named by PGSSLKEY) does not exist\n"
    )
    assert cli("status", "--dsn", f"{dsn}&sslmode=disable").returncode == 3  # not used


@pytest.fixture
def password_role(pg_server: EmbeddedServer, fresh_dsn: str) -> Iterator[str]:
    """A role that must authenticate with a password over the local socket."""
    hba = pg_server.pgdata / "pg_hba.conf"
    original = hba.read_text()
    hba.write_text("local all pwuser scram-sha-256\n" + original)
    with psycopg.connect(pg_server.uri("postgres"), autocommit=True) as conn:
        conn.execute("DROP ROLE IF EXISTS pwuser")
        conn.execute("CREATE ROLE pwuser LOGIN PASSWORD 'right-pw'")
        conn.execute("SELECT pg_reload_conf()")
    yield fresh_dsn.replace("postgres:@", "pwuser:{pw}@", 1)
    hba.write_text(original)
    with psycopg.connect(pg_server.uri("postgres"), autocommit=True) as conn:
        conn.execute("SELECT pg_reload_conf()")


async def test_wrong_password_is_named_authentication_failure(
    password_role: str, isolated_env: Path
) -> None:
    settings, _ = load_settings(overrides={"dsn": password_role.format(pw="wrong-pw")})
    with pytest.raises(AuthenticationFailed) as err:
        await connect(resolve_target(settings), settings)
    assert "authentication failed" in str(err.value)
    assert "wrong-pw" not in str(err.value)
    ok_settings, _ = load_settings(overrides={"dsn": password_role.format(pw="right-pw")})
    conn = await connect(resolve_target(ok_settings), ok_settings)
    await conn.close()


async def test_read_only_connections_refuse_writes(settings: Settings) -> None:
    ro = settings.model_copy(update={"read_only": True})
    async with Database.open(resolve_target(ro), ro) as db, db.connection() as conn:
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            await conn.execute("CREATE TABLE must_not_exist (x int)")
