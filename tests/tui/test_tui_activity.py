"""The activity trail in the app (Pilot, real database): the keys' actions (force, a refused
force, pause, resume, refresh, export) each leave one entry naming the operator and the
app's process, and a line in the log view; ``--read-only`` records nothing; the Activity
screen (``A``) lists the trail newest first, follows the head, filters with ``/``, shows a
hostile site name as plain text, and is pictured in an SVG snapshot."""

from __future__ import annotations

import getpass
import logging
import os
import socket
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from psycopg.types.json import Jsonb
from support.app import NOW, main_of, make_app, wait_for
from support.app_inert import assert_inert
from support.app_notes import Notes, ready
from support.hostile_fleet import ESCAPES, LINK, shown
from support.overview_rows import Rows
from textual.pilot import Pilot
from textual.widgets import Static

from snapwatch.cli import main
from snapwatch.infra.config import Settings, load_settings
from snapwatch.tui.screens.activity.screen import ActivityScreen
from snapwatch.tui.screens.dialogs import PauseScreen
from snapwatch.tui.screens.inspect.screen import InspectScreen

SnapCompare = Callable[..., bool]
ME = f"{getpass.getuser()}@{socket.gethostname()}"
HOSTILE = f"Pier {LINK}{ESCAPES} [North]"
T0 = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def rows(migrated_dsn: str, isolated_env: Path) -> Iterator[Rows]:
    r = Rows(migrated_dsn)
    yield r
    r.close()


@pytest.fixture
def sites(rows: Rows) -> dict[str, UUID]:
    """One eligible site (hourly, a session open for 5.5 h, scored devices), one without
    devices, and one with a hostile name."""
    program = rows.program(rows.company("Northwind Storage"), "Mold Watch")
    made: dict[str, UUID] = {}
    for name, devices in [("Cold Room", 2), ("Empty Shed", 0), (HOSTILE, 0)]:
        site = rows.site(program, name, snapshot_cadence_hours=1, timezone="UTC")
        made[name] = site
        for i in range(devices):
            device = rows.device(site, x_position=2 + i, y_position=3)
            at = NOW - timedelta(minutes=30)
            rows.payload(device, at, temperature=40.0, humidity=80.0)
            rows.image(device, at, 0.05 + 0.2 * i)
        start = NOW - timedelta(hours=5, minutes=30)
        rows.session(site, start, start + timedelta(hours=24), "in_progress")
    return made


def settings(dsn: str, exports: Path, **extra: Any) -> Settings:
    ui = {"refresh_seconds": 3600, "max_poll_share": 1.0, "export_dir": str(exports)}
    return load_settings(overrides={"dsn": dsn, "ui": ui, **extra})[0]


def trail(rows: Rows) -> list[tuple[Any, ...]]:
    """(kind, actor, process, scope, result, detail) of every entry, oldest first."""
    return [
        tuple(r)
        for r in rows.conn.execute(
            "SELECT kind, actor, process, scope, result, detail FROM snapwatch.activity ORDER BY at"
        ).fetchall()
    ]


def add(rows: Rows, at: datetime, kind: str, site: UUID | None, result: str = "ok") -> None:
    rows.conn.execute(
        "INSERT INTO snapwatch.activity (at, actor, process, kind, site_id, scope, detail,"
        " result) VALUES (%s, 'ops@harbor', 'app pid 7', %s, %s, 'all sites', %s, %s)",
        (at, kind, site, Jsonb({"reason": "valve swap"} if kind == "pause" else {}), result),
    )


async def select(pilot: Pilot[Any], site: UUID) -> None:
    main = main_of(pilot)
    assert main.sites_pane.table.move_to(str(site))
    await wait_for(pilot, lambda: main.selected is not None and main.selected.site_id == site)


# --- the keys leave a trail ------------------------------------------------------------------


async def test_the_keys_actions_are_recorded_with_the_operator_and_the_apps_process(
    migrated_dsn: str,
    rows: Rows,
    sites: dict[str, UUID],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="snapwatch.schedule.activity")  # as `snapwatch` runs
    app = make_app(migrated_dsn, settings=settings(migrated_dsn, tmp_path), tmp=tmp_path)
    notes = Notes(app)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await select(pilot, sites["Cold Room"])
        await pilot.press("f")
        await wait_for(pilot, lambda: notes.any("forced 'Cold Room'"))
        await select(pilot, sites["Empty Shed"])
        await pilot.press("f")
        await wait_for(pilot, lambda: notes.any("cannot force"))
        await select(pilot, sites["Cold Room"])
        await pilot.press("p")
        await wait_for(pilot, lambda: isinstance(app.screen, PauseScreen))
        await pilot.press(*"valve", "enter", "enter")
        await wait_for(pilot, lambda: notes.any("paused 'Cold Room'"))
        await pilot.press("p")
        await wait_for(pilot, lambda: notes.any("resumed 'Cold Room'"))
        await pilot.press("r")
        await wait_for(pilot, lambda: len(trail(rows)) == 5)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, InspectScreen))
        await pilot.press("e")
        await wait_for(pilot, lambda: len(trail(rows)) == 6)
        logged = [line for _, line in app.ring.since(0) if "snapwatch.schedule.activity" in line]
    entries = trail(rows)
    assert [(kind, scope, result) for kind, _, _, scope, result, _ in entries] == [
        ("force", "Cold Room", "ok"),
        ("force", "Empty Shed", "refused: no devices"),
        ("pause", "Cold Room", "ok"),
        ("resume", "Cold Room", "ok"),
        ("refresh", "all sites", "ok"),
        ("export", "Cold Room", "ok"),
    ]
    assert {(actor, process) for _, actor, process, *_ in entries} == {
        (ME, f"app pid {os.getpid()}")
    }
    assert entries[2][5]["reason"] == "valve"
    exported = Path(entries[5][5]["file"])
    assert exported.parent == tmp_path and exported.exists()
    assert len(logged) == 6  # one line each in the log view
    assert logged[0].split("activity: ", 1)[1].startswith(f"force Cold Room by {ME}: ok")


