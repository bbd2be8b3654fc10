"""Errors that end a command with one readable line and a documented exit code.

Exit codes: 0 ok, 1 some site failed, 2 bad usage or configuration (also a role without
the rights snapwatch needs), 3 database unreachable (or authentication refused, or the
database read-only, or a statement timed out or waited for a lock past its limit),
4 internal error (a bug: rerun with --debug for the traceback).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import psycopg
from psycopg import errors as pg_errors

from snapwatch.infra.locks import context_relation
from snapwatch.infra.redact import redact as mask
from snapwatch.text.inert import printable
from snapwatch.text.lines import one_line, sentences

EXIT_OK = 0
EXIT_SITE_FAILED = 1
EXIT_USAGE = 2
EXIT_DB_UNREACHABLE = 3
EXIT_INTERNAL = 4


class SnapwatchError(Exception):
    """An error the user can act on; its message is one line, already redacted."""

    exit_code = EXIT_USAGE


class ConfigError(SnapwatchError):
    exit_code = EXIT_USAGE


class DatabaseUnreachable(SnapwatchError):
    exit_code = EXIT_DB_UNREACHABLE


class AuthenticationFailed(DatabaseUnreachable):
    """The server answered but refused the credentials."""


class EmbeddedServerError(DatabaseUnreachable):
    """The embedded PostgreSQL could not be started or attached to."""


class SchemaError(SnapwatchError):
    """The database schema is missing or not what snapwatch needs."""

    exit_code = EXIT_USAGE


class AccessRefused(ConfigError):
    """The connected role lacks a right snapwatch needs, or row-level security would hide
    rows from it: restarting will not fix it, a GRANT or a policy will."""


class InternalError(SnapwatchError):
    """A bug: a command or the app stopped on an exception nobody expected."""

    exit_code = EXIT_INTERNAL

    @classmethod
    def of(cls, exc: BaseException, where: str, *secrets: str | None) -> InternalError:
        """``internal error: Kind: what it says (where)``, on one line and redacted;
        ``where`` says where the traceback is."""
        return cls(f"internal error: {named_line(exc, *secrets)} ({where})")


class DatabaseReadOnly(SnapwatchError):
    """The database accepts no writes: a hot standby, or ``default_transaction_read_only``
    set on the database or the role. A state that may pass (a promotion), like an outage."""

    exit_code = EXIT_DB_UNREACHABLE


class StatementCancelled(SnapwatchError):
    """The server ended a statement before it finished: it ran past statement_timeout,
    waited for a lock past lock_timeout, or an administrator cancelled it. A state that
    passes, like an outage: the next run tries again."""

    exit_code = EXIT_DB_UNREACHABLE


class Limits(Protocol):
    """The time limits a message names (``DatabaseSettings``)."""

    @property
    def statement_timeout_seconds(self) -> float: ...

    @property
    def lock_timeout_seconds(self) -> float: ...


def statement_cancelled(
    exc: psycopg.Error, limits: Limits | None = None
) -> StatementCancelled | None:
    """A statement the server cancelled, in words that say why (never "connection lost":
    the connection is fine); None for any other error."""
    if isinstance(exc, pg_errors.LockNotAvailable):
        on = f" on {printable(name)}" if (name := context_relation(exc)) else ""
        after = f" after {limits.lock_timeout_seconds:g} s" if limits else ""
        return StatementCancelled(
            f"lock wait{on} timed out{after} (database.lock_timeout_seconds): another "
            "process holds a lock (a migration?); try again later"
        )
    if not isinstance(exc, pg_errors.QueryCanceled):
        return None
    said = one_line(exc.diag.message_primary or str(exc))
    if "statement timeout" in said:
        after = f" after {limits.statement_timeout_seconds:g} s" if limits else ""
        return StatementCancelled(
            f"statement timed out{after} (database.statement_timeout_seconds)"
        )
    return StatementCancelled(f"statement cancelled by the server: {printable(said)}")


GRANTS_HINT = "snapwatch migrate --print-owner-sql prints what to grant"


def from_database(
    exc: psycopg.Error,
    *,
    read_only_connection: bool = False,
    redact: Callable[[str], str] = str,
    limits: Limits | None = None,
) -> SnapwatchError | None:
    """What the database said about rights or state, as the error a user acts on; None for
    anything else (a failed statement, a bug). The one classification the command line,
    the daemon and the app share. ``read_only_connection``: snapwatch opened the
    connection read-only itself (``--read-only``), so a refused write is its own doing.
    ``limits``: the timeouts in force, named in a timeout's line."""
    said = exc.diag.message_primary or str(exc)  # without psycopg's LINE 1: ... context
    text = printable(redact(one_line(said) or type(exc).__name__))
    if isinstance(exc, pg_errors.InsufficientPrivilege):
        if "row-level security" in text:
            return AccessRefused(f"{text} (grant the role BYPASSRLS or add a policy for it)")
        if text.startswith("must be owner"):
            return AccessRefused(f"{text} (run it as the owner; {GRANTS_HINT})")
        return AccessRefused(f"{text} (the role lacks a right snapwatch needs; {GRANTS_HINT})")
    if isinstance(exc, pg_errors.ReadOnlySqlTransaction):
        if read_only_connection:
            return ConfigError("read-only connection (read_only is set): this changes the database")
        return DatabaseReadOnly(f"the database is read-only (standby?): {text}")
    if isinstance(exc, pg_errors.UndefinedTable | pg_errors.UndefinedColumn):
        return SchemaError(f"schema not ready: {text} (run `snapwatch migrate`)")
    cancelled = statement_cancelled(exc, limits)  # OperationalErrors, yet not an outage
    if cancelled is not None:
        return cancelled
    if isinstance(exc, psycopg.OperationalError):
        return DatabaseUnreachable(f"database connection lost: {text}")
    return None


def error_words(exc: BaseException, *secrets: str | None) -> str:
    """What ``exc`` says, on one line, never with a password or a given secret (its kind's
    name when it says nothing)."""
    return mask(sentences(str(exc)), *secrets) or type(exc).__name__


def named_line(exc: BaseException, *secrets: str | None) -> str:
    """``Kind: what it says`` on one line, redacted (a bug, or a failure of no known kind)."""
    said = mask(sentences(str(exc)), *secrets)
    return f"{type(exc).__name__}: {said}" if said else type(exc).__name__


def known_error(exc: BaseException, limits: Limits | None = None) -> SnapwatchError | None:
    """What the user acts on (refused rights, a read-only database, a timeout...), or None
    for a bug. ``limits``: the timeouts in force, named in a timeout's line."""
    if isinstance(exc, SnapwatchError):
        return exc
    return from_database(exc, limits=limits) if isinstance(exc, psycopg.Error) else None


def error_line(exc: BaseException, *secrets: str | None, limits: Limits | None = None) -> str:
    """Any exception as the one line a person reads, redacted: what the user acts on in its
    own words (:func:`known_error`), anything else as ``Kind: what it says``."""
    known = known_error(exc, limits)
    return error_words(known, *secrets) if known is not None else named_line(exc, *secrets)
