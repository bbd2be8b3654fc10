"""One clock for everything: the only place that reads the wall clock.

Three clocks: the system clock, a fixed clock (tests, ``run-once --at``) and an
accelerated clock (the demo, tests) on which days of schedule run in minutes. An
accelerated clock can be shared through the database (table ``snapwatch.clocks``) so that
every process naming it lives on one simulated timeline, and a restart continues that
timeline where it stopped instead of jumping ahead.
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


class FixedClock:
    """A clock that only moves when told to (tests, ``run-once --at``)."""

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
