"""Clocks: the accelerated clock's arithmetic, and the shared clock's timeline in the
database (create, join a live one, continue after everyone stopped)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from psycopg import AsyncConnection

from snapwatch.infra.clock import (
    LIVE_SECONDS,
    AcceleratedClock,
    FixedClock,
    SystemClock,
    open_shared_clock,
    record_reached,
)

SIM = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)
WALL = datetime(2030, 1, 1, 8, 0, tzinfo=UTC)


def test_accelerated_clock_runs_speed_times_faster_than_its_wall() -> None:
    wall = FixedClock(WALL)
    clock = AcceleratedClock(SIM, WALL, 60, wall)
    assert clock.now() == SIM
    wall.advance(timedelta(seconds=90))
    assert clock.now() == SIM + timedelta(minutes=90)
    wall.set(WALL - timedelta(seconds=1))  # before the anchor: simulated time before too
    assert clock.now() == SIM - timedelta(minutes=1)


def test_accelerated_clock_reanchors_without_a_jump() -> None:
    wall = FixedClock(WALL)
    clock = AcceleratedClock(SIM, WALL, 60, wall)
    wall.advance(timedelta(seconds=10))
    here = clock.now()
    clock.reanchor(here, wall.now(), 3600)
    assert clock.now() == here
    wall.advance(timedelta(seconds=1))
    assert clock.now() == here + timedelta(hours=1)


def test_every_clock_describes_itself() -> None:
    assert SystemClock().describe() == "system"
    assert FixedClock(SIM).describe() == "fixed 2026-06-10T12:00:00+00:00"
    assert AcceleratedClock(SIM, WALL, 60, name="demo").describe() == "accelerated 'demo' x60"
    assert AcceleratedClock(SIM, WALL, 1.5).describe() == "accelerated x1.5"


def test_clocks_refuse_naive_instants_and_a_speed_that_is_not_positive() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        AcceleratedClock(SIM.replace(tzinfo=None), WALL, 2)
    with pytest.raises(ValueError, match="positive"):
        AcceleratedClock(SIM, WALL, 0)


async def clock_row(conn: AsyncConnection[Any], name: str) -> dict[str, Any]:
    cur = await conn.execute("SELECT * FROM snapwatch.clocks WHERE name = %s", (name,))
    row = await cur.fetchone()
    assert row is not None
    return dict(row)


async def test_a_new_shared_clock_starts_at_start_now(conn: AsyncConnection[Any]) -> None:
    wall = FixedClock(WALL)
    clock = await open_shared_clock(conn, "demo", start=SIM, speed=60, wall=wall)
    assert clock.now() == SIM and clock.describe() == "accelerated 'demo' x60"
    row = await clock_row(conn, "demo")
    assert (row["anchor_sim"], row["anchor_wall"], row["speed"]) == (SIM, WALL, 60)
    assert (row["reached_sim"], row["reached_wall"]) == (SIM, WALL)


async def test_a_second_process_joins_a_live_clocks_timeline(conn: AsyncConnection[Any]) -> None:
    wall = FixedClock(WALL)
    first = await open_shared_clock(conn, "demo", start=SIM, speed=60, wall=wall)
    wall.advance(timedelta(seconds=5))
    await record_reached(conn, first)
    wall.advance(timedelta(seconds=5))
    later_start = SIM + timedelta(days=3)  # ignored: the clock is running
    second = await open_shared_clock(conn, "demo", start=later_start, speed=60, wall=wall)
    assert second.now() == first.now() == SIM + timedelta(minutes=10)
    assert (second.anchor_sim, second.anchor_wall) == (SIM, WALL)


async def test_joining_at_another_speed_reanchors_and_the_others_follow(
    conn: AsyncConnection[Any],
) -> None:
    wall = FixedClock(WALL)
    first = await open_shared_clock(conn, "demo", start=SIM, speed=60, wall=wall)
    wall.advance(timedelta(seconds=10))
    second = await open_shared_clock(conn, "demo", start=SIM, speed=120, wall=wall)
    assert second.now() == SIM + timedelta(minutes=10)  # continuous at the switch
    wall.advance(timedelta(seconds=1))
    await record_reached(conn, first)
    assert first.speed == 120
    assert first.now() == second.now() == SIM + timedelta(minutes=12)


async def test_after_everyone_stopped_the_clock_continues_where_it_got(
    conn: AsyncConnection[Any],
) -> None:
    wall = FixedClock(WALL)
    clock = await open_shared_clock(conn, "demo", start=SIM, speed=60, wall=wall)
    wall.advance(timedelta(seconds=30))
    await record_reached(conn, clock)  # the last process stops at SIM + 30 min
    wall.advance(timedelta(hours=5))  # nobody runs it for five wall hours
    again = await open_shared_clock(conn, "demo", start=SIM, speed=60, wall=wall)
    assert again.now() == SIM + timedelta(minutes=30)  # no jump of 5 h x 60
    row = await clock_row(conn, "demo")
    assert (row["anchor_sim"], row["anchor_wall"]) == (SIM + timedelta(minutes=30), wall.now())
    assert row["reached_wall"] == wall.now()  # live again for the next process


async def test_a_clock_seen_just_within_the_live_window_is_joined(
    conn: AsyncConnection[Any],
) -> None:
    wall = FixedClock(WALL)
    await open_shared_clock(conn, "demo", start=SIM, speed=60, wall=wall)
    wall.advance(timedelta(seconds=LIVE_SECONDS))
    joined = await open_shared_clock(conn, "demo", start=SIM, speed=60, wall=wall)
    assert joined.now() == SIM + timedelta(seconds=LIVE_SECONDS * 60)
    wall.advance(timedelta(seconds=LIVE_SECONDS + 1))  # nobody recorded: stale now
    resumed = await open_shared_clock(conn, "demo", start=SIM, speed=60, wall=wall)
    assert resumed.now() == SIM


async def test_reached_never_goes_back(conn: AsyncConnection[Any]) -> None:
    wall = FixedClock(WALL)
    clock = await open_shared_clock(conn, "demo", start=SIM, speed=60, wall=wall)
    wall.advance(timedelta(seconds=60))
    await record_reached(conn, clock)
    behind = AcceleratedClock(SIM, WALL, 60, FixedClock(WALL), name="demo")
    await record_reached(conn, behind)
    row = await clock_row(conn, "demo")
    assert row["reached_sim"] == SIM + timedelta(hours=1)
    assert row["reached_wall"] == WALL + timedelta(seconds=60)
