"""The terminal app's way to the database: a pool opened on first use, reopened after
an outage, and failures turned into one readable line."""

from __future__ import annotations

from contextlib import AsyncExitStack
from datetime import datetime

import psycopg
from psycopg import errors as pg_errors
from psycopg_pool import PoolTimeout

from snapwatch.config import Settings
from snapwatch.db import Database, Target, translate
from snapwatch.errors import SchemaError
from snapwatch.readmodels.sites import SiteOverview, fetch_site_overview

# Failures that mean "the server is gone or unusable": drop the pool, reconnect next time.
_CONNECTION_ERRORS = (psycopg.OperationalError, psycopg.InterfaceError, PoolTimeout)


class ReadSource:
    """Runs read models on one target. Not thread-safe; use from one event loop."""

    def __init__(self, target: Target, settings: Settings) -> None:
        self._target = target
        self._settings = settings
        self._stack: AsyncExitStack | None = None
        self._db: Database | None = None

    @property
    def connected(self) -> bool:
        return self._db is not None

    async def site_overview(self, now: datetime) -> list[SiteOverview]:
        """Raises :class:`~snapwatch.errors.SnapwatchError` with a redacted one-line message."""
        db = await self._database()
        try:
            async with db.connection() as conn:
                return await fetch_site_overview(conn, now)
        except _CONNECTION_ERRORS as exc:
            await self.close()
            raise translate(exc, self._target) from None
        except (pg_errors.UndefinedTable, pg_errors.UndefinedColumn) as exc:
            raise SchemaError(
                f"schema not ready: {self._one_line(exc)} (run `snapwatch migrate`)"
            ) from None
        except psycopg.Error as exc:
            raise SchemaError(f"cannot read sites: {self._one_line(exc)}") from None

    async def close(self) -> None:
        stack, self._stack, self._db = self._stack, None, None
        if stack is not None:
            await stack.aclose()

    async def _database(self) -> Database:
        if self._db is None:
            stack = AsyncExitStack()
            try:
                self._db = await stack.enter_async_context(
                    Database.open(self._target, self._settings)
                )
            except _CONNECTION_ERRORS as exc:
                await stack.aclose()
                raise translate(exc, self._target) from None
            except BaseException:
                await stack.aclose()
                raise
            self._stack = stack
        return self._db

    def _one_line(self, exc: BaseException) -> str:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return self._target.redact(first)
