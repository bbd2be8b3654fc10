"""The demo fleet going on living: wakes, petri images and sessions as simulated time passes.

The seeded fleet (:mod:`snapwatch.demo.fleet`) is history up to the instant it was seeded.
:class:`DeviceSimulator` continues it: each :meth:`~DeviceSimulator.step` writes, for every
counting device, a wake at each of its cron fire times (:func:`snapwatch.demo.cron.
fire_times`, in the site's zone) up to ``now`` — telemetry from
:func:`snapwatch.demo.telemetry.reading` on the device's own climate, sensor profile and
battery, and a petri image scored on its growth curve (:mod:`snapwatch.demo.growth`) —
and opens a session at each site-local midnight (``in_progress``), locking the one that
ended at its end. A wake is :func:`snapwatch.demo.simulated_wake.simulate_wake`'s, written
by :func:`snapwatch.demo.wake_writer.write_wakes`. The devices' plans are rebuilt exactly as
they were seeded (same seed, same seed instant), so the curves and the battery drain
continue where the seeded history stops.

Nothing is written ahead of ``now``: a wake is written once it has arrived
(``received_at <= now``), an image gets its score once scored, a session once it has
started. Everything is idempotent and needs no state outside the database: ids are
derived from the seed, the device and the fire time (the seeded history's own keys), each
wake's values from a random stream of its own, inserts skip rows that exist, and a step
looks back :data:`LOOK_BACK` before the newest wake stored, so a wake or a score still
in flight when a process stopped is written by the next one — never twice, never a gap.

Which instant the fleet was seeded at is read from the fleet itself: the site whose
session was "closed early for maintenance" on the seed day was locked halfway between the
session start and the seed instant (:func:`snapwatch.demo.site_days.site_sessions`).

Decisions of the simulation: devices that the fleet has "offline" stay offline; random
gaps and alerts are not simulated; the session's wake counts are left as seeded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection
from psycopg.rows import dict_row

from snapwatch.demo.cron import fire_times, local_midnight
from snapwatch.demo.layout import SITES
from snapwatch.demo.places import DevicePlan, Ids, build_places, site_zone
from snapwatch.demo.rows import Image, Payload, Site
from snapwatch.demo.seed import DemoSeedError
from snapwatch.demo.simulated_wake import DAY, simulate_wake
from snapwatch.demo.wake_writer import write_wakes
from snapwatch.infra.clock import Clock
from snapwatch.infra.dbsession import DbSession

LOOK_BACK = timedelta(minutes=15)
"""How far before the newest stored wake a step looks again: longer than a wake takes to
arrive (fire + 6 s + 90 s; a retry up to 336 s later) and to be scored (up to 480 s more)."""

SIM_LOCK = 0x736E_6170_7369_6D75  # "snapsimu": one simulator step at a time

Conn = AsyncConnection[Any]

# The seed day's session closed early: locked at start + (seed instant - start) / 2.
EARLY_LOCK_SQL = """
SELECT session_start_time, locked_at
  FROM site_device_sessions
 WHERE site_id = %(site)s AND status = 'locked' AND locked_at < session_end_time
 ORDER BY session_start_time
 LIMIT 1
"""

# Per site: where its history starts (the first session) and its newest session.
SESSIONS_SQL = """
SELECT site_id, min(session_start_time) AS first_start, max(session_date) AS last_date
  FROM site_device_sessions
 WHERE site_id = ANY(%(sites)s::uuid[])
 GROUP BY site_id
"""

# The newest wake of each device, through (device_id, captured_at DESC).
NEWEST_WAKE_SQL = """
SELECT max(w.captured_at) AS newest
  FROM unnest(%(devices)s::uuid[]) AS d(device_id)
 CROSS JOIN LATERAL (SELECT p.captured_at FROM device_wake_payloads p
                      WHERE p.device_id = d.device_id
                      ORDER BY p.captured_at DESC LIMIT 1) w
"""

OPEN_SESSIONS_SQL = """
INSERT INTO site_device_sessions (session_id, company_id, program_id, site_id, session_date,
                                  session_start_time, session_end_time, expected_wake_count,
                                  status)
SELECT *, 'in_progress' FROM unnest(%(ids)s::uuid[], %(companies)s::uuid[],
                                    %(programs)s::uuid[], %(sites)s::uuid[], %(dates)s::date[],
                                    %(starts)s::timestamptz[], %(ends)s::timestamptz[],
                                    %(expected)s::int[])
ON CONFLICT DO NOTHING
RETURNING session_id
"""

# Sessions that have ended are locked at their end (the seed-day one closed early stays).
LOCK_SESSIONS_SQL = """
UPDATE site_device_sessions
   SET status = 'locked', locked_at = session_end_time
 WHERE site_id = ANY(%(sites)s::uuid[]) AND status <> 'locked'
   AND session_end_time <= %(now)s
