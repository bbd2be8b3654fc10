"""What the sites read reads: zones only where a snapshot may be built, devices per site."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection
from psycopg.types.json import Jsonb
from support.overview_rows import Rows

from snapwatch.infra.config import SchedulerSettings
from snapwatch.schedule.health import judge_sites
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
