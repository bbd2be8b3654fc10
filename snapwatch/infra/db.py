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

from snapwatch.infra.config import Settings
from snapwatch.infra.embedded import EmbeddedServer, start_embedded
from snapwatch.infra.errors import (
    AuthenticationFailed,
    ConfigError,
    DatabaseUnreachable,
    SnapwatchError,
    error_words,
)
from snapwatch.infra.pooled import PooledConnection
from snapwatch.infra.pooler import (
    EMBEDDED,
    REFUSED_OPTIONS,
    Mode,
    Pooler,
    from_dsn,
    judge_connection,
    refused_startup_options,
)
from snapwatch.infra.redact import dsn_password, redact
from snapwatch.infra.sslfiles import check_ssl_files

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
    pooler: Pooler | None = None
    """The pooler mode in effect, settled by the first connection (:func:`connect`)."""

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
    there (:mod:`snapwatch.infra.sslfiles`). Raises :class:`ConfigError`."""
    try:
        params = conninfo_to_dict(dsn)
    except psycopg.ProgrammingError as exc:
        raise ConfigError(f"invalid DSN: {error_words(exc, *secrets)}") from None
    for port in str(params.get("port") or "").split(","):
        text = port.strip()
        if text and not (text.isdigit() and 1 <= int(text) <= MAX_PORT):
            shown = redact(text, *secrets)
            raise ConfigError(f"invalid DSN: port {shown!r} is not a number from 1 to {MAX_PORT}")
    check_ssl_files(params)


def statement_timeout_ms(settings: Settings) -> int:
    return int(settings.database.statement_timeout_seconds * 1000)


def lock_timeout_ms(settings: Settings) -> int:
    """At least 1 ms: 0 would mean waiting for a lock without end."""
    return max(1, round(settings.database.lock_timeout_seconds * 1000))


def limits(settings: Settings) -> dict[str, str]:
    """The settings every statement runs under: its time, and its wait for a lock."""
    return {
        "statement_timeout": str(statement_timeout_ms(settings)),
        "lock_timeout": str(lock_timeout_ms(settings)),
    }


def connection_kwargs(settings: Settings, mode: Mode, *, read_only: bool) -> dict[str, Any]:
    """How to open a connection in pooler ``mode``: autocommit with dict rows, and the
    session settings as startup options when nothing in between drops them (see
    :func:`configure` for the rest)."""
    kwargs: dict[str, Any] = {
        "autocommit": True,
        "row_factory": dict_row,
        "connect_timeout": max(1, round(settings.database.connect_timeout_seconds)),
        "application_name": "snapwatch",
    }
    if mode == "none":
        options = [f"-c {name}={value}" for name, value in limits(settings).items()]
        if read_only:
            options.append("-c default_transaction_read_only=on")
        kwargs["options"] = " ".join(options)
    if mode == "transaction":
        kwargs["prepare_threshold"] = None  # no server session keeps a prepared statement
    return kwargs


async def configure(
    conn: AsyncConnection[Any], settings: Settings, mode: Mode, *, read_only: bool
) -> None:
    """The session settings that are no startup options in pooler ``mode``: set for the
    session behind a session pooler, in every transaction behind a transaction pooler."""
    if mode == "session":
        await conn.execute(
            "SELECT set_config('statement_timeout', %s, false),"
            " set_config('lock_timeout', %s, false),"
            " set_config('default_transaction_read_only', %s, false)",
            (
                str(statement_timeout_ms(settings)),
                str(lock_timeout_ms(settings)),
                "on" if read_only else "off",
            ),
        )
    elif isinstance(conn, PooledConnection):  # mode "transaction"
        conn.limits = limits(settings)
        if read_only:
            await conn.set_read_only(True)


def translate(exc: BaseException, target: Target) -> SnapwatchError:
    """One readable, redacted line for a connection failure."""
    text = error_words(exc, *target.secrets)
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
    ``conn.transaction()``), opened as the pooler mode requires; the first connection
    of a target settles the mode (:attr:`Target.pooler`). Failures become
    :class:`DatabaseUnreachable`."""
    read_only = read_only or settings.read_only
    try:
        pooler = known_pooler(target, settings)
        if pooler is None:
            return await _connect_finding_out(target, settings, read_only)
        target.pooler = pooler
        return await _open(target.dsn, settings, pooler.mode, read_only)
    except ConnectionLostError as lost:
        raise lost.cause from None
    except (psycopg.OperationalError, psycopg.ProgrammingError) as exc:
        raise translate(exc, target) from None


