"""Write the demo fleet into a database (once), or remove it and write it again."""

from __future__ import annotations

import operator
import time
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any

import psycopg
import psycopg.errors
from psycopg import sql
from psycopg.types.json import Jsonb

from snapwatch.demo.fleet import build_fleet
from snapwatch.demo.layout import COMPANIES, demo_company_ids
from snapwatch.infra.errors import SnapwatchError

SEED_LOCK = 0x736E_6170_6465_6D6F  # "snapdemo": one seeder at a time
"""Advisory lock key held while the demo is seeded or reset."""

TABLE_LABELS = {
    "companies": "companies",
    "pilot_programs": "programs",
    "sites": "sites",
    "devices": "devices",
    "site_device_sessions": "sessions",
    "device_wake_payloads": "wakes",
    "device_images": "images",
    "device_alerts": "alerts",
}

# Rows of the demo, per table, by the demo company ids (%(companies)s).
_DEMO_DEVICES = "SELECT device_id FROM devices WHERE company_id = ANY(%(companies)s)"
_DEMO_SITES = "SELECT site_id FROM sites WHERE company_id = ANY(%(companies)s)"
DEMO_ROWS: dict[str, str] = {
    "session_wake_snapshots": "company_id = ANY(%(companies)s)",
    "device_alerts": f"company_id = ANY(%(companies)s) OR device_id IN ({_DEMO_DEVICES})",
    "device_wake_payloads": "company_id = ANY(%(companies)s)",
    "device_images": f"device_id IN ({_DEMO_DEVICES}) OR site_id IN ({_DEMO_SITES})",
    "site_device_sessions": "company_id = ANY(%(companies)s)",
    "devices": "company_id = ANY(%(companies)s)",
    "sites": "company_id = ANY(%(companies)s)",
    "pilot_programs": "company_id = ANY(%(companies)s)",
    "companies": "company_id = ANY(%(companies)s)",
}
"""Deletion order (references first)."""


class DemoSeedError(SnapwatchError):
    """The demo fleet cannot be written into this database."""


@dataclass(frozen=True, slots=True)
class SeedResult:
    created: bool
    seed: int
    now: datetime
    counts: dict[str, int]
    """Demo rows per table: written, or found when nothing was written."""
    removed: int = 0
    """Rows deleted first (``reset``)."""
    seconds: float = 0.0

    def summary(self) -> str:
        shown = ", ".join(
            f"{self.counts.get(table, 0)} {label}" for table, label in TABLE_LABELS.items()
        )
        if not self.created:
            return f"demo fleet already present ({shown}); use --reset to seed it again"
        again = " again" if self.removed else ""
        return f"seeded demo fleet{again} (seed {self.seed}): {shown} in {self.seconds:.1f} s"


def _params() -> dict[str, Any]:
    return {"companies": demo_company_ids()}


def _count(table: str) -> sql.Composed:
    # Fixed, known table names and conditions; values are bound parameters.
    return sql.SQL("SELECT count(*) FROM {} WHERE {}").format(
        sql.Identifier(table),
        sql.SQL(DEMO_ROWS[table]),
    )


async def demo_counts(conn: psycopg.AsyncConnection[Any]) -> dict[str, int]:
    """How many rows of the demo fleet each table holds."""
    counts: dict[str, int] = {}
    for table in TABLE_LABELS:
        cur = await conn.execute(_count(table), _params())
        row = await cur.fetchone()
        counts[table] = int(_first(row))
    return counts


def _first(row: Any) -> Any:
    if row is None:
        return 0
    if isinstance(row, dict):
        return next(iter(row.values()))
    return row[0]


async def _check_names(conn: psycopg.AsyncConnection[Any]) -> None:
    cur = await conn.execute(
        "SELECT name FROM companies WHERE name = ANY(%(names)s)"
        " AND company_id <> ALL(%(companies)s)",
        {"names": [c.name for c in COMPANIES], **_params()},
    )
    taken = [_first(r) for r in await cur.fetchall()]
    if taken:
        raise DemoSeedError(
            f"cannot seed the demo: company {taken[0]!r} already exists and is not the demo's"
        )


async def _remove(conn: psycopg.AsyncConnection[Any]) -> int:
    removed = 0
    for table, condition in DEMO_ROWS.items():
        query = sql.SQL("DELETE FROM {} WHERE {}").format(
            sql.Identifier(table),
            sql.SQL(condition),
        )
        cur = await conn.execute(query, _params())
        removed += max(cur.rowcount, 0)
    return removed


async def _copy(conn: psycopg.AsyncConnection[Any], table: str, rows: Sequence[Any]) -> None:
    if not rows:
        return
    columns = [f.name for f in fields(rows[0])]
    values = operator.attrgetter(*columns)
    jsonb = [i for i, name in enumerate(columns) if name == "zones"]
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    async with conn.cursor() as cur, cur.copy(statement) as copy:
        for row in rows:
            record: list[Any] = list(values(row))
            for i in jsonb:
                record[i] = Jsonb(list(record[i]))
            await copy.write_row(record)


async def seed_demo(
    conn: psycopg.AsyncConnection[Any], *, seed: int, now: datetime, reset: bool = False
) -> SeedResult:
    """Seed the demo fleet as of ``now`` (timezone-aware) in one transaction.

    When the demo is already there and ``reset`` is false, nothing is written. With
    ``reset`` the demo's rows (those of the demo companies, nothing else) are deleted
    first, then the fleet is written again. The transaction commits on return unless the
    caller already had one open on ``conn`` (then it is a savepoint in the caller's).
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    now = now.astimezone(UTC)
    started = time.perf_counter()
    try:
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(%s)", (SEED_LOCK,))
            existing = await demo_counts(conn)
            if existing["companies"] and not reset:
                return SeedResult(created=False, seed=seed, now=now, counts=existing)
            removed = await _remove(conn) if reset else 0
            await _check_names(conn)
            fleet = build_fleet(seed, now)
            for table, rows in fleet.tables():
                await _copy(conn, table, rows)
    except psycopg.errors.UniqueViolation as exc:
        # e.g. a device of another company already uses one of the demo's device codes
        raise DemoSeedError(f"cannot seed the demo: {exc.diag.message_primary}") from None
    return SeedResult(
        created=True,
        seed=seed,
        now=now,
        counts=fleet.counts(),
        removed=removed,
        seconds=time.perf_counter() - started,
    )
