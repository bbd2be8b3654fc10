"""The app stays live: other processes' snapshots, LISTEN or polling, outages, the embedded
scheduler, and ending cleanly on quit or hang-up. Real processes, a real server."""

from __future__ import annotations

import asyncio
import io
import itertools
import os
import pty
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from support.app import NOW, main_of, make_app, make_settings, wait_for
from support.app_notes import Notes, ready
from support.live_fleet import eligible_fleet
from support.overview_rows import Rows
from support.own_server import OwnServer
from textual.pilot import Pilot

from snapwatch.infra.db import Target
from snapwatch.infra.migrations import migrate
from snapwatch.tui import lifecycle


def run_once(dsn: str) -> None:
    """``snapwatch run-once`` in a process of its own, as of ``NOW``."""
    done = subprocess.run(
        [sys.executable, "-m", "snapwatch", "run-once", "--dsn", dsn, "--at", NOW.isoformat()],
        capture_output=True,
        text=True,
        timeout=60,
        env=os.environ.copy(),
        check=False,
    )
    assert done.returncode == 0, done.stderr


def health_text(pilot: Pilot[Any]) -> str:
    return str(main_of(pilot).health_pane.updates.content)


async def test_a_snapshot_written_by_another_process_appears_at_once_with_listen(
    migrated_dsn: str, rows: Rows
) -> None:
    eligible_fleet(rows)
    app = make_app(migrated_dsn, listen=True)  # refresh every hour: only NOTIFY can do it
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await wait_for(pilot, lambda: "live (LISTEN/NOTIFY)" in health_text(pilot))
        main = main_of(pilot)
        await pilot.press("a")  # every site's snapshots
        await wait_for(pilot, lambda: "all sites" in str(main.snapshots_pane.border_title))
        reads = main.snapshots_feed.reads
        await asyncio.to_thread(run_once, migrated_dsn)
        await wait_for(pilot, lambda: len(main.snapshots_pane.snapshots) == 6, timeout=5)
        assert main.snapshots_feed.reads > reads
        north = main.sites_pane.table.shown_text(str(rows_site(rows, "North Room")))
        assert north[4] == "just now"  # the site row followed (last snapshot written at NOW)


def rows_site(rows: Rows, name: str) -> UUID:
    found = rows.conn.execute("SELECT site_id FROM sites WHERE name = %s", (name,)).fetchone()
    assert found is not None
    return UUID(str(found[0]))


