"""The sites overview: one row per site with what an operator checks first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection

from snapwatch.sitestate import SiteView, load_sites


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


async def fetch_site_overview(conn: AsyncConnection[Any], now: datetime) -> list[SiteOverview]:
    """Every site, sorted by program name then site name, as of the instant ``now``."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    views = await load_sites(conn, now)
    return [_overview(view) for view in views]


def _overview(view: SiteView) -> SiteOverview:
    facts = view.facts
    return SiteOverview(
        site_id=facts.site_id,
        site_name=facts.site_name,
        program_name=facts.program_name,
        company_name=facts.company_name,
        timezone=facts.timezone,
        device_count=view.device_count,
        cadence_hours=view.cadence,
        has_open_session=view.open_session is not None,
        last_snapshot_at=view.last_snapshot_at,
    )
