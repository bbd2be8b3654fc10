"""The demo fleet going on living: wakes, petri images and sessions as simulated time passes.

The seeded fleet (:mod:`snapwatch.demo.fleet`) is history up to the instant it was seeded.
:class:`DeviceSimulator` continues it: each :meth:`~DeviceSimulator.step` writes, for every
counting device, a wake at each of its cron fire times (:func:`snapwatch.demo.cron.
fire_times`, in the site's zone) up to ``now`` — telemetry from
:func:`snapwatch.demo.telemetry.reading` on the device's own climate, sensor profile and
battery, and a petri image scored on its growth curve (:mod:`snapwatch.demo.growth`) —
and opens a session at each site-local midnight (``in_progress``), locking the one that
ended at its end. The devices' plans are rebuilt exactly as they were seeded (same seed,
same seed instant), so the curves and the battery drain continue where the seeded history
stops.

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

import random
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection, sql
from psycopg.rows import dict_row

from snapwatch.demo.cron import fire_times, parse_cron
from snapwatch.demo.growth import observed_score
from snapwatch.demo.history import (
    IMAGE_URL,
    RETRY_SHARE,
    image_every,
    wake_reading,
)
from snapwatch.demo.layout import SITES
from snapwatch.demo.places import DevicePlan, Ids, build_places, site_zone
from snapwatch.demo.rows import Image, Payload, Site
from snapwatch.demo.seed import DemoSeedError
from snapwatch.demo.telemetry import battery_health, reading
from snapwatch.infra.clock import Clock
from snapwatch.infra.dbsession import DbSession

DEMO_CLOCK_NAME = "demo"
DEFAULT_SPEED = 120.0
"""Simulated seconds per wall second: a 15-minute slot every 7.5 s, an hourly one every
30 s, a day in 12 minutes; the fleet makes about six wakes a second."""

LOOK_BACK = timedelta(minutes=15)
"""How far before the newest stored wake a step looks again: longer than a wake takes to
arrive (fire + 6 s + 90 s; a retry up to 336 s later) and to be scored (up to 480 s more)."""

SIM_LOCK = 0x736E_6170_7369_6D75  # "snapsimu": one simulator step at a time
DAY = timedelta(days=1)

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

_PAYLOAD_TYPES = {
    "payload_id": "uuid",
    "company_id": "uuid",
    "program_id": "uuid",
    "site_id": "uuid",
    "site_device_session_id": "uuid",
    "device_id": "uuid",
    "captured_at": "timestamptz",
    "received_at": "timestamptz",
    "temperature": "numeric",
    "humidity": "numeric",
    "pressure": "numeric",
    "gas_resistance": "numeric",
    "battery_voltage": "numeric",
    "wifi_rssi": "int",
    "image_id": "uuid",
    "payload_status": "text",
    "wake_type": "text",
}
_IMAGE_TYPES = {
    "image_id": "uuid",
    "device_id": "uuid",
    "image_url": "text",
    "captured_at": "timestamptz",
    "status": "text",
    "site_id": "uuid",
    "site_device_session_id": "uuid",
    "wake_payload_id": "uuid",
    "mgi_score": "numeric",
    "scored_at": "timestamptz",
    "observation_type": "text",
}


def _insert(table: str, types: dict[str, str], tail: str) -> str:
    """``INSERT INTO table (columns) SELECT * FROM unnest(one typed array per column)``."""
    arrays = [sql.SQL("{}::{}[]").format(sql.Placeholder(c), sql.SQL(t)) for c, t in types.items()]
    query = sql.SQL("INSERT INTO {} ({}) SELECT * FROM unnest({}) {}").format(
        sql.Identifier(table),
        sql.SQL(", ").join(map(sql.Identifier, types)),
        sql.SQL(", ").join(arrays),
        sql.SQL(tail),
    )
    return query.as_string()


PAYLOADS_SQL = _insert(
    "device_wake_payloads", _PAYLOAD_TYPES, "ON CONFLICT (payload_id) DO NOTHING RETURNING 1"
)
# An image arrives with its wake, unscored until the scorer got to it: a later step gives
# it its score (never changes one).
IMAGES_SQL = _insert(
    "device_images",
    _IMAGE_TYPES,
    """ON CONFLICT (image_id) DO UPDATE
          SET mgi_score = EXCLUDED.mgi_score, scored_at = EXCLUDED.scored_at
        WHERE device_images.mgi_score IS NULL AND EXCLUDED.mgi_score IS NOT NULL
    RETURNING (xmax = 0) AS inserted, mgi_score IS NOT NULL AS scored""",
)

# The platform's roll-ups on the device rows, from the wakes written: the times move
# forward only, and battery and signal follow the newest wake (not one that arrived late).
DEVICES_SQL = """
UPDATE devices d
   SET last_seen_at = greatest(d.last_seen_at, u.seen),
       last_wake_at = greatest(d.last_wake_at, u.woke),
       battery_voltage = CASE WHEN u.newest THEN coalesce(u.volts, d.battery_voltage)
                              ELSE d.battery_voltage END,
       battery_health_percent = CASE WHEN u.newest
                                     THEN coalesce(u.health, d.battery_health_percent)
                                     ELSE d.battery_health_percent END,
       wifi_rssi = CASE WHEN u.newest THEN coalesce(u.rssi, d.wifi_rssi) ELSE d.wifi_rssi END
  FROM unnest(%(devices)s::uuid[], %(seen)s::timestamptz[], %(woke)s::timestamptz[],
              %(volts)s::numeric[], %(health)s::int[], %(rssi)s::int[])
       AS u0(device_id, seen, woke, volts, health, rssi)
 CROSS JOIN LATERAL (SELECT u0.*, u0.woke >= coalesce(d2.last_wake_at, '-infinity') AS newest
                       FROM devices d2 WHERE d2.device_id = u0.device_id) u
 WHERE d.device_id = u.device_id
