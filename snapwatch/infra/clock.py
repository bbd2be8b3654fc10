"""One clock for everything: the only place that reads the wall clock.

Four clocks: the system clock; the database's clock seen from this host (the system clock
plus its measured offset from the server's, so that processes on hosts whose clocks
differ agree on "now"); a fixed clock (tests); and an accelerated clock (the demo, tests)
on which days of schedule run in minutes. An accelerated clock can be shared through the
database (table ``snapwatch.clocks``) so that every process naming it lives on one
simulated timeline, and a restart continues that timeline where it stopped instead of
jumping ahead. :func:`command_clock` gives one-shot commands the clock the schedulers
use: a live shared clock when one runs on the database, else the database's clock.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from psycopg import AsyncConnection
from psycopg.rows import dict_row

LIVE_SECONDS = 15.0
"""A shared clock whose row was touched within this many wall seconds is in use by a
running process: a newcomer joins its timeline instead of continuing from where it got."""


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware UTC."""
        ...

    def describe(self) -> str:
        """What this clock is, in a few words (stored with each scheduler instance)."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def describe(self) -> str:
        return "system"


class DatabaseClock:
    """The database server's clock, read from this host: ``wall.now()`` plus the offset
    last measured by :meth:`measure` (zero until then). Every process measures it when it
    connects and at every tick, so due-ness, as-of instants and time stamps agree across
    hosts whose clocks differ (design/platform.md, "One clock")."""

    def __init__(self, wall: Clock | None = None) -> None:
        self.wall: Clock = wall or SystemClock()
        self.offset = timedelta(0)
        """The database's clock minus this host's (positive: this host is behind)."""
        self.measured = False

    def now(self) -> datetime:
        return self.wall.now() + self.offset

    @property
    def offset_seconds(self) -> float | None:
        """The measured offset in seconds; None before the first measurement."""
        return self.offset.total_seconds() if self.measured else None

    async def measure(self, conn: AsyncConnection[Any]) -> timedelta:
        """Read the server's clock once and keep the offset (half the round trip is
        taken as the one-way delay)."""
        before = self.wall.now()
        cur = await conn.execute("SELECT clock_timestamp() AS server_now")
        row = await cur.fetchone()
        after = self.wall.now()
        assert row is not None
        server = row["server_now"] if isinstance(row, dict) else row[0]
        self.offset = _aware(server) - (before + (after - before) / 2)
        self.measured = True
        return self.offset

    def describe(self) -> str:
        return "database"


def database_clock(clock: Clock) -> DatabaseClock | None:
    """The database clock under ``clock`` (itself, or an accelerated clock's wall)."""
    if isinstance(clock, DatabaseClock):
        return clock
    if isinstance(clock, AcceleratedClock) and isinstance(clock.wall, DatabaseClock):
        return clock.wall
    return None


async def sync_clock(conn: AsyncConnection[Any], clock: Clock) -> float | None:
    """Measure the database clock under ``clock`` again (a tick does, every time);
    returns the offset in seconds, None when ``clock`` does not follow the database."""
    db = database_clock(clock)
    if db is None:
        return None
    await db.measure(conn)
    return db.offset_seconds


def offset_text(seconds: float, host: str = "this host") -> str:
    """``this host's clock is 3.2 s behind the database`` (or ahead of)."""
    side = "behind" if seconds > 0 else "ahead of"
    return f"{host}'s clock is {abs(seconds):.1f} s {side} the database"


def offset_warning(seconds: float | None, bound: float, host: str = "this host") -> str | None:
    """:func:`offset_text` when the offset is beyond ``bound`` seconds, else None."""
    if seconds is None or abs(seconds) <= bound:
        return None
    return offset_text(seconds, host)


class FixedClock:
    """A clock that only moves when told to (tests)."""

    def __init__(self, at: datetime) -> None:
        self._at = _aware(at)

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        self._at = _aware(at)

    def advance(self, delta: timedelta) -> None:
        self._at += delta

    def describe(self) -> str:
        return f"fixed {self._at.isoformat()}"


class AcceleratedClock:
    """Simulated time running ``speed`` times faster than ``wall`` from an anchor:
    ``now() = anchor_sim + (wall.now() - anchor_wall) * speed``.

    ``name`` is set when the clock is shared through the database (see
    :func:`open_shared_clock`)."""

    def __init__(
        self,
        anchor_sim: datetime,
        anchor_wall: datetime,
        speed: float,
        wall: Clock | None = None,
        *,
        name: str | None = None,
    ) -> None:
        if speed <= 0:
            raise ValueError("clock speed must be positive")
        self.anchor_sim = _aware(anchor_sim)
        self.anchor_wall = _aware(anchor_wall)
        self.speed = float(speed)
        self.wall: Clock = wall or SystemClock()
        self.name = name

    def now(self) -> datetime:
        return self.at_wall(self.wall.now())

    def at_wall(self, wall_instant: datetime) -> datetime:
        """The simulated instant at a given wall instant."""
        return self.anchor_sim + (wall_instant - self.anchor_wall) * self.speed

    def reanchor(self, anchor_sim: datetime, anchor_wall: datetime, speed: float) -> None:
        """Follow a new anchor (another process changed the shared clock's speed)."""
        self.anchor_sim = _aware(anchor_sim)
        self.anchor_wall = _aware(anchor_wall)
        self.speed = float(speed)

    def describe(self) -> str:
        named = f" {self.name!r}" if self.name is not None else ""
        return f"accelerated{named} x{self.speed:g}"


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ValueError("clock instants must be timezone-aware")
    return at.astimezone(UTC)


LOCK_SQL = "SELECT * FROM snapwatch.clocks WHERE name = %(name)s FOR UPDATE"

CREATE_SQL = """
INSERT INTO snapwatch.clocks (name, speed, anchor_sim, anchor_wall, reached_sim, reached_wall)
VALUES (%(name)s, %(speed)s, %(sim)s, %(wall)s, %(sim)s, %(wall)s)
ON CONFLICT (name) DO NOTHING
RETURNING *
"""

REANCHOR_SQL = """
UPDATE snapwatch.clocks
   SET speed = %(speed)s, anchor_sim = %(sim)s, anchor_wall = %(wall)s,
       reached_sim = greatest(reached_sim, %(sim)s), reached_wall = %(wall)s
 WHERE name = %(name)s
"""

# An upsert, so that a row deleted under a running process comes back with its anchor.
REACHED_SQL = """
INSERT INTO snapwatch.clocks (name, speed, anchor_sim, anchor_wall, reached_sim, reached_wall)
VALUES (%(name)s, %(speed)s, %(anchor_sim)s, %(anchor_wall)s, %(sim)s, %(wall)s)
ON CONFLICT (name) DO UPDATE
   SET reached_sim = greatest(clocks.reached_sim, excluded.reached_sim),
       reached_wall = greatest(clocks.reached_wall, excluded.reached_wall)
RETURNING speed, anchor_sim, anchor_wall
"""


async def open_shared_clock(
    conn: AsyncConnection[Any], name: str, *, start: datetime, speed: float, wall: Clock
) -> AcceleratedClock:
    """The shared accelerated clock ``name``, decided in one transaction on its locked row.

    - no row: a new timeline starting at ``start`` now;
    - a row touched within :data:`LIVE_SECONDS` (a process is running it): join its
      timeline; if ``speed`` differs, re-anchor at the current simulated instant so the
      timeline stays continuous and the others follow at their next
      :func:`record_reached`;
    - a stale row (everyone stopped): continue from where it got (``reached_sim``) now,
      so a restart never jumps ahead. ``start`` then does not matter."""
    if speed <= 0:
        raise ValueError("clock speed must be positive")
    await sync_clock(conn, wall)
    async with conn.transaction(), conn.cursor(row_factory=dict_row) as cur:
        here = wall.now()
        await cur.execute(LOCK_SQL, {"name": name})
        row = await cur.fetchone()
        if row is None:
            await cur.execute(
                CREATE_SQL, {"name": name, "speed": speed, "sim": _aware(start), "wall": here}
            )
            row = await cur.fetchone()
            if row is not None:  # created by us
                return AcceleratedClock(row["anchor_sim"], here, speed, wall, name=name)
            await cur.execute(LOCK_SQL, {"name": name})  # created meanwhile by another
            row = await cur.fetchone()
            assert row is not None
        live = (here - row["reached_wall"]).total_seconds() <= LIVE_SECONDS
        if live:
            clock = AcceleratedClock(
                row["anchor_sim"], row["anchor_wall"], row["speed"], wall, name=name
            )
            if clock.speed == float(speed):
                return clock
            sim = clock.now()
        else:
            sim = row["reached_sim"]
        await cur.execute(REANCHOR_SQL, {"name": name, "speed": speed, "sim": sim, "wall": here})
        return AcceleratedClock(sim, here, speed, wall, name=name)


# Shared clocks a scheduler marked live within LIVE_SECONDS of the database's now,
# newest first (their rows are stamped on the database's clock, see DatabaseClock).
LIVE_CLOCKS_SQL = """
SELECT name, speed, anchor_sim, anchor_wall
  FROM snapwatch.clocks
 WHERE reached_wall > clock_timestamp() - make_interval(secs => %(live)s)
 ORDER BY reached_wall DESC, name
 LIMIT 1
"""


async def command_clock(conn: AsyncConnection[Any], wall: Clock | None = None) -> Clock:
    """The clock a one-shot command (``force``, ``pause``, ``run-once``, ``status``,
    ``inspect``) takes "now" from: the same as the schedulers'. A shared accelerated clock
    that a running scheduler keeps live (the demo's) is joined without changing it;
    otherwise the database's clock, measured on ``conn``."""
    db = DatabaseClock(wall)
    await db.measure(conn)
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(LIVE_CLOCKS_SQL, {"live": LIVE_SECONDS})
        row = await cur.fetchone()
    if row is None:
        return db
    return AcceleratedClock(
        row["anchor_sim"], row["anchor_wall"], row["speed"], db, name=row["name"]
    )


async def command_now(conn: AsyncConnection[Any], at: datetime | None = None) -> datetime:
    """``at`` when given, else now on :func:`command_clock`."""
    return at if at is not None else (await command_clock(conn)).now()


async def record_reached(conn: AsyncConnection[Any], clock: AcceleratedClock) -> None:
    """Record how far the shared clock got (so a restart continues from there) and
    follow its current anchor (so processes that joined it converge)."""
    if clock.name is None:
        raise ValueError("only a shared (named) clock is recorded")
    here = clock.wall.now()
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(
            REACHED_SQL,
            {
                "name": clock.name,
                "speed": clock.speed,
                "anchor_sim": clock.anchor_sim,
                "anchor_wall": clock.anchor_wall,
                "sim": clock.at_wall(here),
                "wall": here,
            },
        )
        row = await cur.fetchone()
    assert row is not None
    clock.reanchor(row["anchor_sim"], row["anchor_wall"], row["speed"])
