"""What the main screen works with: settings, clocks, the database, the background parts."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from snapwatch.infra.clock import Clock
from snapwatch.infra.config import Settings
from snapwatch.infra.db import Target
from snapwatch.tui.data import AppData
from snapwatch.tui.logfile import RingHandler
from snapwatch.tui.scheduler_glue import EmbeddedScheduler
from snapwatch.tui.updates import Updates


@dataclass(frozen=True)
class BackgroundJob:
    """Work the app repeats on a timer in a worker (the demo's device simulator): ``work``
    gets the app clock's now and returns a line to log (or None); ``close`` runs when the
    app ends. A job brings its own connection, so it never holds up the panes' reads."""

    name: str
    every_seconds: float
    work: Callable[[datetime], Awaitable[str | None]]
    close: Callable[[], Awaitable[None]] | None = None


@dataclass
class Services:
    target: Target
    settings: Settings
    clock: Clock
    """The as-of clock: what "now" is for reads and actions (the demo's accelerated one)."""
    wall: Clock
    data: AppData
    scheduler: EmbeddedScheduler | None
    updates: Updates | None
    watching_why: str | None
    """Why no scheduler runs (read-only, --no-scheduler); None when it runs."""
    ring: RingHandler
    log_path: Path | None
    quit: Callable[[], Awaitable[None]]
    """Stop the scheduler (the site in hand finishes), then end the app."""
    jobs: list[BackgroundJob] = field(default_factory=list)