async def test_without_listen_the_app_polls_and_says_why(migrated_dsn: str, rows: Rows) -> None:
    eligible_fleet(rows)
    pooled = f"{migrated_dsn}&application_name=pgbouncer"
    app = make_app(pooled, refresh_seconds=0.3, listen=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await wait_for(pilot, lambda: "polling every 0.3s" in health_text(pilot))
        assert "pgbouncer" in health_text(pilot)
        assert "polling" in main_of(pilot).status.text
        await pilot.press("a")
        await asyncio.to_thread(run_once, migrated_dsn)
        pane = main_of(pilot).snapshots_pane
        await wait_for(pilot, lambda: len(pane.snapshots) == 6, timeout=5)


async def test_the_outage_banner_appears_and_clears_without_a_restart(
    own_server: OwnServer, isolated_env: Path
) -> None:
    dsn = own_server.server.uri()
    settings = make_settings(dsn, refresh_seconds=0.3)
    await migrate(Target(dsn=dsn), settings)
    rows = Rows(dsn)
    eligible_fleet(rows)
    rows.close()
    app = make_app(dsn, settings=settings)
    notes = Notes(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        banner = main_of(pilot).banner
        assert not banner.display
        await asyncio.to_thread(own_server.stop)
        await wait_for(pilot, lambda: banner.display, timeout=5)
        assert "database unreachable" in str(banner.content)
        assert main_of(pilot).sites_pane.table.row_count == 3  # the last read stays
        await asyncio.to_thread(own_server.start)
        await wait_for(pilot, lambda: not banner.display, timeout=20)
        await wait_for(pilot, lambda: notes.any("database reachable again"))
        assert app.is_running


async def test_the_embedded_scheduler_ticks_and_quitting_marks_it_stopped(
    migrated_dsn: str, rows: Rows
) -> None:
    eligible_fleet(rows)
    app = make_app(migrated_dsn, scheduler=True, tick_seconds=3600)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        assert app.sub_title == "scheduler on · fixed clock"
        main = main_of(pilot)
        await wait_for(pilot, lambda: "last tick: 6 written" in main.status.text)
        table = main.health_pane.table
        await wait_for(pilot, lambda: table.row_count == 1)
        columns = [str(c.key.value) for c in table.ordered_columns]
        instance = dict(zip(columns, table.shown_text(table.row_keys[0]), strict=True))
        assert instance["instance"].endswith("(this)") and instance["state"] == "ok"
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0
    stopped = rows.conn.execute(
        "SELECT mode, stopped_at IS NOT NULL FROM snapwatch.scheduler_instances"
    ).fetchall()
    assert stopped == [("tui", True)]
    written = rows.conn.execute("SELECT count(*) FROM session_wake_snapshots").fetchone()
    assert written == (6,)


async def test_a_hang_up_ends_the_app_like_quit(migrated_dsn: str, rows: Rows) -> None:
    eligible_fleet(rows)
    app = make_app(migrated_dsn, scheduler=True, tick_seconds=3600)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await wait_for(pilot, lambda: "last tick" in main_of(pilot).status.text)
        assert signal.getsignal(signal.SIGHUP) is not signal.SIG_DFL  # ours, not death
        os.kill(os.getpid(), signal.SIGHUP)
        await wait_for(pilot, lambda: not app.is_running, timeout=10)
    assert app.return_code == 0
    stopped = rows.conn.execute(
        "SELECT stopped_at IS NOT NULL FROM snapwatch.scheduler_instances"
    ).fetchall()
    assert stopped == [(True,)]
    assert signal.getsignal(signal.SIGHUP) == signal.SIG_DFL  # put back when the app ended


def test_the_watchdog_sees_a_terminal_that_hung_up(monkeypatch: pytest.MonkeyPatch) -> None:
    master, slave = pty.openpty()
    stream = io.TextIOWrapper(io.FileIO(slave, closefd=False))
    monkeypatch.setattr(sys, "__stdin__", stream)
    try:
        assert lifecycle.started_on_terminal()
        assert not lifecycle.terminal_gone()
        os.close(master)  # the other end went away: an SSH drop
        assert lifecycle.terminal_gone()
    finally:
        os.close(slave)


def test_the_watchdog_ignores_a_stdin_that_never_was_a_terminal(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(sys, "__stdin__", (tmp_path / "in").open("w+"))
    assert not lifecycle.started_on_terminal()  # so the app starts no watchdog


async def test_a_timed_read_waits_in_proportion_to_what_the_last_one_cost() -> None:
    """The cost-aware poll: a 50 ms read with a ratio of 10 runs at most every 0.5 s,
    though the interval asks for 0.01 s; a request still reads at once."""
    from textual.app import App

    from snapwatch.tui.poller import Polled, Poller

    started: list[float] = []

    async def collect() -> int:
        started.append(time.monotonic())
        await asyncio.sleep(0.05)
        return len(started)

    class Host(App[None]):
        def on_polled(self, message: Polled[int]) -> None:
            message.poller.deliver(message)

    app = Host()
    async with app.run_test() as pilot:
        poller: Poller[int] = Poller(
            app,
            "cost",
            collect,
            lambda _: None,
            target=Target(dsn=""),
            interval=lambda: 0.01,
            cost_ratio=10,
        )
        poller.request()
        await wait_for(pilot, lambda: len(started) >= 3, timeout=5)
        gaps = [b - a for a, b in itertools.pairwise(started)]
        assert all(gap >= 0.5 for gap in gaps), gaps
        before = len(started)
        poller.request()  # asked for: at once
        await wait_for(pilot, lambda: len(started) > before, timeout=0.3)
        poller.stop()
