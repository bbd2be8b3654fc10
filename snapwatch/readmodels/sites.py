"""The sites overview: one row per site with what an operator checks first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection
from psycopg.rows import dict_row

from snapwatch.cadence import cadence_hours


@dataclass(frozen=True, slots=True)
class SiteOverview:
    site_id: UUID
    site_name: str
    program_name: str
    company_name: str | None
    timezone: str | None
    """IANA name; ``None`` means the column is NULL, which is treated as UTC."""
    device_count: int
    """Devices that count for the site (active and not inactive/decommissioned)."""
    cadence_hours: float | None
    """Hours between snapshots; ``None`` when the site has no usable cadence."""
    has_open_session: bool
    """A pending or in-progress session contains the instant asked about."""
    last_snapshot_at: datetime | None


# One pass over each table. The cadence columns are read raw (numeric here, integer on
# platform databases; the cast reads both) and turned into hours by cadence.cadence_hours.
# A session is open at an instant by the half-open rule start <= t < end, never by a date.
SITE_OVERVIEW_SQL = """
SELECT
    s.site_id,
    s.name AS site_name,
    p.name AS program_name,
    c.name AS company_name,
    s.timezone,
    COALESCE(d.device_count, 0)::int AS device_count,
    s.snapshot_cadence_hours::float8 AS cadence_hours_raw,
    s.snapshot_cadence_per_day AS cadence_per_day,
    (o.site_id IS NOT NULL) AS has_open_session,
    s.last_snapshot_at
FROM sites AS s
JOIN pilot_programs AS p ON p.program_id = s.program_id
LEFT JOIN companies AS c ON c.company_id = s.company_id
LEFT JOIN (
    SELECT dv.site_id, count(*) AS device_count
    FROM snapwatch.counting_devices AS dv
    WHERE dv.site_id IS NOT NULL
    GROUP BY dv.site_id
) AS d ON d.site_id = s.site_id
LEFT JOIN (
    SELECT DISTINCT ss.site_id
    FROM site_device_sessions AS ss
    WHERE ss.status IN ('pending', 'in_progress')
      AND ss.session_start_time <= %(now)s
      AND %(now)s < ss.session_end_time
) AS o ON o.site_id = s.site_id
ORDER BY p.name, s.name, s.site_id
"""


async def fetch_site_overview(conn: AsyncConnection[Any], now: datetime) -> list[SiteOverview]:
    """Every site, sorted by program name then site name, as of the instant ``now``."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(SITE_OVERVIEW_SQL, {"now": now})
        rows = await cur.fetchall()
    return [_overview(row) for row in rows]


def _overview(row: dict[str, Any]) -> SiteOverview:
    hours = cadence_hours(row.pop("cadence_hours_raw"), row.pop("cadence_per_day"))
    return SiteOverview(**row, cadence_hours=hours)
