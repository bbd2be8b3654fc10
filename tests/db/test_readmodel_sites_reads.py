"""What the sites read reads: zones only where a snapshot may be built, devices per site."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection
from psycopg.types.json import Jsonb
from support.overview_rows import Rows

from snapwatch.infra.config import SchedulerSettings
from snapwatch.schedule.judging import judge_sites
from snapwatch.schedule.sitestate import load_sites

NOW = datetime(2025, 3, 10, 15, 30, tzinfo=UTC)
ZONES = [{"id": "north", "label": "North", "bounds": {"x1": 0, "y1": 0, "x2": 10, "y2": 10}}]


def fleet(rows: Rows) -> tuple[UUID, UUID]:
    program = rows.program(rows.company("Acme"), "Winter Watch")
    zoned = rows.site(program, "Zoned", zones=Jsonb(ZONES))
    bare = rows.site(program, "Bare")
    for _ in range(3):
        rows.device(zoned)
    rows.device(bare)
    rows.device(bare, provisioning_status="decommissioned")
    return zoned, bare


async def test_sites_are_read_with_their_zones_unless_they_are_only_judged(
    rows: Rows, conn: AsyncConnection[Any]
) -> None:
    zoned, _ = fleet(rows)
    everyone = {v.facts.site_id: v for v in await load_sites(conn, NOW)}
    assert everyone[zoned].facts.zones == ZONES
    (one,) = await load_sites(conn, NOW, zoned)
    assert one.facts.zones == ZONES
    judged = await judge_sites(conn, NOW, SchedulerSettings())
    assert [j.view.facts.zones for j in judged] == [None, None]
    assert {j.view.facts.site_name for j in judged} == {"Zoned", "Bare"}


async def test_devices_are_counted_per_site_for_the_fleet_and_for_one_site(
    rows: Rows, conn: AsyncConnection[Any]
) -> None:
    zoned, bare = fleet(rows)
    counts = {v.facts.site_id: v.device_count for v in await load_sites(conn, NOW)}
    assert counts == {zoned: 3, bare: 1}
    (one,) = await load_sites(conn, NOW, bare, zones=False)
    assert one.device_count == 1


def snapshot(rows: Rows, session: UUID, wake: int, *, provisional: bool = False) -> None:
    """Hourly wake ``wake`` of ``session`` (from 08:00), provisional or not."""
    start = datetime(2025, 3, 10, 7 + wake, tzinfo=UTC)
    rows.conn.execute(
        "INSERT INTO session_wake_snapshots (company_id, program_id, site_id, session_id,"
        " wake_number, wake_round_start, wake_round_end, site_state)"
        " SELECT company_id, program_id, site_id, session_id, %(wake)s, %(start)s,"
        " %(start)s + interval '1 hour', '{}'::jsonb"
        "   FROM site_device_sessions WHERE session_id = %(session)s",
        {"session": session, "wake": wake, "start": start},
    )
    if provisional:
        rows.conn.execute(
            "INSERT INTO snapwatch.provisional_snapshots (session_id, wake_number) VALUES (%s, %s)",
            (session, wake),
        )


async def test_snapshot_states_keep_provisional_rows_apart_session_by_session(
    rows: Rows, conn: AsyncConnection[Any]
) -> None:
    program = rows.program(rows.company("Acme"), "Winter Watch")
    start, end = datetime(2025, 3, 10, 8, tzinfo=UTC), datetime(2025, 3, 10, 20, tzinfo=UTC)
    sessions = {}
    for name in ("plain", "mixed", "forced only", "empty"):
        site = rows.site(program, name, snapshot_cadence_hours=1)
        rows.device(site)
        sessions[name] = rows.session(site, start, end, "in_progress")
    for wake in (1, 2, 3):
        snapshot(rows, sessions["plain"], wake)
    for wake in (1, 2, 3, 4, 5):
        snapshot(rows, sessions["mixed"], wake, provisional=wake in (2, 5))
    snapshot(rows, sessions["forced only"], 1, provisional=True)
    states = {
        v.facts.site_name: v.open_session.state
        for v in await load_sites(conn, NOW)
        if v.open_session is not None
    }

    def at(hour: int) -> datetime:
        return datetime(2025, 3, 10, hour, tzinfo=UTC)

    got = {
        name: (s.covered_from, s.covered_until, s.last_wake_number, dict(s.provisional))
        for name, s in states.items()
    }
    assert got == {
        "plain": (at(8), at(11), 3, {}),
        "mixed": (at(8), at(12), 4, {at(9): 2, at(12): 5}),
        "forced only": (None, None, 0, {at(8): 1}),
        "empty": (None, None, 0, {}),
    }


async def test_a_session_read_again_has_the_snapshots_written_since(
    rows: Rows, conn: AsyncConnection[Any]
) -> None:
    program = rows.program(rows.company("Acme"), "Winter Watch")
    site = rows.site(program, "Pier", snapshot_cadence_hours=1)
    rows.device(site)
    start = datetime(2025, 3, 10, 8, tzinfo=UTC)
    session = rows.session(site, start, datetime(2025, 3, 10, 20, tzinfo=UTC), "in_progress")

    async def state() -> tuple[int, dict[datetime, int]]:
        (view,) = await load_sites(conn, NOW)
        assert view.open_session is not None
        s = view.open_session.state
        return s.last_wake_number, dict(s.provisional)

    assert await state() == (0, {})
    snapshot(rows, session, 1)
    assert await state() == (1, {})
    snapshot(rows, session, 2, provisional=True)
    assert await state() == (1, {datetime(2025, 3, 10, 9, tzinfo=UTC): 2})
    rows.conn.execute("DELETE FROM snapwatch.provisional_snapshots")
    assert await state() == (2, {})
