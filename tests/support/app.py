"""Shared test helpers."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from snapwatch.infra.clock import Clock, FixedClock
from snapwatch.infra.config import Settings, load_settings
from snapwatch.infra.db import Target
from snapwatch.tui.app import SnapwatchApp
from snapwatch.tui.screens.main.screen import MainScreen

NOW = datetime(2025, 3, 10, 15, 30, tzinfo=UTC)


def make_settings(dsn: str, refresh_seconds: float = 3600, **extra: Any) -> Settings:
    """Settings for ``dsn``; timed reads as often as ``refresh_seconds`` says, whatever
    they cost (``ui.max_poll_share`` 1)."""
    ui = {"refresh_seconds": refresh_seconds, "max_poll_share": 1.0}
    return load_settings(overrides={"dsn": dsn, "ui": ui, **extra})[0]


def make_app(
    dsn: str,
    refresh_seconds: float = 3600,
    *,
    clock: Clock | None = None,
    scheduler: bool = False,
    listen: bool = False,
    target: Target | None = None,
    settings: Settings | None = None,
    tmp: Path | None = None,
    **kw: Any,
) -> SnapwatchApp:
    """The app on ``dsn`` as of ``NOW`` (a fixed clock), by default watching only and
    polling (tests that need the scheduler or LISTEN ask for them)."""
    return SnapwatchApp(
        target or Target(dsn=dsn),
        settings or make_settings(dsn, refresh_seconds),
        clock or FixedClock(NOW),
        scheduler=scheduler,
        listen=listen,
        log_path=(tmp / "snapwatch.log") if tmp is not None else None,
        **kw,
    )


async def wait_for(pilot: Pilot[Any], condition: Callable[[], bool], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await pilot.pause(0.02)


def main_of(pilot: Pilot[Any]) -> MainScreen:
    app = pilot.app
    assert isinstance(app, SnapwatchApp)
    return app.main
