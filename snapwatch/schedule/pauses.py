"""Pauses: who paused which sites, why, until when, and the one rule of when a pause is in force.

A pause holds from ``paused_at`` until the earlier of ``resumed_at`` and ``expires_at``
(neither: until resumed). :meth:`PauseRecord.active_at` is that rule; every reader —
the tick, the health of a site, ``status``, the app, force/pause/resume — judges pauses
by it, from rows :func:`read_pauses` returns (one query, with who, why and expiry).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection
from psycopg.rows import class_row

from snapwatch.schedule.slots import within
from snapwatch.text.durations import format_duration


@dataclass(frozen=True)
class PauseRecord:
    pause_id: UUID
    site_id: UUID | None
    """None: every site (a global pause)."""
    site_name: str | None
    paused_by: str
    paused_at: datetime
    reason: str | None
    expires_at: datetime | None
    resumed_at: datetime | None = None
    resumed_by: str | None = None
    changed_at: datetime | None = None
    changed_by: str | None = None
    """Who last changed its reason or expiry (pausing the paused scope again)."""
    created: bool = field(default=True, compare=False)
    """False when a pause request found the scope already paused."""
    changed: bool = field(default=False, compare=False)
    """True when a pause request changed this pause's reason or expiry."""

    @property
    def until(self) -> datetime | None:
        """When the pause ends (None: not until resumed)."""
        ends = [t for t in (self.resumed_at, self.expires_at) if t is not None]
        return min(ends) if ends else None

    def active_at(self, t: datetime) -> bool:
        """In force at ``t``: from ``paused_at`` (inclusive) to :attr:`until` (exclusive)."""
        return within(t, self.paused_at, self.until)

    def covers(self, site: UUID | None) -> bool:
        """Applies to ``site`` (a global pause covers every site)."""
        return self.site_id is None or self.site_id == site

    @property
    def scope(self) -> str:
        if self.site_id is None:
            return "all sites"
        return repr(self.site_name) if self.site_name else str(self.site_id)

    def note(self, now: datetime) -> str:
        """``paused by ops@host: "maintenance", 1h 30m left`` (one line)."""
        why = f': "{self.reason}"' if self.reason else ""
        left = f", {format_duration(self.expires_at - now)} left" if self.expires_at else ""
        changed = f", changed by {self.changed_by}" if self.changed_by else ""
        return f"paused by {self.paused_by}{why}{left}{changed}"


# Every pause that began by %(now)s and had not ended by %(since)s (a superset of those in
# force at any instant between: PauseRecord.active_at decides), with its site's name.
PAUSES_SQL = """
SELECT p.pause_id, p.site_id, s.name AS site_name, p.paused_by, p.paused_at, p.reason,
       p.expires_at, p.resumed_at, p.resumed_by, p.changed_at, p.changed_by
  FROM snapwatch.pauses p
  LEFT JOIN sites s ON s.site_id = p.site_id
 WHERE p.paused_at <= %(now)s
   AND (p.resumed_at IS NULL OR p.resumed_at > %(since)s)
   AND (p.expires_at IS NULL OR p.expires_at > %(since)s)
 ORDER BY p.paused_at, p.pause_id
"""


async def read_pauses(
    conn: AsyncConnection[Any], since: datetime, now: datetime
) -> list[PauseRecord]:
    """The pauses that held at some instant of ``[since, now]``, oldest first."""
    async with conn.cursor(row_factory=class_row(PauseRecord)) as cur:
        await cur.execute(PAUSES_SQL, {"since": since, "now": now})
        return await cur.fetchall()


def in_force(
    pauses: list[PauseRecord], now: datetime, *, site: UUID | None = None, scoped: bool = False
) -> list[PauseRecord]:
    """Those of ``pauses`` in force at ``now``; with ``scoped``, only those of exactly
    ``site`` (None = the global ones)."""
    return [p for p in pauses if p.active_at(now) and (not scoped or p.site_id == site)]


async def active_pauses(
    conn: AsyncConnection[Any], now: datetime, *, site: UUID | None = None, scoped: bool = False
) -> list[PauseRecord]:
    """The pauses in force at ``now``, oldest first (see :func:`in_force`)."""
    return in_force(await read_pauses(conn, now, now), now, site=site, scoped=scoped)
