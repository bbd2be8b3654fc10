"""SVG snapshots of the app on the demo fleet: what a user sees, kept stable.

Deterministic: a fixed clock (the demo seeded and ticked at ``AT``), no scheduler (no
instance rows, whose ages follow the database's clock), polling (no LISTEN self-test
timing), and a target shown under a fixed name (no socket path, no database name).
Regenerate after a deliberate change with ``pytest tests/tui/test_tui_snapshots.py
--snapshot-update`` and look at the SVGs in ``tests/tui/__snapshots__/``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from support.app import make_settings
from support.app_snapshots import NamedTarget, settled
from support.demo_fleet import AT, seed_and_tick
from textual.pilot import Pilot

from snapwatch.infra.clock import FixedClock
from snapwatch.tui.app import SnapwatchApp
from snapwatch.tui.screens.dialogs import PauseScreen
from snapwatch.tui.screens.help import HelpScreen
from snapwatch.tui.screens.history.screen import HistoryScreen

SnapCompare = Callable[..., bool]


@pytest.fixture
def demo_dsn(migrated_dsn: str, isolated_env: Path) -> str:
    asyncio.run(seed_and_tick(migrated_dsn))
    return migrated_dsn


def demo_app(dsn: str, tmp: Path) -> SnapwatchApp:
    return SnapwatchApp(
        NamedTarget(dsn=dsn),
        make_settings(dsn),
        FixedClock(AT),
        "snapwatch demo",
        scheduler=False,
        listen=False,
        log_path=tmp / "snapwatch.log",
    )


def test_main_screen_120x40(snap_compare: SnapCompare, demo_dsn: str, tmp_path: Path) -> None:
    assert snap_compare(demo_app(demo_dsn, tmp_path), terminal_size=(120, 40), run_before=settled)


def test_main_screen_80x24_tabs(snap_compare: SnapCompare, demo_dsn: str, tmp_path: Path) -> None:
    assert snap_compare(demo_app(demo_dsn, tmp_path), terminal_size=(80, 24), run_before=settled)


def test_help_screen(snap_compare: SnapCompare, demo_dsn: str, tmp_path: Path) -> None:
    async def open_help(pilot: Pilot[Any]) -> None:
        await settled(pilot)
        await pilot.press("question_mark")
        for _ in range(100):
            if isinstance(pilot.app.screen, HelpScreen):
                break
            await pilot.pause(0.02)

    assert snap_compare(demo_app(demo_dsn, tmp_path), terminal_size=(120, 40), run_before=open_help)


def test_pause_dialog(snap_compare: SnapCompare, demo_dsn: str, tmp_path: Path) -> None:
    async def open_pause(pilot: Pilot[Any]) -> None:
        await settled(pilot)
        await pilot.press("down", "down", "down", "p")
        for _ in range(200):
            if isinstance(pilot.app.screen, PauseScreen):
                break
            await pilot.pause(0.02)
        await pilot.press(*"door seal repair", "tab")
        await pilot.press(*"2h")
        pilot.app.screen.query_one("#pause-duration").cursor_blink = False  # type: ignore[attr-defined]

    assert snap_compare(
        demo_app(demo_dsn, tmp_path), terminal_size=(120, 40), run_before=open_pause
    )


def test_history_screen_with_a_dry_run(
    snap_compare: SnapCompare, demo_dsn: str, tmp_path: Path
) -> None:
    async def open_history(pilot: Pilot[Any]) -> None:
        await settled(pilot)
        await pilot.press("h")
        for _ in range(200):
            screen = pilot.app.screen
            if isinstance(screen, HistoryScreen) and screen.history is not None:
                break
            await pilot.pause(0.02)
        await pilot.press("d")
        work = pilot.app.screen.query_one("#history-work")
        for _ in range(200):
            if "dry run" in str(work.border_title):
                break
            await pilot.pause(0.02)
        await pilot.pause(0.2)

    assert snap_compare(
        demo_app(demo_dsn, tmp_path), terminal_size=(120, 40), run_before=open_history
    )
