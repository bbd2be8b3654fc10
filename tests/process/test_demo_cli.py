"""The newcomer's path through real processes: seed the demo on a fresh embedded server,
run one tick (every eligible site written, every other one with its reason), run again
(nothing new), and open the app on the demo at 80×24."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from support.cli import cli

from snapwatch.demo.seed import seed_demo
from snapwatch.infra.clock import FixedClock
from snapwatch.infra.config import load_settings
from snapwatch.infra.db import Target, connect
from snapwatch.tui.app import SnapwatchApp
from snapwatch.tui.panes.sites import SitesTable

pytestmark = pytest.mark.slow


def demo_cli(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    return cli(*args, "--data-dir", str(data_dir), timeout=180)


def site_lines(stdout: str) -> list[str]:
    return [
        ln for ln in stdout.splitlines() if ln.split(" ")[0] in {"written", "skipped", "failed"}
    ]


def test_demo_then_run_once_writes_every_eligible_site_once(tmp_path: Path) -> None:
    seeded = demo_cli("demo", "--no-ui", data_dir=tmp_path)
    assert seeded.returncode == 0, seeded.stderr
    assert "12 sites" in seeded.stdout
    first = demo_cli("run-once", data_dir=tmp_path)
    assert first.returncode == 0, first.stderr
    lines = site_lines(first.stdout)
    assert len(lines) == 12
    # Every site with devices and a cadence is owed the completed slots of yesterday's
    # session and today's, also the one whose session was locked early today.
    assert sum(ln.startswith("written") for ln in lines) == 11
    [skipped] = [ln for ln in lines if ln.startswith("skipped")]
    assert "no_devices" in skipped
    # At most catch_up_max_slots per site per tick: the rest follow on the next runs.
    for _ in range(6):
        again = demo_cli("run-once", data_dir=tmp_path)
        assert again.returncode == 0, again.stderr
        if "0 written (0 snapshots)" in again.stdout:
            break
    else:
        pytest.fail(f"catch-up never finished: {again.stdout}")
    assert "not_due" in again.stdout and "no_open_session" in again.stdout


async def test_app_lists_the_demo_sites_at_80x24(migrated_dsn: str, isolated_env: Path) -> None:
    now = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    settings = load_settings(overrides={"dsn": migrated_dsn})[0]
    conn = await connect(Target(dsn=migrated_dsn), settings)
    await seed_demo(conn, seed=7, now=now)
    await conn.close()
    with psycopg.connect(migrated_dsn) as c:
        names = {r[0] for r in c.execute("SELECT name FROM sites").fetchall()}
    app = SnapwatchApp(Target(dsn=migrated_dsn), settings, FixedClock(now))
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(SitesTable)
        for _ in range(500):
            if table.row_count == len(names):
                break
            await pilot.pause(0.02)
        assert table.row_count == len(names) == 12
        assert table.virtual_size.width <= table.scrollable_content_region.width
