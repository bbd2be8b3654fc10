"""The terminal app on a large fleet: how long a refresh takes, and its CPU when idle.

    python benchmarks/app_refresh.py              # 5,000 sites beside 500, x 10 devices
    python benchmarks/app_refresh.py --quick      # 500 sites beside 50, 10 s idle (smoke run)

Each fleet size gets a scratch database on an embedded PostgreSQL of its own, built with
the fleet of ``benchmarks/fleet.py`` without the wake history (the panes never read it), in
steady state: every completed slot has its snapshot (stand-in documents, except a few
sites whose snapshots a real tick writes, so that the devices pane has real rows), and
the run history that wrote them (one run per round, one ``written`` row per snapshot, as
the scheduler records it). Then it runs the app under Textual's Pilot (headless, 120×40,
watching only: the scheduler's work is measured by ``benchmarks/tick.py``) and measures:

- a refresh cycle of the Sites pane inside the app: from the request to the table
  updated (the read model in a worker, the message, the rows updated by key), and of
  all four panes at once (what ``r`` does); medians of ``--rounds``;
- the same refresh while every site waits for a due slot (the clock moved just past the
  slot's due time, one second further each round): a site's judgement is kept from read
  to read only while nothing about the instant can change it, so here every read judges
  every site again (the minutes after each slot boundary before the schedulers wrote);
- its two parts apart: the read model alone, and the table update alone;
- the app's CPU over ``--idle`` seconds with nothing changing (``psutil`` cpu_times of
  this process: the app, not the database server), with the default 5 s polling and the
  one-second countdown timer running.

The figures of the two sizes are printed side by side (the large fleet first), so one
run shows how a refresh grows with the fleet. Goals (for the large fleet): refresh
≤ 250 ms, idle CPU ≤ 2% of one core.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import psutil
from fleet import (
    COMPANY_SQL,
    DEVICES_SQL,
    PROGRAM_SQL,
    SESSIONS_SQL,
    SITES_SQL,
    FleetSpec,
    default_anchor,
)
from textual.pilot import Pilot

from snapwatch.infra.clock import FixedClock
from snapwatch.infra.config import Settings, load_settings
from snapwatch.infra.db import Target, connect
from snapwatch.infra.embedded import start_embedded
from snapwatch.infra.migrations import migrate
from snapwatch.readmodels.sites import fetch_site_overview
from snapwatch.schedule.runlog import record_run
from snapwatch.schedule.sitestate import load_sites
from snapwatch.schedule.tick import run_tick
from snapwatch.tui.app import SnapwatchApp
from snapwatch.tui.poller import Poller

# Steady state: every completed hourly slot of every session has its snapshot (a small
# stand-in document), written two minutes after the slot ended; the first few sites are
# left to a real tick, so that their snapshots and devices are real.
STEADY_SQL = """
WITH slots AS (
    SELECT ss.company_id, ss.program_id, ss.site_id, ss.session_id, k AS wake_number,
           ss.session_start_time + (k - 1) * interval '1 hour' AS round_start,
           ss.session_start_time + k * interval '1 hour' AS round_end
      FROM site_device_sessions ss
      JOIN sites s ON s.site_id = ss.site_id
     CROSS JOIN generate_series(1, 24) AS k
     WHERE s.site_code::int > %(real)s
       AND ss.session_start_time + k * interval '1 hour' + interval '2 minutes' <= %(anchor)s
)
INSERT INTO session_wake_snapshots (company_id, program_id, site_id, session_id, wake_number,
                                    wake_round_start, wake_round_end, site_state,
                                    active_devices_count, created_at)
SELECT company_id, program_id, site_id, session_id, wake_number, round_start, round_end,
       '{"schema_version": 1, "devices": []}'::jsonb, %(devices)s,
       round_end + interval '2 minutes'
  FROM slots
"""

# The run history of that steady state: one run per round, one "written" row per snapshot
# (the failures and skips of a real history are left out: the panes read only the latest
# decisive outcome of each site).
RUNS_SQL = """
INSERT INTO snapwatch.runs (started_at, finished_at, as_of, status, sites_written)
SELECT created_at, created_at, created_at, 'ok', count(*)
  FROM session_wake_snapshots GROUP BY created_at
