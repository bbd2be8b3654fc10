"""Connections: where the database is, opening a pool, and turning failures into one line."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import AsyncConnection
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from snapwatch.config import Settings
from snapwatch.embedded import EmbeddedServer, start_embedded
from snapwatch.errors import AuthenticationFailed, ConfigError, DatabaseUnreachable, SnapwatchError
from snapwatch.redact import dsn_password, redact
from snapwatch.sslfiles import check_ssl_files

log = logging.getLogger(__name__)

MAX_PORT = 65535

_AUTH_MARKERS = (
    "password authentication failed",
    "authentication failed",
    "no password supplied",
    "no pg_hba.conf entry",
    'role "',
)


@dataclass
class Target:
    """A database to talk to: its DSN (secret), how to show it, and the embedded server."""

    dsn: str
    embedded: EmbeddedServer | None = None
    secrets: tuple[str, ...] = field(default=())

    @property
    def display(self) -> str:
        if self.embedded is not None:
            return f"embedded PostgreSQL ({self.embedded.pgdata})"
        return self.redact(self.dsn)

    def redact(self, text: str) -> str:
        return redact(text, *self.secrets)

    def release(self) -> None:
        if self.embedded is not None:
            self.embedded.release()
            self.embedded = None


def resolve_target(settings: Settings) -> Target:
    """The configured DSN, or the embedded server (started or attached to)."""
    dsn = settings.dsn_value()
    if dsn:
        pw = dsn_password(dsn)
        check_dsn(dsn, (pw,) if pw else ())
        return Target(dsn=dsn, secrets=(pw,) if pw else ())
    server = start_embedded(settings.data_dir)
    return Target(dsn=server.uri(), embedded=server)


def check_dsn(dsn: str, secrets: tuple[str, ...] = ()) -> None:
    """Refuse, before connecting, a DSN that libpq would misread as a network problem:
    unparseable text, a port that is not a number in 1..65535 (in a URI's host list
    or a ``port=`` keyword; an empty port means the default), or a TLS file that is not
    there (:mod:`snapwatch.sslfiles`). Raises :class:`ConfigError`."""
    try:
        params = conninfo_to_dict(dsn)
    except psycopg.ProgrammingError as exc:
        raise ConfigError(f"invalid DSN: {redact(' '.join(str(exc).split()), *secrets)}") from None
    for port in str(params.get("port") or "").split(","):
        text = port.strip()
        if text and not (text.isdigit() and 1 <= int(text) <= MAX_PORT):
            shown = redact(text, *secrets)
            raise ConfigError(f"invalid DSN: port {shown!r} is not a number from 1 to {MAX_PORT}")
    check_ssl_files(params)


def connection_kwargs(settings: Settings, *, read_only: bool = False) -> dict[str, Any]:
    """Session settings applied to every connection."""
    options = [f"-c statement_timeout={int(settings.database.statement_timeout_seconds * 1000)}"]
    if read_only or settings.read_only:
        options.append("-c default_transaction_read_only=on")
    return {
        "connect_timeout": max(1, round(settings.database.connect_timeout_seconds)),
        "options": " ".join(options),
        "application_name": "snapwatch",
    }


def translate(exc: BaseException, target: Target) -> SnapwatchError:
    """One readable, redacted line for a connection failure."""
    text = target.redact(" ".join(str(exc).split()))
    where = target.display
    if isinstance(exc, psycopg.OperationalError) and any(m in text for m in _AUTH_MARKERS):
        return AuthenticationFailed(f"authentication failed for {where}: {text}")
    if isinstance(exc, psycopg.ProgrammingError):
        return ConfigError(f"invalid DSN: {text}")
    return DatabaseUnreachable(f"database unreachable ({where}): {text}")


async def connect(
    target: Target, settings: Settings, *, read_only: bool = False
) -> AsyncConnection[dict[str, Any]]:
    """One autocommit connection with dict rows (transactions are explicit, with
    ``conn.transaction()``); failures become :class:`DatabaseUnreachable`."""
    try:
        return await AsyncConnection.connect(
            target.dsn,
            autocommit=True,
            row_factory=dict_row,
            **connection_kwargs(settings, read_only=read_only),
        )
    except (psycopg.OperationalError, psycopg.ProgrammingError) as exc:
        raise translate(exc, target) from None


class Database:
    """An async connection pool on one target. Use ``async with Database.open(...)``."""

    def __init__(self, target: Target, pool: AsyncConnectionPool[AsyncConnection[dict[str, Any]]]):
        self.target = target
        self.pool = pool

    @classmethod
    @asynccontextmanager
    async def open(
        cls, target: Target, settings: Settings, *, read_only: bool = False
    ) -> AsyncIterator[Database]:
        # Probe once first: a pool only reports "timed out", the probe says why.
        probe = await connect(target, settings, read_only=read_only)
        await probe.close()
        pool: AsyncConnectionPool[AsyncConnection[dict[str, Any]]] = AsyncConnectionPool(
            target.dsn,
            min_size=settings.database.pool_min_size,
            max_size=max(settings.database.pool_min_size, settings.database.pool_max_size),
            kwargs={
                "autocommit": True,
                "row_factory": dict_row,
                **connection_kwargs(settings, read_only=read_only),
            },
            open=False,
            name="snapwatch",
            timeout=settings.database.connect_timeout_seconds * 2,
        )
        await pool.open(wait=True, timeout=settings.database.connect_timeout_seconds * 2)
        try:
            yield cls(target, pool)
        finally:
            await pool.close()

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[AsyncConnection[dict[str, Any]]]:
        async with self.pool.connection() as conn:
            yield conn
