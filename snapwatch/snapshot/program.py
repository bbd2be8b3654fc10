"""Site-local calendar: the site's time zone and the program day of a round."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


@dataclass(frozen=True)
class SiteTimezone:
    """The zone used for site-local dates. ``assumed`` when the site names none (or an
    unknown one) and UTC is used instead; ``unknown`` keeps the unusable name."""

    zone: tzinfo
    name: str
    assumed: bool
    unknown: str | None = None


def site_timezone(name: str | None) -> SiteTimezone:
    if name is None or not name.strip():
        return SiteTimezone(UTC, "UTC", assumed=True)
    try:
        return SiteTimezone(ZoneInfo(name), name, assumed=False)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return SiteTimezone(UTC, "UTC", assumed=True, unknown=name)


def local_date(at: datetime, zone: tzinfo) -> date:
    return at.astimezone(zone).date()


def program_day(start_date: date, at: datetime, zone: tzinfo) -> int:
    """Day number of the instant ``at`` in the program, counting the start date as day 1
    (site-local calendar dates, so DST days and month ends count as one day each)."""
    return (local_date(at, zone) - start_date).days + 1


def total_days(start_date: date, end_date: date) -> int:
    """Days in the program, both the start and the end date included."""
    return (end_date - start_date).days + 1
