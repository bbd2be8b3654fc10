"""Site sessions: one per site-local day, local midnight to the next local midnight."""

from __future__ import annotations

import bisect
import random
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from uuid import UUID

from snapwatch.demo.cron import fire_times
from snapwatch.demo.places import DevicePlan, Ids, site_zone
from snapwatch.demo.rows import Payload, Session, Site

HISTORY_DAYS = 2
"""Whole site-local days of history before today."""


def site_sessions(
    site: Site,
    plans: Sequence[DevicePlan],
    now: datetime,
    ids: Ids,
    rng: random.Random,
    *,
    locked_today: bool,
) -> list[Session]:
    """The site's sessions for the last ``HISTORY_DAYS`` local days and today."""
    tz = site_zone(site)
    today = now.astimezone(tz).date()
    sessions = []
    for back in range(HISTORY_DAYS, -1, -1):
        day = today - timedelta(days=back)
        start = datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)
        end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
        expected = sum(
            len(fire_times(p.device.wake_schedule_cron, tz, start, end))
            for p in plans
            if p.counting
        )
        locked_at: datetime | None = None
        if back > 0:
            status = "locked"
            locked_at = min(now, end + timedelta(seconds=rng.uniform(30, 600)))
        elif locked_today:
            status = "locked"  # closed early for maintenance
            locked_at = start + (now - start) / 2
        else:
            status = "in_progress"
        sessions.append(
            Session(
                session_id=ids(f"session:{site.site_id}:{day.isoformat()}"),
                company_id=site.company_id,
                program_id=site.program_id,
                site_id=site.site_id,
                session_date=day,
                session_start_time=start,
                session_end_time=end,
                expected_wake_count=expected,
                completed_wake_count=0,
                failed_wake_count=0,
                extra_wake_count=0,
                status=status,
                locked_at=locked_at,
            )
        )
    return sessions


class SessionFinder:
    """The session of a site that contains an instant (start ≤ t < end)."""

    def __init__(self, sessions: Iterable[Session]) -> None:
        by_site: dict[UUID, list[Session]] = {}
        for s in sessions:
            by_site.setdefault(s.site_id, []).append(s)
        self._sessions = {
            k: sorted(v, key=lambda s: s.session_start_time) for k, v in by_site.items()
        }
        self._starts = {k: [s.session_start_time for s in v] for k, v in self._sessions.items()}

    def at(self, site_id: UUID, instant: datetime) -> Session | None:
        starts = self._starts.get(site_id, [])
        i = bisect.bisect_right(starts, instant) - 1
        if i < 0:
            return None
        session = self._sessions[site_id][i]
        return session if instant < session.session_end_time else None


def with_counts(sessions: Sequence[Session], payloads: Iterable[Payload]) -> list[Session]:
    """Sessions with their completed / failed / extra wake counts taken from the payloads."""
    counts: dict[UUID, list[int]] = {s.session_id: [0, 0, 0] for s in sessions}
    for p in payloads:
        if p.site_device_session_id is None:
            continue
        slot = counts[p.site_device_session_id]
        if p.wake_type == "retry":
            slot[2] += 1
        elif p.payload_status == "complete":
            slot[0] += 1
        elif p.payload_status == "failed":
            slot[1] += 1
    return [
        replace(
            s,
            completed_wake_count=counts[s.session_id][0],
            failed_wake_count=counts[s.session_id][1],
            extra_wake_count=counts[s.session_id][2],
        )
        for s in sessions
    ]