@pytest.fixture
def forced(migrated_dsn: str, sites: dict[str, UUID]) -> dict[str, UUID]:
    """The sites, with snapshots to export (written by ``run-once``, itself an entry)."""
    assert main(["run-once", "--at", NOW.isoformat(), "--dsn", migrated_dsn]) == 0
    return sites


async def test_read_only_records_nothing_and_fails_nothing(
    migrated_dsn: str, rows: Rows, forced: dict[str, UUID], tmp_path: Path
) -> None:
    sites = forced
    before = trail(rows)
    assert [kind for kind, *_ in before] == ["run_once"]
    app = make_app(
        migrated_dsn, settings=settings(migrated_dsn, tmp_path, read_only=True), tmp=tmp_path
    )
    notes = Notes(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await select(pilot, sites["Cold Room"])
        await pilot.press("r")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, InspectScreen))
        await pilot.press("e")
        await wait_for(pilot, lambda: notes.any("exported to"))
        await pilot.pause(0.3)
    assert trail(rows) == before
    assert not any(severity == "error" for _, severity in notes.said)


# --- the Activity screen ---------------------------------------------------------------------


def kinds(screen: ActivityScreen) -> list[str]:
    """The kinds of the entries in the table, top to bottom."""
    return [screen.entries[key].kind for key in screen.table.row_keys]


async def open_activity(pilot: Pilot[Any], count: int) -> ActivityScreen:
    await ready(pilot)
    await pilot.press("A")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, ActivityScreen))
    screen = pilot.app.screen
    assert isinstance(screen, ActivityScreen)
    await wait_for(pilot, lambda: screen.table.row_count == count)
    return screen


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
async def test_the_activity_screen_lists_newest_first_follows_the_head_and_filters(
    migrated_dsn: str, rows: Rows, sites: dict[str, UUID], size: tuple[int, int]
) -> None:
    add(rows, T0, "pause", sites["Cold Room"])
    add(rows, T0 + timedelta(minutes=1), "force", sites[HOSTILE], "refused: no devices")
    add(rows, T0 + timedelta(minutes=2), "tick_wrote", None)
    app = make_app(migrated_dsn)
    async with app.run_test(size=size) as pilot:
        screen = await open_activity(pilot, 3)
        assert kinds(screen) == ["tick_wrote", "force", "pause"]
        top = screen.table.shown_text(screen.table.row_keys[0])
        assert top[0] == "03-10 12:02:00" and "tick wrote" in top
        assert screen.table.cursor_row == 0
        await pilot.press("down")  # the hostile name, whole and inert in the panel below
        await wait_for(
            pilot, lambda: screen.selected is not None and screen.selected.kind == "force"
        )
        assert_inert(app, "refused: no devices", shown(HOSTILE)[:24])
        panel = str(screen.query_one("#activity-entry", Static).render())
        assert f"force · {shown(HOSTILE)} · refused: no devices" in panel
        await pilot.press("up")

        # a new entry comes in at the top, and the cursor (on the newest) follows it
        add(rows, datetime.now(UTC), "resume", sites["Cold Room"])
        await wait_for(pilot, lambda: screen.table.row_count == 4, timeout=6)
        assert kinds(screen)[0] == "resume" and screen.table.cursor_row == 0

        # moved away from the head, the cursor keeps its entry and newer ones are counted
        await pilot.press("down")
        kept = screen.table.cursor_key
        add(rows, datetime.now(UTC), "refresh", None)
        await wait_for(pilot, lambda: screen.table.row_count == 5, timeout=6)
        assert screen.table.cursor_key == kept
        assert str(screen.table.border_subtitle).startswith("↑ 1 newer · ")

        # / filters over the detail (any case), escape clears the filter, then closes
        await pilot.press("slash", *"VALVE")
        await wait_for(pilot, lambda: screen.table.row_count == 1)
        assert kinds(screen) == ["pause"]
        await pilot.press("escape")
        await wait_for(pilot, lambda: screen.table.row_count == 5)
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, ActivityScreen))


def test_activity_screen_120x40(
    snap_compare: SnapCompare, migrated_dsn: str, rows: Rows, sites: dict[str, UUID]
) -> None:
    add(rows, T0, "pause", sites["Cold Room"])
    add(rows, T0 + timedelta(minutes=1), "force", sites[HOSTILE], "refused: no devices")
    add(rows, T0 + timedelta(minutes=2), "tick_failed", None, "failed: Cold Room: timeout")
    app = make_app(migrated_dsn)

    async def opened(pilot: Pilot[Any]) -> None:
        await open_activity(pilot, 3)
        await pilot.pause(0.3)

    assert snap_compare(app, terminal_size=(120, 40), run_before=opened)
