"""The activity trail, newest first: what the Activity screen, ``status`` and the daemon's
log show (:mod:`snapwatch.schedule.activity` writes it).

One query: the latest entries (``LIMIT``, through the ``at DESC`` index), the sites'
names joined as they are now (an entry of a site since renamed or gone keeps the scope
words it was recorded with). The optional filter is a text matched case-insensitively,
as a plain substring (never a pattern), over the kind, the actor, the process, the site's
name, the scope, the result and the detail; and/or a set of kinds. Names, scopes and
details are platform or operator text: callers show them as plain text.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection
from psycopg.rows import dict_row

from snapwatch.text.jsonvalues import json_values
from snapwatch.text.labels import words
from snapwatch.text.times import utc_text

LATEST = 200
"""Entries read at most, by default."""

LATEST_SQL = """
SELECT a.activity_id, a.at, a.actor, a.process, a.kind, a.site_id, s.name AS site_name,
       a.scope, a.detail, a.result,
       extract(epoch FROM clock_timestamp() - a.at)::float8 AS age_seconds
  FROM snapwatch.activity a
  LEFT JOIN sites s ON s.site_id = a.site_id
 WHERE (%(after)s::timestamptz IS NULL OR a.at > %(after)s::timestamptz)
   AND (%(kinds)s::text[] IS NULL OR a.kind = ANY(%(kinds)s::text[]))
   AND (%(text)s::text IS NULL
        OR strpos(lower(concat_ws(' ', a.kind, a.actor, a.process, s.name, a.scope, a.result,
                                  a.detail::text)), lower(%(text)s::text)) > 0)
 ORDER BY a.at DESC, a.activity_id
 LIMIT %(limit)s
"""


@dataclass(frozen=True, slots=True)
class ActivityEntry:
    activity_id: UUID
    at: datetime
    actor: str
    """``user@host``."""
    process: str
    kind: str
    site_id: UUID | None
    site_name: str | None
    """The site's name now; None for an entry of no site, or of a site gone."""
    scope: str
    """What the entry was about, in words, when it was recorded (``all sites``)."""
    detail: dict[str, Any]
    result: str
    age_seconds: float
    """How long ago, by the database's clock (the one ``at`` was stamped with; a demo's
    fast scheduling clock is another)."""

    @property
    def where(self) -> str:
        """The site's name, else the scope words."""
        return self.site_name if self.site_name is not None else self.scope

    @property
    def what(self) -> str:
        """The kind in words: ``tick wrote``, ``pause change``."""
        return words(self.kind)

    @property
    def detail_text(self) -> str:
        """``reason maintenance, until 2026-12-07 18:00:00 UTC``: the detail's set values
        in order, keys in words, instants to the second in UTC, numbers rounded."""
        return ", ".join(
            f"{words(key)} {_value(value)}"
            for key, value in self.detail.items()
            if value not in _EMPTY
        )


_EMPTY: tuple[Any, ...] = (None, "", [], {})


def _value(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, str):
        try:
            at = datetime.fromisoformat(value)
        except ValueError:
            return value
        return utc_text(at) if at.tzinfo is not None and "T" in value else value
    return str(json_values(value))


async def read_activity(
    conn: AsyncConnection[Any],
    *,
    limit: int = LATEST,
    text: str | None = None,
    kinds: Iterable[str] | None = None,
    after: datetime | None = None,
) -> list[ActivityEntry]:
    """The latest ``limit`` entries, newest first; only those matching ``text`` (a
    substring, any case) and of ``kinds`` when given, and only those after ``after``."""
    params = {
        "limit": limit,
        "text": text or None,
        "kinds": None if kinds is None else list(kinds),
        "after": after,
    }
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(LATEST_SQL, params)
        rows = await cur.fetchall()
    return [ActivityEntry(**row) for row in rows]
