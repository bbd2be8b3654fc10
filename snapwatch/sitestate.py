"""Every site as the scheduler sees it at one instant, read set-based in four queries."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection

from snapwatch.cadence import (
    Reason,
    SessionState,
    cadence_hours,
    eligibility,
    session_is_open,
)
from snapwatch.snapshot.inputs import SessionFacts, SiteFacts

# A previous session's last slots are still written after midnight (its final slot is due
# only after the session ended); older sessions are history.
PREVIOUS_SESSION_LOOKBACK = timedelta(hours=48)

SITES_SQL = """
SELECT s.site_id, s.name AS site_name, s.site_code, s.type AS site_type,
       s.length::float8 AS length, s.width::float8 AS width, s.height::float8 AS height,
       s.timezone, s.zones, s.snapshot_cadence_hours::float8 AS cadence_hours_raw,
       s.snapshot_cadence_per_day, s.last_snapshot_at,
       s.program_id, p.name AS program_name, p.start_date AS program_start_date,
       p.end_date AS program_end_date, coalesce(s.company_id, p.company_id) AS company_id,
       c.name AS company_name,
       (SELECT count(*) FROM snapwatch.counting_devices d
         WHERE d.site_id = s.site_id) AS device_count
  FROM sites s
  JOIN pilot_programs p ON p.program_id = s.program_id
  LEFT JOIN companies c ON c.company_id = coalesce(s.company_id, p.company_id)
 WHERE %(site)s::text IS NULL
    OR s.site_id::text = %(site)s OR s.name = %(site)s OR s.site_code::text = %(site)s
 ORDER BY p.name, s.name, s.site_id
"""

# The two newest sessions of each site that had started by now: the open one and the one
# before it (whose last slot becomes due just after it ends).
SESSIONS_SQL = """
SELECT x.site_id, x.session_id, x.session_date, x.session_start_time, x.session_end_time,
       x.status, x.expected_wake_count, x.locked_at
  FROM unnest(%(sites)s::uuid[]) AS s(site_id)
  CROSS JOIN LATERAL (
        SELECT * FROM site_device_sessions ss
         WHERE ss.site_id = s.site_id AND ss.session_start_time <= %(now)s
           AND ss.session_end_time > %(since)s
         ORDER BY ss.session_start_time DESC
         LIMIT 2) x
"""

# Reads only the snapshot rows' keys and window columns (never the documents).
SNAPSHOT_STATE_SQL = """
SELECT w.session_id,
       max(w.wake_round_end) FILTER (WHERE p.session_id IS NULL) AS covered_until,
       coalesce(max(w.wake_number) FILTER (WHERE p.session_id IS NULL), 0) AS last_wake_number,
       coalesce(array_agg(w.wake_round_start) FILTER (WHERE p.session_id IS NOT NULL), '{}')
         AS prov_starts,
       coalesce(array_agg(w.wake_number) FILTER (WHERE p.session_id IS NOT NULL), '{}')
         AS prov_wakes
  FROM session_wake_snapshots w
  LEFT JOIN snapwatch.provisional_snapshots p
         ON p.session_id = w.session_id AND p.wake_number = w.wake_number
 WHERE w.session_id = ANY(%(sessions)s::uuid[])
 GROUP BY w.session_id
"""

PAUSES_SQL = """
SELECT site_id, paused_at, least(resumed_at, expires_at) AS until
  FROM snapwatch.pauses
 WHERE paused_at <= %(now)s
   AND coalesce(least(resumed_at, expires_at), 'infinity'::timestamptz) > %(since)s
