"""A site whose MGI stays low (0.02-0.20), written by real ticks, with hostile names
beside it; the app on it, and getting to it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection
from textual.pilot import Pilot

from snapwatch.infra.clock import FixedClock
from snapwatch.infra.config import Settings, load_settings
from snapwatch.schedule.actions import force
from snapwatch.schedule.tick import run_tick
from snapwatch.tui.app import SnapwatchApp
from snapwatch.tui.screens.inspect.screen import InspectScreen
from support.app import main_of, make_app, wait_for
from support.app_snapshots import settled
from support.overview_rows import Rows
from support.snapshot_rows import DAY, T1, T3, H, M

HOSTILE_SITE = "=cmd|' /C calc'!A0"
HOSTILE_CODE = "@SUM(1+1)"
LOW_MGI = (0.02, 0.08, 0.14, 0.2)


@dataclass
class LowFleet:
    site: UUID
    devices: dict[str, UUID]


async def low_fleet(rows: Rows, conn: AsyncConnection[Any], cfg: Settings) -> LowFleet:
    """``Low Room`` (hourly, four snapshots): L-1 climbs 0.02 → 0.20, the other device
    (code ``@SUM(1+1)``) stays near 0.03; beside it a site whose name is a formula."""
    program = rows.program(rows.company("Harbor"), "Watch")
    site = rows.site(program, "Low Room", snapshot_cadence_hours=1, length=50, width=30)
    rows.site(program, HOSTILE_SITE, snapshot_cadence_hours=1)
    rows.session(site, DAY, DAY + 24 * H, "in_progress")
    devices = {
        "L-1": rows.device(site, device_code="L-1", x_position=5, y_position=6),
        HOSTILE_CODE: rows.device(site, device_code=HOSTILE_CODE, x_position=9, y_position=6),
    }
    for hour, mgi in enumerate(LOW_MGI):
        at = DAY + hour * H + 10 * M
        rows.image(devices["L-1"], at, mgi)
        rows.image(devices[HOSTILE_CODE], at, 0.03 + 0.001 * hour)
    await run_tick(conn, cfg, T1, site=site)  # wakes 1-3
    assert (await force(conn, cfg, T3, site=site)).ok  # wake 4
    return LowFleet(site, devices)


def app_on(dsn: str, exports: Path) -> SnapwatchApp:
    ui = {"refresh_seconds": 3600, "max_poll_share": 1.0, "export_dir": str(exports)}
    settings = load_settings(overrides={"dsn": dsn, "ui": ui})[0]
    return make_app(dsn, clock=FixedClock(T3), settings=settings)


async def on_site(pilot: Pilot[Any], site: UUID) -> None:
    await settled(pilot)
    main = main_of(pilot)
    assert main.sites_pane.table.move_to(str(site))
    await wait_for(
        pilot,
        lambda: main.devices_pane.data is not None and main.devices_pane.data.site_id == site,
    )


async def open_inspection(pilot: Pilot[Any], site: UUID) -> InspectScreen:
    await on_site(pilot, site)
    await pilot.press("1", "enter")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, InspectScreen))
    screen = pilot.app.screen
    assert isinstance(screen, InspectScreen)
    return screen
