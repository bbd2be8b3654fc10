"""Shared test helpers: the app on the demo fleet, opened on a site's inspection screen,
and every frame it shows."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import DictRow
from textual.app import App
from textual.pilot import Pilot
from textual.screen import Screen

from snapwatch.infra.clock import FixedClock
from snapwatch.infra.config import Settings, load_settings
from snapwatch.tui.app import SnapwatchApp
from snapwatch.tui.screens.inspect.screen import InspectScreen
from support.app import main_of, wait_for
from support.app_inert import terminal
from support.app_snapshots import NamedTarget, settled
from support.demo_fleet import AT

Db = psycopg.Connection[DictRow]


def settings_for(dsn: str, export_dir: Path) -> Settings:
    ui = {
        "refresh_seconds": 3600,
        "max_poll_share": 1.0,
        "play_seconds": 0.125,
        "export_dir": str(export_dir),
    }
    return load_settings(overrides={"dsn": dsn, "ui": ui})[0]


def app_on(demo: str, tmp: Path) -> SnapwatchApp:
    return SnapwatchApp(
        NamedTarget(dsn=demo),
        settings_for(demo, tmp / "exports"),
        FixedClock(AT),
        "snapwatch demo",
        scheduler=False,
        listen=False,
        log_path=tmp / "snapwatch.log",
    )


def site_id(db: Db, name: str) -> UUID:
    row = db.execute("SELECT site_id FROM sites WHERE name = %s", (name,)).fetchone()
    assert row is not None
    return UUID(str(row["site_id"]))


def wakes(db: Db, site: UUID) -> list[tuple[UUID, int]]:
    """(session, wake) of every snapshot of the site, sessions oldest first."""
    rows = db.execute(
        "SELECT w.session_id, w.wake_number FROM session_wake_snapshots w"
        " JOIN site_device_sessions ss USING (session_id) WHERE w.site_id = %s"
        " ORDER BY ss.session_start_time, w.wake_number",
        (site,),
    ).fetchall()
    return [(r["session_id"], r["wake_number"]) for r in rows]


def inspection(pilot: Pilot[Any]) -> InspectScreen:
    screen = pilot.app.screen
    assert isinstance(screen, InspectScreen)
    return screen


def at_wake(screen: InspectScreen) -> tuple[UUID, int]:
    row = screen.found.row
    return row.session_id, row.wake_number


async def open_site(pilot: Pilot[Any], site: UUID) -> InspectScreen:
    await settled(pilot)
    main = main_of(pilot)
    assert main.sites_pane.table.move_to(str(site))
    await wait_for(pilot, lambda: main.selected is not None and main.selected.site_id == site)
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, InspectScreen))
    await pilot.pause()
    return inspection(pilot)


async def press_and_wait(pilot: Pilot[Any], key: str, expected: tuple[UUID, int]) -> None:
    await pilot.press(key)
    await wait_for(pilot, lambda: at_wake(inspection(pilot)) == expected)


class Frames:
    """Every frame the app sends to the terminal from now on, as lines of text, with the
    type of the screen on top when it was sent."""

    def __init__(self, app: App[Any], patch: Any) -> None:
        self.shown: list[tuple[type[Screen[Any]], str]] = []
        original = app._display

        def display(screen: Screen[Any], renderable: Any) -> None:
            original(screen, renderable)
            if renderable is not None and not app._batch_count:
                self.shown.append((type(app.screen), "\n".join(terminal(app)[0])))

        patch.setattr(app, "_display", display)
