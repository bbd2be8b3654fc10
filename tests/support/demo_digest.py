"""Shared test helpers."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql

from snapwatch.demo.layout import demo_company_ids
from snapwatch.demo.seed import DEMO_ROWS


async def digest(conn: psycopg.AsyncConnection[Any]) -> dict[str, str]:
    """md5 of every column of every demo row, per table."""
    out = {}
    for table, condition in DEMO_ROWS.items():
        query = sql.SQL(
            "SELECT md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) AS d"
            " FROM (SELECT * FROM {} WHERE {}) t"
        ).format(sql.Identifier(table), sql.SQL(condition))
        row = await (await conn.execute(query, {"companies": demo_company_ids()})).fetchone()
        assert row is not None
        out[table] = row["d"]
    return out