RETURNING session_id
"""


@dataclass(frozen=True, slots=True)
class StepReport:
    as_of: datetime
    wakes: int = 0
    """Wake payloads written (retries included)."""
    images: int = 0
    """Images written."""
    scored: int = 0
    """Images that got their score (new and earlier ones)."""
    sessions_opened: int = 0
    sessions_locked: int = 0

    @property
    def wrote(self) -> bool:
        return bool(self.wakes or self.images or self.scored or self.sessions_opened)


@dataclass(frozen=True, slots=True)
class _Fleet:
    seeded_at: datetime
    plans: tuple[DevicePlan, ...]
    """Devices that wake: counting and not offline."""
    sites: tuple[Site, ...]
    counting: dict[UUID, tuple[DevicePlan, ...]]
    """Every counting device per site (for the sessions' expected wake count)."""


async def seeded_at(conn: Conn, seed: int) -> datetime:
    """The instant the demo fleet of ``seed`` was seeded at, read from the fleet itself."""
    ids = Ids(seed)
    spec = next(s for s in SITES if s.session_locked_today)
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(EARLY_LOCK_SQL, {"site": ids(f"site:{spec.key}")})
        row = await cur.fetchone()
    if row is None:
        raise DemoSeedError(f"the demo fleet of seed {seed} is not in this database")
    start: datetime = row["session_start_time"]
    locked: datetime = row["locked_at"]
    return start + 2 * (locked - start)


class DeviceSimulator:
    """Steps the demo fleet of ``seed`` forward; ``clock`` gives ``now`` when a step is not
    told it. One step is one transaction."""

    def __init__(self, source: Conn | DbSession, clock: Clock, seed: int) -> None:
        self._source = source
        self._clock = clock
        self._seed = seed
        self._ids = Ids(seed)
        self._fleet: _Fleet | None = None
        self._first_start: dict[UUID, datetime] = {}
        self._scanned_to: datetime | None = None

    async def step(self, now: datetime | None = None) -> StepReport:
        """Write what the fleet did up to ``now`` (default the clock's now)."""
        at = (now or self._clock.now()).astimezone(UTC)
        if isinstance(self._source, DbSession):
            async with self._source.use() as conn:
                return await self._step(conn, at)
        return await self._step(self._source, at)

    async def _step(self, conn: Conn, now: datetime) -> StepReport:
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(%s)", (SIM_LOCK,))
            fleet = await self._load(conn)
            opened = await self._open_sessions(conn, fleet, now)
            cur = await conn.execute(
                LOCK_SESSIONS_SQL, {"sites": [s.site_id for s in fleet.sites], "now": now}
            )
            locked = len(await cur.fetchall())
            since = await self._since(conn, fleet, now)
            payloads, images = self._wakes(fleet, since, now)
            counts = await write_wakes(conn, payloads, images)
        self._scanned_to = max(now, self._scanned_to or now)
        return StepReport(now, *counts, sessions_opened=opened, sessions_locked=locked)

    async def _load(self, conn: Conn) -> _Fleet:
        if self._fleet is None:
            when = await seeded_at(conn, self._seed)
            places = build_places(self._seed, when, self._ids)
            counting: dict[UUID, list[DevicePlan]] = {s.site_id: [] for s in places.sites}
            for plan in places.plans:
                if plan.counting:
                    counting[plan.site.site_id].append(plan)
            self._fleet = _Fleet(
                seeded_at=when,
                plans=tuple(p for p in places.plans if p.counting and p.offline_for is None),
                sites=places.sites,
                counting={k: tuple(v) for k, v in counting.items()},
            )
        return self._fleet

    async def _since(self, conn: Conn, fleet: _Fleet, now: datetime) -> datetime:
        """Fires after this instant are (re)considered: a look-back before the newest wake
        stored (or before the seed instant), or before the last step of this process."""
        if self._scanned_to is not None:
            return min(self._scanned_to, now) - LOOK_BACK
        async with conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(
                NEWEST_WAKE_SQL, {"devices": [p.device.device_id for p in fleet.plans]}
            )
            row = await cur.fetchone()
        newest = row["newest"] if row is not None else None
        return (newest or fleet.seeded_at) - LOOK_BACK

    async def _open_sessions(self, conn: Conn, fleet: _Fleet, now: datetime) -> int:
        async with conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(SESSIONS_SQL, {"sites": [s.site_id for s in fleet.sites]})
            known = {r["site_id"]: r for r in await cur.fetchall()}
        new: list[tuple[Site, date, datetime, datetime]] = []
        for site in fleet.sites:
            row = known.get(site.site_id)
            if row is None:
                continue
            self._first_start.setdefault(site.site_id, row["first_start"])
            tz = site_zone(site)
            day: date = row["last_date"] + DAY
            while (start := local_midnight(day, tz)) <= now:
                new.append((site, day, start, local_midnight(day + DAY, tz)))
                day += DAY
        if not new:
            return 0
        expected = [
            sum(
                len(fire_times(p.device.wake_schedule_cron, site_zone(s), a, b))
                for p in fleet.counting.get(s.site_id, ())
            )
            for s, _, a, b in new
        ]
        params = {
            "ids": [self._ids(f"session:{s.site_id}:{d.isoformat()}") for s, d, _, _ in new],
            "companies": [s.company_id for s, _, _, _ in new],
            "programs": [s.program_id for s, _, _, _ in new],
            "sites": [s.site_id for s, _, _, _ in new],
            "dates": [d for _, d, _, _ in new],
            "starts": [a for _, _, a, _ in new],
            "ends": [b for _, _, _, b in new],
            "expected": expected,
        }
        cur = await conn.execute(OPEN_SESSIONS_SQL, params)
        return len(await cur.fetchall())

    def _wakes(
        self, fleet: _Fleet, since: datetime, now: datetime
    ) -> tuple[list[Payload], list[Image]]:
        payloads: list[Payload] = []
        images: list[Image] = []
        end = now + timedelta(microseconds=1)  # fire times up to and including now
        for plan in fleet.plans:
            first = self._first_start.get(plan.site.site_id)
            if first is None:
                continue
            lo = max(since, first)
            for fire in fire_times(plan.device.wake_schedule_cron, plan.tz, lo, end):
                wake = simulate_wake(
                    plan, fire, history_start=first, ids=self._ids, seed=self._seed
                )
                payloads += [p for p in wake.payloads if p.received_at <= now]
                if wake.image is not None and wake.payloads[0].received_at <= now:
                    images.append(wake.image_as_of(now))
        return payloads, images