"""


@dataclass(frozen=True)
class Pause:
    site_id: UUID | None  # None = every site
    start: datetime
    until: datetime | None

    def active_at(self, t: datetime) -> bool:
        return self.start <= t and (self.until is None or t < self.until)


@dataclass(frozen=True)
class SessionView:
    facts: SessionFacts
    state: SessionState


@dataclass
class SiteView:
    facts: SiteFacts
    cadence: float | None
    device_count: int
    last_snapshot_at: datetime | None
    open_session: SessionView | None = None
    previous_session: SessionView | None = None
    pauses: list[Pause] = field(default_factory=list)
    reason: Reason | None = None

    def paused_at(self, t: datetime) -> Pause | None:
        return next((p for p in self.pauses if p.active_at(t)), None)


async def load_sites(
    conn: AsyncConnection[dict[str, Any]], now: datetime, site: str | None = None
) -> list[SiteView]:
    """All sites (or the one named), with eligibility at ``now`` and their sessions."""
    since = now - PREVIOUS_SESSION_LOOKBACK
    rows = await (await conn.execute(SITES_SQL, {"site": site})).fetchall()
    views = [_site_view(r) for r in rows]
    by_id = {v.facts.site_id: v for v in views}
    sessions = await (
        await conn.execute(SESSIONS_SQL, {"sites": list(by_id), "now": now, "since": since})
    ).fetchall()
    states = await _snapshot_states(conn, [r["session_id"] for r in sessions])
    per_site: dict[UUID, list[dict[str, Any]]] = defaultdict(list)
    for r in sessions:
        per_site[r["site_id"]].append(r)
    pauses = [
        Pause(r["site_id"], r["paused_at"], r["until"])
        for r in await (await conn.execute(PAUSES_SQL, {"now": now, "since": since})).fetchall()
    ]
    for view in views:
        _attach_sessions(view, per_site.get(view.facts.site_id, []), states, now)
        view.pauses = [p for p in pauses if p.site_id in (None, view.facts.site_id)]
        view.reason = eligibility(
            view.cadence,
            view.device_count,
            view.open_session is not None,
            view.paused_at(now) is not None,
        )
    return views


def _site_view(r: dict[str, Any]) -> SiteView:
    facts = SiteFacts(
        site_id=r["site_id"],
        site_name=r["site_name"],
        site_code=r["site_code"],
        site_type=r["site_type"],
        length=r["length"],
        width=r["width"],
        height=r["height"],
        timezone=r["timezone"],
        zones=r["zones"],
        program_id=r["program_id"],
        program_name=r["program_name"],
        program_start_date=r["program_start_date"],
        program_end_date=r["program_end_date"],
        company_id=r["company_id"],
        company_name=r["company_name"],
    )
    return SiteView(
        facts=facts,
        cadence=cadence_hours(r["cadence_hours_raw"], r["snapshot_cadence_per_day"]),
        device_count=int(r["device_count"]),
        last_snapshot_at=r["last_snapshot_at"],
    )


async def _snapshot_states(
    conn: AsyncConnection[dict[str, Any]], session_ids: list[UUID]
) -> dict[UUID, dict[str, Any]]:
    if not session_ids:
        return {}
    cur = await conn.execute(SNAPSHOT_STATE_SQL, {"sessions": session_ids})
    return {r["session_id"]: r for r in await cur.fetchall()}


def _attach_sessions(
    view: SiteView,
    rows: list[dict[str, Any]],
    states: dict[UUID, dict[str, Any]],
    now: datetime,
) -> None:
    ever = view.last_snapshot_at is not None
    rows = sorted(rows, key=lambda r: r["session_start_time"], reverse=True)
    for r in rows:
        session = _session_view(r, states.get(r["session_id"]), ever)
        if session_is_open(r["status"], r["session_start_time"], r["session_end_time"], now):
            view.open_session = session
        elif view.open_session is not None and view.previous_session is None:
            # Closed by now; its last slots still count if it was not locked early.
            locked = r["locked_at"]
            if locked is None or locked >= r["session_end_time"]:
                view.previous_session = session


def _session_view(r: dict[str, Any], state: dict[str, Any] | None, ever: bool) -> SessionView:
    facts = SessionFacts(
        session_id=r["session_id"],
        session_date=r["session_date"],
        start=r["session_start_time"],
        end=r["session_end_time"],
        status=r["status"],
        expected_wake_count=int(r["expected_wake_count"]),
    )
    provisional = dict(zip(state["prov_starts"], state["prov_wakes"], strict=True)) if state else {}
    covered = state["covered_until"] if state else None
    if covered is None and provisional:
        # Only forced rows so far: forcing must not turn into a backfill of the session.
        ever = False
    return SessionView(
        facts=facts,
        state=SessionState(
            covered_until=covered,
            last_wake_number=int(state["last_wake_number"]) if state else 0,
            provisional=provisional,
            site_ever_snapshotted=ever,
        ),
    )