"""


@dataclass(frozen=True, slots=True)
class DemoClockSettings:
    """How the demo runs on the shared accelerated clock."""

    name: str
    speed: float
    """Simulated seconds per wall second."""
    step_seconds: float
    """Wall seconds between two simulator steps."""
    tick_seconds: float
    """Wall seconds between scheduler ticks that keep up with a 15-minute site."""


def demo_clock_settings(speed: float = DEFAULT_SPEED) -> DemoClockSettings:
    """Settings of the demo clock at ``speed``: steps and ticks every 5 simulated minutes
    (2.5 wall seconds at the default speed), at most every 0.5 s and at least every 60 s."""
    if speed <= 0:
        raise ValueError("the demo speed must be positive")
    every = min(60.0, max(0.5, 300.0 / speed))
    return DemoClockSettings(DEMO_CLOCK_NAME, float(speed), every, every)


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
            counts = await self._write(conn, payloads, images)
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
            while (start := _local_midnight(day, tz)) <= now:
                new.append((site, day, start, _local_midnight(day + DAY, tz)))
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

    async def _write(
        self, conn: Conn, payloads: list[Payload], images: list[Image]
    ) -> tuple[int, int, int]:
        new_images = scored = 0
        if images:
            cur = await conn.execute(IMAGES_SQL, _columns(images, _IMAGE_TYPES))
            done = await cur.fetchall()
            new_images = sum(1 for r in done if _get(r, "inserted", 0))
            scored = sum(1 for r in done if _get(r, "scored", 1))
        wakes = 0
        if payloads:
            cur = await conn.execute(PAYLOADS_SQL, _columns(payloads, _PAYLOAD_TYPES))
            wakes = len(await cur.fetchall())
            await conn.execute(DEVICES_SQL, _rollups(payloads))
        return wakes, new_images, scored


@dataclass(frozen=True, slots=True)
class SimulatedWake:
    """One fire of a device's schedule: its payload (and a retry after a failure) and the
    image it took, with the score the scorer will give it and when."""

    payloads: tuple[Payload, ...]
    image: Image | None
    """With its eventual score; see :meth:`image_as_of`."""

    def image_as_of(self, now: datetime) -> Image:
        """The image as it stands at ``now``: unscored until its ``scored_at``."""
        assert self.image is not None
        image = self.image
        if image.scored_at is None or image.scored_at <= now:
            return image
        return replace(image, mgi_score=None, scored_at=None)


def simulate_wake(
    plan: DevicePlan, fire: datetime, *, history_start: datetime, ids: Ids, seed: int
) -> SimulatedWake:
    """The wake of ``plan``'s device at ``fire``: a pure function of the seed, the device and
    the fire time, with the seeded history's ids and shares of failed, pending and partial
    wakes, retries and images."""
    device, site = plan.device, plan.site
    key = str(int(fire.timestamp()))
    rng = random.Random(f"{seed}:{device.device_code}:{key}:sim")
    captured = fire + timedelta(seconds=rng.uniform(0.5, 6.0))
    received = captured + timedelta(seconds=rng.uniform(5.0, 90.0))
    program_day = (captured - plan.program_start) / DAY
    status, values = wake_reading(plan, captured, history_start=history_start, rng=rng)
    every = image_every(parse_cron(device.wake_schedule_cron).per_day)
    takes_image = _index_in_day(plan, fire) % every == 0
    image_id = (
        ids(f"image:{device.device_code}:{key}") if takes_image and status != "failed" else None
    )
    session = ids(f"session:{site.site_id}:{captured.astimezone(plan.tz).date().isoformat()}")

    def payload(pid: str, at: datetime, came: datetime, kind: str, **v: Any) -> Payload:
        return Payload(
            payload_id=ids(f"payload:{device.device_code}:{pid}"),
            company_id=site.company_id,
            program_id=site.program_id,
            site_id=site.site_id,
            site_device_session_id=session,
            device_id=device.device_id,
            captured_at=at,
            received_at=came,
            **v,
            wake_type=kind,
        )

    wake = payload(
        key,
        captured,
        received,
        "image_wake" if takes_image else "telemetry_only",
        temperature=values.temperature,
        humidity=values.humidity,
        pressure=values.pressure,
        gas_resistance=values.gas_resistance,
        battery_voltage=values.battery_voltage,
        wifi_rssi=values.wifi_rssi,
        image_id=image_id,
        payload_status=status,
    )
    out = [wake]
    image = None
    if image_id is not None:
        complete = status == "complete"
        scored_at = received + timedelta(seconds=rng.uniform(90.0, 480.0))
        score = observed_score(plan.curve, program_day, rng)
        image = Image(
            image_id=image_id,
            device_id=device.device_id,
            image_url=IMAGE_URL.format(
                code=device.device_code.lower(), stamp=captured.strftime("%Y%m%dT%H%M%SZ")
            ),
            captured_at=captured,
            status="complete" if complete else "receiving",
            site_id=site.site_id,
            site_device_session_id=session,
            wake_payload_id=wake.payload_id,
            mgi_score=score if complete else None,
            scored_at=scored_at if complete else None,
            observation_type="petri",
        )
    if status == "failed" and rng.random() < RETRY_SHARE:
        retried = captured + timedelta(seconds=rng.uniform(120.0, 300.0))
        again = reading(
            plan.climate,
            plan.profile,
            at=retried,
            tz=plan.tz,
            days_elapsed=(retried - history_start) / DAY,
            mgi=plan.curve.at((retried - plan.program_start) / DAY),
            rng=rng,
        )
        out.append(
            payload(
                f"{key}:retry",
                retried,
                retried + timedelta(seconds=rng.uniform(5.0, 30.0)),
                "retry",
                temperature=again.temperature,
                humidity=again.humidity,
                pressure=again.pressure,
                gas_resistance=again.gas_resistance,
                battery_voltage=again.battery_voltage,
                wifi_rssi=again.wifi_rssi,
                image_id=None,
                payload_status="complete",
            )
        )
    return SimulatedWake(tuple(out), image)


def _index_in_day(plan: DevicePlan, fire: datetime) -> int:
    """The fire's place among its local day's fires: fast schedules image every 2nd or 4th
    wake counted from local midnight, as the seeded history (which starts at one) does."""
    local_day = fire.astimezone(plan.tz).date()
    return len(
        fire_times(
            plan.device.wake_schedule_cron, plan.tz, _local_midnight(local_day, plan.tz), fire
        )
    )


def _local_midnight(day: date, tz: Any) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def _columns(rows: list[Any], types: dict[str, str]) -> dict[str, list[Any]]:
    return {name: [getattr(r, name) for r in rows] for name in types}


def _rollups(payloads: list[Payload]) -> dict[str, list[Any]]:
    newest: dict[UUID, Payload] = {}
    seen: dict[UUID, datetime] = {}
    for p in sorted(payloads, key=lambda p: p.captured_at):
        newest[p.device_id] = p
        seen[p.device_id] = max(p.received_at, seen.get(p.device_id, p.received_at))
    latest = list(newest.values())
    return {
        "devices": [p.device_id for p in latest],
        "seen": [seen[p.device_id] for p in latest],
        "woke": [p.captured_at for p in latest],
        "volts": [p.battery_voltage for p in latest],
        "health": [
            battery_health(p.battery_voltage) if p.battery_voltage is not None else None
            for p in latest
        ],
        "rssi": [p.wifi_rssi for p in latest],
    }


def _get(row: Any, key: str, index: int) -> Any:
    return row[key] if isinstance(row, dict) else row[index]