class ConnectionLostError(Exception):
    """A connection that broke right after it opened (carries psycopg's error)."""

    def __init__(self, cause: psycopg.OperationalError) -> None:
        super().__init__(str(cause))
        self.cause = cause


def known_pooler(target: Target, settings: Settings) -> Pooler | None:
    """The pooler mode as far as it is known without connecting (None: connecting will
    find out). ``database.pooler`` is about the DSN: the embedded server is direct."""
    if target.pooler is not None:
        return target.pooler
    if target.embedded is not None:
        return EMBEDDED
    return from_dsn(settings.database.pooler, target.dsn)


async def _connect_finding_out(
    target: Target, settings: Settings, read_only: bool
) -> AsyncConnection[dict[str, Any]]:
    """Connect with startup options and see whether they arrive (:mod:`snapwatch.infra.pooler`)."""
    try:
        conn = await _open(target.dsn, settings, "none", read_only)
    except psycopg.OperationalError as exc:
        if not refused_startup_options(exc):
            raise
        target.pooler = REFUSED_OPTIONS
        return await _open(target.dsn, settings, REFUSED_OPTIONS.mode, read_only)
    try:
        pooler = await judge_connection(conn, statement_timeout_ms(settings))
    except psycopg.OperationalError as exc:
        await conn.close()
        # Connected, then lost: not "unreachable" (the caller says "connection lost").
        raise ConnectionLostError(exc) from exc
    except BaseException:
        await conn.close()
        raise
    target.pooler = pooler
    if pooler.mode == "none":
        return conn
    await conn.close()
    return await _open(target.dsn, settings, pooler.mode, read_only)


async def _open(
    dsn: str, settings: Settings, mode: Mode, read_only: bool
) -> AsyncConnection[dict[str, Any]]:
    kwargs = connection_kwargs(settings, mode, read_only=read_only)
    cls = PooledConnection if mode == "transaction" else AsyncConnection
    conn: AsyncConnection[dict[str, Any]] = await cls.connect(dsn, **kwargs)
    try:
        await configure(conn, settings, mode, read_only=read_only)
    except BaseException:
        await conn.close()
        raise
    return conn


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
        # Probe once first: a pool only reports "timed out", the probe says why (and
        # the probe settles the pooler mode).
        read_only = read_only or settings.read_only
        probe = await connect(target, settings, read_only=read_only)
        await probe.close()
        assert target.pooler is not None
        mode = target.pooler.mode

        async def setup(conn: AsyncConnection[dict[str, Any]]) -> None:
            await configure(conn, settings, mode, read_only=read_only)

        pool: AsyncConnectionPool[AsyncConnection[dict[str, Any]]] = AsyncConnectionPool(
            target.dsn,
            connection_class=PooledConnection if mode == "transaction" else AsyncConnection,
            min_size=settings.database.pool_min_size,
            max_size=max(settings.database.pool_min_size, settings.database.pool_max_size),
            kwargs=connection_kwargs(settings, mode, read_only=read_only),
            configure=setup,
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


async def dict_rows(
    conn: AsyncConnection[Any], query: str, params: dict[str, Any]
) -> list[dict[str, Any]]:
    """The rows of ``query``, each a dict by column name, whatever ``conn``'s row factory."""
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(query, params)
        return await cur.fetchall()