"""

RUN_SITES_SQL = """
INSERT INTO snapwatch.run_sites (run_id, site_id, outcome, wake_number, trigger, snapshot_id,
                                 recorded_at)
SELECT r.run_id, w.site_id, 'written', w.wake_number, 'schedule', w.snapshot_id, w.created_at
  FROM session_wake_snapshots w
  JOIN snapwatch.runs r ON r.started_at = w.created_at
"""

LAST_SNAPSHOT_SQL = """
UPDATE sites s SET last_snapshot_at = w.last
  FROM (SELECT site_id, max(created_at) AS last FROM session_wake_snapshots GROUP BY site_id) w
 WHERE w.site_id = s.site_id
"""

GOAL_REFRESH_MS = 250.0
GOAL_IDLE_CPU = 2.0
SNAPSHOT_SITES = 5


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sites", type=int, default=5000)
    parser.add_argument(
        "--beside", type=int, default=500, help="the smaller fleet shown beside (0: none)"
    )
    parser.add_argument("--devices", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=7, help="refreshes measured (median)")
    parser.add_argument("--idle", type=float, default=30.0, help="seconds of idle CPU measured")
    parser.add_argument(
        "--quick", action="store_true", help="500 sites beside 50, 3 rounds, 10 s idle"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.sites, args.beside, args.rounds, args.idle = 500, 50, 3, 10.0
    return args


async def build(target: Target, settings: Settings, spec: FleetSpec) -> None:
    started = time.perf_counter()
    await migrate(target, settings)
    conn = await connect(target, settings)
    try:
        params = spec.params()
        await conn.execute("SET session_replication_role = replica")
        for statement in (COMPANY_SQL, PROGRAM_SQL, SITES_SQL, DEVICES_SQL, SESSIONS_SQL):
            await conn.execute(statement, params)
        await conn.execute(STEADY_SQL, {**params, "real": SNAPSHOT_SITES, "devices": spec.devices})
        await conn.execute(LAST_SNAPSHOT_SQL)
        await conn.execute(RUNS_SQL)
        await conn.execute(RUN_SITES_SQL)
        await conn.execute("SET session_replication_role = DEFAULT")
        await conn.execute("VACUUM (ANALYZE)")
        views = await load_sites(conn, spec.anchor)
        for view in views[:SNAPSHOT_SITES]:  # a few sites with snapshots for the panes
            report = await run_tick(conn, settings, spec.anchor, site=view.facts.site_id)
            await record_run(conn, report, None)
    finally:
        await conn.close()
    print(
        f"built {spec.sites} sites x {spec.devices} devices "
        f"in {time.perf_counter() - started:.1f} s"
    )


async def read_model_ms(target: Target, settings: Settings, spec: FleetSpec, rounds: int) -> float:
    conn = await connect(target, settings)
    try:
        await fetch_site_overview(conn, spec.anchor, settings)  # the connection's first read
        times = []
        for _ in range(rounds):
            started = time.perf_counter()
            await fetch_site_overview(conn, spec.anchor, settings)
            times.append((time.perf_counter() - started) * 1000)
        return statistics.median(times)
    finally:
        await conn.close()


async def refreshed(pilot: Pilot[Any], feeds: list[Poller[Any]]) -> float:
    """Request every feed; milliseconds until each has applied a new read."""
    before = [f.reads for f in feeds]
    started = time.perf_counter()
    for feed in feeds:
        feed.request()
    while any(f.reads == b for f, b in zip(feeds, before, strict=True)):
        await asyncio.sleep(0.001)  # not pilot.pause: that would wait on the app's messages
    return (time.perf_counter() - started) * 1000


async def refreshed_due(
    pilot: Pilot[Any],
    feed: Poller[Any],
    *,
    clock: FixedClock,
    settings: Settings,
    spec: FleetSpec,
    rounds: int,
) -> float:
    """Median milliseconds of a refresh while every site waits for a due slot (the
    minutes after a slot's due time before the schedulers have written it): each site's
    judgement changes with the instant, so every read judges every site again."""
    due = spec.anchor + timedelta(seconds=settings.scheduler.settle_seconds + 1)
    times = []
    for n in range(rounds + 1):
        clock.set(due + timedelta(seconds=n))
        times.append(await refreshed(pilot, [feed]))
    return statistics.median(times[1:])  # the first read also judges every site anew


async def in_app(
    target: Target, settings: Settings, spec: FleetSpec, args: argparse.Namespace
) -> dict[str, float]:
    clock = FixedClock(spec.anchor)
    app = SnapwatchApp(
        target,
        settings,
        clock,
        scheduler=False,
        log_path=Path(tempfile.gettempdir()) / "snapwatch-bench-app.log",
    )
    out: dict[str, float] = {}
    async with app.run_test(size=(120, 40)) as pilot:
        main = app.main
        started = time.perf_counter()
        while main.sites_pane.table.row_count < spec.sites or any(f.reads == 0 for f in main.feeds):
            await pilot.pause(0.01)
        out["first load (all panes)"] = (time.perf_counter() - started) * 1000
        await pilot.pause(1.0)
        sites_only = [main.sites_feed]
        out["refresh: sites pane"] = statistics.median(
            [await refreshed(pilot, sites_only) for _ in range(args.rounds)]
        )
        out["refresh: all four panes"] = statistics.median(
            [await refreshed(pilot, main.feeds) for _ in range(args.rounds)]
        )
        out["refresh: sites pane, every site due"] = await refreshed_due(
            pilot, main.sites_feed, clock=clock, settings=settings, spec=spec, rounds=args.rounds
        )
        clock.set(spec.anchor)
        await refreshed(pilot, [main.sites_feed])
        sites = list(main.sites_pane._read)
        times = []
        for _ in range(args.rounds):
            t = time.perf_counter()
            main.sites_pane.show(sites, spec.anchor)
            times.append((time.perf_counter() - t) * 1000)
        out["table update alone (nothing changed)"] = statistics.median(times)
        await pilot.pause(2.0)
        process = psutil.Process()
        reads = main.sites_feed.reads
        before = process.cpu_times()
        wall = time.perf_counter()
        await pilot.pause(args.idle)
        after = process.cpu_times()
        used = (after.user - before.user) + (after.system - before.system)
        out["idle CPU % of one core"] = 100 * used / (time.perf_counter() - wall)
        out["sites reads while idle"] = float(main.sites_feed.reads - reads)
    return out


async def measure(args: argparse.Namespace, target: Target, sites: int) -> dict[str, float]:
    """Every figure of one fleet size, by name, in the order printed."""
    settings = load_settings(overrides={"dsn": target.dsn})[0]
    spec = FleetSpec(sites=sites, devices=args.devices, days=1, anchor=default_anchor())
    await build(target, settings, spec)
    model = await read_model_ms(target, settings, spec, args.rounds)
    return {"read model alone (fetch_site_overview)": model} | await in_app(
        target, settings, spec, args
    )


def report(args: argparse.Namespace, figures: dict[int, dict[str, float]]) -> None:
    sizes = list(figures)
    print(f"\nsites x {args.devices} devices, app at 120x40 (headless Pilot)")
    print(f"  {'':41s}" + "".join(f"{f'{n} sites':>14s}" for n in sizes))
    for name in figures[sizes[0]]:
        unit = "%" if "CPU" in name else ("" if "reads" in name else "ms")
        values = "".join(f"{figures[n][name]:11.1f} {unit:2s}" for n in sizes)
        print(f"  {name + ':':41s}{values}")
    large = figures[sizes[0]]
    refresh = large["refresh: sites pane"]
    idle = large["idle CPU % of one core"]
    met = "met" if refresh <= GOAL_REFRESH_MS else "missed"
    idle_met = "met" if idle <= GOAL_IDLE_CPU else "missed"
    print(
        f"\ngoals at {sizes[0]} sites: refresh <= {GOAL_REFRESH_MS:g} ms: {met} ({refresh:.0f} ms);"
        f" idle CPU <= {GOAL_IDLE_CPU:g}%: {idle_met} ({idle:.2f}%)"
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    figures: dict[int, dict[str, float]] = {}
    for sites in [args.sites] + ([args.beside] if args.beside else []):
        with tempfile.TemporaryDirectory(prefix="snapwatch-bench-app-") as tmp:
            server = start_embedded(Path(tmp))
            target = Target(dsn=server.uri(), embedded=server)
            try:
                figures[sites] = asyncio.run(measure(args, target, sites))
            finally:
                target.release()
    report(args, figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
