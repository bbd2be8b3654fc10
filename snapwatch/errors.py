"""Errors that end a command with one readable line and a documented exit code.

Exit codes: 0 ok, 1 some site failed, 2 bad usage or configuration,
3 database unreachable (or authentication refused), 4 internal error (a bug: rerun
with --debug for the traceback).
"""

from __future__ import annotations

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
