"""Whether snapwatch reaches PostgreSQL through a pooler, and in which mode: one rule.

A transaction pooler (PgBouncer with ``pool_mode = transaction``, Supabase's Supavisor on
port 6543) hands each transaction to whichever server session is free, so nothing a
session holds lasts beyond one transaction: startup options, ``SET``, prepared statements
(psycopg prepares a statement after it ran five times), LISTEN, session advisory locks.
A session pooler (Supabase's pooler on port 5432, PgBouncer in session mode) keeps one
server session per client but may refuse or drop startup options.

``database.pooler`` says which, or ``auto`` (the default) finds out:

1. from the DSN, before connecting (:func:`from_dsn`): port 6543 is a transaction pooler
   (Supabase); a ``*.pooler.supabase.com`` host on another port is Supabase's session
   pooler; a host, ``application_name`` or ``options`` naming pgbouncer or supavisor is
   taken for a transaction pooler; of several hosts, the strictest mode wins;
2. from the server, when the DSN says nothing: a refusal of the startup options
   (PgBouncer: ``unsupported startup parameter``, :func:`refused_startup_options`) or a
   statement timeout other than the one sent at startup (dropped on the way,
   :func:`judge_connection`) means a pooler, taken for a transaction pooler.

Taking a pooler for a transaction pooler is the safe mistake: it costs a round trip per
transaction, while the opposite mistake fails ticks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import psycopg
from psycopg import AsyncConnection
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import tuple_row

from snapwatch.infra.config import PoolerSetting

Mode = Literal["none", "session", "transaction"]

TRANSACTION_POOLER_PORT = "6543"
"""Supabase's pooler in transaction mode; its session mode is on 5432."""
SUPABASE_POOLER_DOMAIN = ".pooler.supabase.com"
POOLER_WORDS = ("pgbouncer", "supavisor")
REFUSAL = "unsupported startup parameter"
"""PgBouncer's answer to startup options it does not pass on (``options`` by default)."""

_STRICTNESS: dict[Mode, int] = {"none": 0, "session": 1, "transaction": 2}

TIMEOUT_SQL = "SELECT setting FROM pg_settings WHERE name = 'statement_timeout'"


@dataclass(frozen=True, slots=True)
class Pooler:
    """The pooler mode in effect and why (``configured``, ``port 6543``, ...)."""

    mode: Mode
    reason: str

    @property
    def transaction(self) -> bool:
        return self.mode == "transaction"

    def describe(self) -> str:
        """A few words for headers and logs: ``transaction pooler (port 6543)``."""
        what = "no pooler" if self.mode == "none" else f"{self.mode} pooler"
        return f"{what} ({self.reason})"


EMBEDDED = Pooler("none", "embedded PostgreSQL")
REFUSED_OPTIONS = Pooler("transaction", "PgBouncer refused startup options")


def from_dsn(setting: PoolerSetting, dsn: str) -> Pooler | None:
    """The mode the setting or the DSN implies; None when ``auto`` must ask the server
    (also for a DSN that cannot be parsed: connecting reports that)."""
    if setting != "auto":
        return Pooler(setting, "configured")
    try:
        params = conninfo_to_dict(dsn)
    except psycopg.ProgrammingError:
        return None
    found = [_judge_endpoint(host, port) for host, port in _endpoints(params)]
    found.append(_judge_words(params))
    known = [p for p in found if p is not None]
    return max(known, key=lambda p: _STRICTNESS[p.mode]) if known else None


def _endpoints(params: dict[str, Any]) -> list[tuple[str, str]]:
    """(host, port) pairs of a DSN: libpq pairs the two lists by position, and one port
    applies to every host."""
    hosts = [h.strip().lower() for h in str(params.get("host") or "").split(",")]
    ports = [p.strip() for p in str(params.get("port") or "").split(",")]
    if len(ports) == 1:
        ports *= len(hosts)
    return list(zip(hosts, ports, strict=False))


def _judge_endpoint(host: str, port: str) -> Pooler | None:
    if port == TRANSACTION_POOLER_PORT:
        return Pooler("transaction", f"port {TRANSACTION_POOLER_PORT}")
    if host.endswith(SUPABASE_POOLER_DOMAIN):
        return Pooler("session", f"Supabase pooler on port {port or '5432'}")
    return None


def _judge_words(params: dict[str, Any]) -> Pooler | None:
    for key in ("host", "application_name", "options"):
        value = str(params.get(key) or "").lower()
        word = next((w for w in POOLER_WORDS if w in value), None)
        if word is not None:
            return Pooler("transaction", f"{key} names {word}")
    return None


def refused_startup_options(exc: BaseException) -> bool:
    """Whether a failed connection attempt was a pooler refusing the startup options."""
    return isinstance(exc, psycopg.OperationalError) and REFUSAL in str(exc)


async def judge_connection(conn: AsyncConnection[Any], statement_timeout_ms: int) -> Pooler:
    """After connecting with ``-c statement_timeout=<ms>`` as a startup option: did it
    arrive? If not, something between snapwatch and PostgreSQL dropped it."""
    async with conn.cursor(row_factory=tuple_row) as cur:
        await cur.execute(TIMEOUT_SQL)
        row = await cur.fetchone()
    if row is not None and row[0] == str(statement_timeout_ms):
        return Pooler("none", "startup options applied")
    return Pooler("transaction", "startup options dropped on the way")
