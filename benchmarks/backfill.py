"""Benchmark of a backfill from empty: its rate, where its time goes, its memory, against
a steady scheduler tick measured in the same run.

Starts an embedded PostgreSQL, builds a fleet with ``--days`` (+1) of payloads and scored
images and no snapshots (``fleet.py``), and backfills ``--compare-days`` and then
``--days`` site-local days, each from empty and in a process of its own, through
``snapwatch.schedule.history.backfill``. After each: the audit of the range (timed, with
its totals) and a steady tick (one slot due per site). See ``benchmarks/README.md``.

    python benchmarks/backfill.py [--sites 100] [--devices 20] [--days 30] [--compare-days 7]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import inspect
import json
import logging
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import psutil
from bench_common import build_database, format_steps, on_embedded_server, say, verdict
from fleet import FleetSpec, default_anchor
from psycopg import AsyncConnection, AsyncCursor

import snapwatch.schedule.history.backfill as backfill_module
from snapwatch.infra.config import Settings, load_settings
from snapwatch.infra.db import Target, connect
from snapwatch.infra.embedded import EmbeddedServer
from snapwatch.schedule.history import runs, stored
from snapwatch.schedule.history.audit import Counts, DateRange, audit_sites
from snapwatch.schedule.history.backfill import Backfill
from snapwatch.schedule.history.plan import (
    BackfillOptions,
    count_plans,
    iter_plans,
    plan_backfill,
)
from snapwatch.schedule.tick import run_tick
from snapwatch.snapshot import reader, writer

Conn = AsyncConnection[dict[str, Any]]

GOAL_COST_RATIO = 0.5  # cost per backfilled snapshot / cost per site of a steady tick
GOAL_MEMORY_RATIO = 1.25  # peak RSS of the longer backfill / of the shorter: flat

RESET_STATEMENTS = (
    "DELETE FROM session_wake_snapshots",
    "DELETE FROM snapwatch.provisional_snapshots",
    "DELETE FROM snapwatch.replaced_snapshots",
    "DELETE FROM snapwatch.runs",  # and their run_sites
    "UPDATE sites SET last_snapshot_at = NULL",
    "VACUUM (ANALYZE) session_wake_snapshots",
    "VACUUM (ANALYZE) sites",
)

COUNTS_SQL = """
SELECT (SELECT count(*) FROM sites) AS sites,
       (SELECT count(*) FROM devices) AS devices,
       (SELECT count(*) FROM site_device_sessions) AS sessions,
       (SELECT count(*) FROM device_wake_payloads) AS payloads,
       (SELECT count(*) FROM device_images) AS images,
       (SELECT count(*) FROM device_alerts) AS alerts,
       pg_database_size(current_database()) AS bytes
"""


# --- instrumentation (inside the backfill's process) ------------------------------------

# The backfill's collaborators, wrapped where the backfill module looks them up; a name it
# no longer uses is left out (and its time shows up as "other").
PHASE_OF = {
    "read_rounds": "reader",
    "prepare_snapshot": "building",
    "write_site": "writes",
    "start_run": "bookkeeping",
    "record_site": "bookkeeping",
    "record_progress": "bookkeeping",
    "finish_run": "bookkeeping",
}


def statement_names() -> dict[str, str]:
    """Statement texts the backfill and its audit send, named (those that exist)."""
    named: list[tuple[ModuleType, str, str]] = [
        (stored, "SESSIONS_SQL", "plan: sessions"),
        (stored, "ROWS_SQL", "plan: snapshot rows"),
        (stored, "FAULTS_SQL", "plan: faults"),
        (reader, "DEVICES_SQL", "read: devices"),
        (reader, "TELEMETRY_SQL", "read: telemetry"),
        (reader, "SCORES_SQL", "read: scores"),
        (reader, "VALID_SCORES_SQL", "read: valid scores"),
        (reader, "IMAGES_SQL", "read: images"),
        (reader, "ALERTS_SQL", "read: alerts"),
        (writer, "WRITE_SQL", "write: claim, re-check, insert (sending only)"),
        (runs, "START_SQL", "run: start"),
        (runs, "PROGRESS_SQL", "run: progress"),
        (runs, "SITE_SQL", "run: site"),
        (runs, "FINISH_SQL", "run: finish"),
    ]
    out: dict[str, str] = {}
    for module, attr, label in named:
        text = getattr(module, attr, None)
        if isinstance(text, str):
            out[text] = label
    return out


@dataclass
class Probe:
    """Wall time per collaborator of the run, and per statement, by wrapping them from the
    outside. A write runs while the next chunk's documents are built, so the writes'
    time overlaps the building's."""

    phases: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    calls: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    statements: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    statement_seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    names: dict[str, str] = field(default_factory=statement_names)
    collections: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    collection_seconds: dict[int, float] = field(default_factory=lambda: defaultdict(float))
    _collecting: float = 0.0

    @contextmanager
    def attached(self) -> Iterator[None]:
        saved = {n: getattr(backfill_module, n) for n in PHASE_OF if hasattr(backfill_module, n)}
        for name, fn in saved.items():
            setattr(backfill_module, name, self._timed(PHASE_OF[name], fn))
        execute = AsyncCursor.execute
        AsyncCursor.execute = self._counted(execute)  # type: ignore[method-assign,assignment]
        gc.callbacks.append(self._collected)
        try:
            yield
        finally:
            for name, fn in saved.items():
                setattr(backfill_module, name, fn)
            AsyncCursor.execute = execute  # type: ignore[method-assign]
            gc.callbacks.remove(self._collected)

    def _collected(self, phase: str, info: dict[str, int]) -> None:
        """Python's cyclic garbage collector: collections and their time, by generation
        (inside whichever phase they happen in)."""
        if phase == "start":
            self._collecting = time.perf_counter()
            return
        generation = info["generation"]
        self.collections[generation] += 1
        self.collection_seconds[generation] += time.perf_counter() - self._collecting

    def _timed(self, phase: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        if inspect.iscoroutinefunction(fn):

            async def timed_async(*args: Any, **kwargs: Any) -> Any:
                started = time.perf_counter()
                try:
                    return await fn(*args, **kwargs)
                finally:
                    self.phases[phase] += time.perf_counter() - started
                    self.calls[phase] += 1

            return timed_async

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.phases[phase] += time.perf_counter() - started
                self.calls[phase] += 1

        return timed

    def _counted(self, fn: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def wrapper(cursor: Any, query: Any, params: Any = None, **kwargs: Any) -> Any:
            name = self.names.get(query, "other") if isinstance(query, str) else "other"
            started = time.perf_counter()
            try:
                return await fn(cursor, query, params, **kwargs)
            finally:
                self.statements[name] += 1
                self.statement_seconds[name] += time.perf_counter() - started

        return wrapper


def memory_now() -> tuple[int, int]:
    """This process's resident memory now and at its peak (``VmRSS``, ``VmHWM``), bytes."""
    found = {}
    for text in Path("/proc/self/status").read_text().splitlines():
        key, _, value = text.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0]) * 1024
    return found["VmRSS"], found["VmHWM"]


def max_rss() -> int:
    """``getrusage``'s ``ru_maxrss`` (KiB on Linux), in bytes. In a process started by
    fork and exec it also covers the parent's resident memory at the fork."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


class CpuClock:
    """CPU time (user + system) of this process and of its connection's server backend:
    what a piece of work costs whatever else the machine runs. Work done by PostgreSQL's
    background processes (WAL writer, checkpointer, autovacuum) is not counted."""

    def __init__(self, backend_pid: int) -> None:
        self.processes = [psutil.Process(), psutil.Process(backend_pid)]

    @classmethod
    async def of(cls, conn: Conn) -> CpuClock:
        row = await (await conn.execute("SELECT pg_backend_pid() AS pid")).fetchone()
        assert row is not None
        return cls(int(row["pid"]))

    def seconds(self) -> tuple[float, float]:
        """(client, server) CPU seconds so far."""
        client, server = (p.cpu_times() for p in self.processes)
        return client.user + client.system, server.user + server.system


async def child_backfill(uri: str, since: date, until: date, now: datetime) -> dict[str, Any]:
    """Plan and run a backfill of ``since``..``until`` as of ``now`` in this (fresh)
    process, instrumented: times per phase and statement, resident memory."""
    settings = load_settings(overrides={"dsn": uri})[0]
    conn = await connect(Target(dsn=uri), settings)
    probe = Probe()
    options = BackfillOptions(dates=DateRange(since, until), who="benchmark")
    label = f"{(until - since).days + 1} d"
    try:
        cpu = await CpuClock.of(conn)
        rss_before, _ = memory_now()
        cpu_before = cpu.seconds()
        with probe.attached():
            started = time.perf_counter()
            totals = await count_plans(conn, now, settings, options)
            planned = time.perf_counter() - started
            rss_planned, _ = memory_now()
            sites, done, written = totals[1], 0, 0
            next_report = time.perf_counter() + 15

            def progress(event: dict[str, Any]) -> None:
                nonlocal done, written, next_report
                if event.get("event") != "site":
                    return
                done += 1
                written += event["result"].written
                if time.perf_counter() >= next_report or done == sites:
                    next_report = time.perf_counter() + 15
                    seconds = time.perf_counter() - started - planned
                    sys.stderr.write(
                        f"    {label}: {done}/{sites} sites, {written:,} snapshots, "
                        f"{seconds:.0f} s\n"
                    )

            backfill = Backfill(conn, settings, options, now=lambda: now, progress=progress)
            started_run = time.perf_counter()
            results = await backfill.run(iter_plans(conn, now, settings, options), totals=totals)
            ran = time.perf_counter() - started_run
        cpu_after = cpu.seconds()
        _, peak = memory_now()
    finally:
        await conn.close()
    return {
        "sites": totals[1],
        "planned": totals[0],
        "written": sum(r.written for r in results),
        "conflicts": sum(r.conflicts for r in results),
        "busy": sum(r.busy for r in results),
        "left": sum(r.left for r in results),
        "errors": [r.error for r in results if r.error][:5],
        "skipped": [r.skipped for r in results if r.skipped][:5],
        "plan_seconds": planned,
        "cpu_client": cpu_after[0] - cpu_before[0],
        "cpu_server": cpu_after[1] - cpu_before[1],
        "run_seconds": ran,
        "phases": dict(probe.phases),
        "calls": dict(probe.calls),
        "collections": {
            str(g): [probe.collections[g], probe.collection_seconds[g]] for g in probe.collections
        },
        "statements": {
            k: [probe.statements[k], probe.statement_seconds[k]] for k in probe.statements
        },
        "rss_before": rss_before,
        "rss_planned": rss_planned,
        "peak_rss": peak,
        "max_rss": max_rss(),
    }


@dataclass
class Run:
    """One backfill (in its own process) and what was measured after it."""

    days: int
    since: date
    until: date
    got: dict[str, Any]
    audit_seconds: float = 0.0
    audit: Counts = field(default_factory=Counts)
    today_seconds: float = 0.0
    today_written: int = 0
    ticks: list[float] = field(default_factory=list)
    tick_cpu: list[tuple[float, float]] = field(default_factory=list)
    """(client, server) CPU seconds of each steady tick."""

    @property
    def cpu(self) -> float:
        return float(self.got["cpu_client"] + self.got["cpu_server"])

    @property
    def seconds(self) -> float:
        return float(self.got["plan_seconds"] + self.got["run_seconds"])

    @property
    def written(self) -> int:
        return int(self.got["written"])


def run_child(uri: str, since: date, until: date, now: datetime) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child-backfill", uri]
    command += ["--child-range", f"{since}..{until}", "--child-at", now.isoformat()]
    out = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"the backfill process failed (exit {out.returncode})")
    got: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return got


# --- setting up ------------------------------------------------------------------------


async def reset(conn: Conn) -> None:
    """No snapshot and no backfill run: every slot of the history is missing."""
    for statement in RESET_STATEMENTS:
        await conn.execute(statement)


# --- the run ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Instants:
    anchor: datetime
    """End of the history (an hour boundary): the steady tick writes the slot before it."""
    settle: timedelta
    grace: timedelta
    """The scheduler's late grace: an audit expects a slot only once it is past."""

    @property
    def today(self) -> date:
        return self.anchor.date()

    @property
    def until(self) -> date:
        """The last day backfilled: yesterday."""
        return self.today - timedelta(days=1)

    @property
    def backfill_now(self) -> datetime:
        """The backfills' now: after the range, the slot before the tick's completed and past
        the scheduler's settle and late grace (an audit expects it)."""
        return self.anchor - timedelta(hours=1) + self.settle + self.grace

    @property
    def tick_now(self) -> datetime:
        return self.anchor + self.settle


async def audit_range(conn: Conn, settings: Settings, run: Run, now: datetime) -> None:
    """``snapwatch audit --all`` over the range, consumed as the command does (timed)."""
    total = Counts()
    started = time.perf_counter()
    dates = DateRange(run.since, run.until)
    async for one in audit_sites(conn, now, settings.scheduler, dates=dates):
        total += one.counts
    run.audit_seconds = time.perf_counter() - started
    run.audit = total


async def fill_today(conn: Conn, settings: Settings, run: Run, at: Instants) -> None:
    """Today's session up to the slot before the tick's (wakes 1-11), by a backfill too."""
    options = BackfillOptions(dates=DateRange(at.today, at.today), who="benchmark")
    now = at.backfill_now
    started = time.perf_counter()
    plans = await plan_backfill(conn, now, settings, options)
    results = await Backfill(conn, settings, options, now=lambda: now).run(plans)
    run.today_seconds = time.perf_counter() - started
    run.today_written = sum(r.written for r in results)
    await conn.execute("VACUUM (ANALYZE) session_wake_snapshots")


async def steady_ticks(conn: Conn, settings: Settings, run: Run, at: Instants, rounds: int) -> None:
    """Ticks at an instant where every site owes exactly the slot before the anchor; the
    slot is deleted again after each."""
    sites_row = await (await conn.execute("SELECT count(*) AS n FROM sites")).fetchone()
    sites = int(sites_row["n"]) if sites_row else 0
    cpu = await CpuClock.of(conn)
    for _ in range(rounds):
        cpu_before = cpu.seconds()
        started = time.perf_counter()
        report = await run_tick(conn, settings, at.tick_now)
        seconds = time.perf_counter() - started
        cpu_after = cpu.seconds()
        slots = sum(len(o.written) for o in report.outcomes)
        if report.count("written") != sites or slots != sites:
            raise SystemExit(
                f"steady tick: expected {sites} sites with one slot each, got "
                f"{report.count('written')} sites, {slots} slots, {len(report.failed)} failed"
            )
        run.ticks.append(seconds)
        run.tick_cpu.append((cpu_after[0] - cpu_before[0], cpu_after[1] - cpu_before[1]))
        await conn.execute(
            "DELETE FROM session_wake_snapshots WHERE wake_round_end = %(end)s",
            {"end": at.anchor},
        )


async def measure(args: argparse.Namespace, server: EmbeddedServer) -> None:
    anchor = default_anchor()
    days = sorted({d for d in (args.compare_days, args.days) if d > 0})
    spec = FleetSpec(args.sites, args.devices, max(days) + 1, anchor)
    name = "bench_backfill"
    say("building the fleet (payloads and scored images, no snapshots)")
    built = await build_database(server, name, spec, args.reuse)
    uri = server.uri(name)
    settings = load_settings(overrides={"dsn": uri})[0]
    at = Instants(
        anchor,
        timedelta(seconds=settings.scheduler.settle_seconds),
        timedelta(seconds=settings.scheduler.late_grace_seconds),
    )
    conn = await connect(Target(dsn=uri), settings)
    found: list[Run] = []
    try:
        await reset(conn)  # a fleet kept by --reuse holds the snapshots of its last run
        counts = dict(await (await conn.execute(COUNTS_SQL)).fetchone() or {})
        for n in days:
            since = at.until - timedelta(days=n - 1)
            say(f"backfill of {n} d ({since} .. {at.until}) as of {at.backfill_now.isoformat()}")
            await reset(conn)
            await conn.execute("CHECKPOINT")
            run = Run(n, since, at.until, run_child(uri, since, at.until, at.backfill_now))
            check_run(run, args)
            say(
                f"  written {run.written:,} in {run.seconds:.1f} s "
                f"({run.written / run.seconds:,.0f} per s), peak RSS "
                f"{run.got['peak_rss'] / 2**20:.1f} MiB"
            )
            await audit_range(conn, settings, run, at.backfill_now)
            a = run.audit
            say(
                f"  audit {run.audit_seconds:.2f} s: expected {a.expected:,}, present "
                f"{a.present:,}, missing {a.missing:,}, coverage {a.coverage or 0:.1f} %"
            )
            await fill_today(conn, settings, run, at)
            say(
                f"  today's session to 11:00 by a backfill: {run.today_written:,} snapshots "
                f"in {run.today_seconds:.1f} s"
            )
            await steady_ticks(conn, settings, run, at, args.rounds)
            say(f"  steady ticks, s: {' '.join(f'{t:.3f}' for t in run.ticks)}")
            found.append(run)
        row = await (await conn.execute("SELECT version() AS v")).fetchone()
        version = str(row["v"]).split(",")[0] if row else "?"
    finally:
        await conn.close()
    print_summary(
        args, server=server, version=version, spec=spec, counts=counts, built=built, found=found
    )


def check_run(run: Run, args: argparse.Namespace) -> None:
    """Stops the benchmark unless every slot of the range was planned and written."""
    got = run.got
    expected = args.sites * run.days * 24
    if got["planned"] == got["written"] == expected and not got["errors"]:
        return
    say(f"backfill of {run.days} d: expected {expected:,} snapshots, got")
    say(
        f"  planned {got['planned']:,}, written {got['written']:,}, conflicts "
        f"{got['conflicts']}, busy {got['busy']}, left {got['left']}"
    )
    for text in got["errors"] + got["skipped"]:
        say(f"  {text}")
    raise SystemExit(1)


# --- output ----------------------------------------------------------------------------

WIDTH = 48


def line(label: str, *values: str, goal: str = "") -> None:
    cells = "".join(f"{v:>10}" for v in values)
    say(f"{label:<{WIDTH}}{cells}  {goal}".rstrip())


def shares(run: Run) -> dict[str, float]:
    """Shares of the backfill's wall time (planning + run)."""
    p = run.got["phases"]
    total = run.seconds
    wrapped = sum(p.values())
    return {
        "planning (the audit of the range)": run.got["plan_seconds"] / total,
        "reads and documents": (p.get("reader", 0.0) + p.get("building", 0.0)) / total,
        "  reader (read_rounds)": p.get("reader", 0.0) / total,
        "  building documents (prepare_snapshot)": p.get("building", 0.0) / total,
        "writes (write_site)": p.get("writes", 0.0) / total,
        "run bookkeeping (runs, run_sites)": p.get("bookkeeping", 0.0) / total,
        "other (the run's own code)": max(0.0, run.got["run_seconds"] - wrapped) / total,
    }


def print_summary(
    args: argparse.Namespace,
    *,
    server: EmbeddedServer,
    version: str,
    spec: FleetSpec,
    counts: dict[str, Any],
    built: dict[str, float],
    found: list[Run],
) -> None:
    main = found[-1]
    say()
    say("== snapwatch backfill benchmark ==")
    say(
        f"machine     {os.cpu_count()} cores, {platform.system()} {platform.machine()}, "
        f"Python {platform.python_version()}"
    )
    say(f"PostgreSQL  {version} (embedded, {server.pgdata})")
    say(
        f"scale       {args.days} d x {args.sites} sites x {args.devices} devices at a 1 h "
        f"cadence = {main.written:,} snapshots ({main.since} .. {main.until}, UTC)"
    )
    say(
        f"            history {spec.days} d: {counts['payloads']:,} payloads, "
        f"{counts['images']:,} images, {counts['alerts']:,} alerts, "
        f"{counts['sessions']:,} sessions, {counts['bytes'] / 2**20:,.0f} MiB"
    )
    if built:
        say(f"            build {built['total']:.1f} s ({format_steps(built)})")
    say(
        "method      each backfill from empty in a process of its own (count_plans, then "
        "Backfill.run over iter_plans), as of the slot before the tick's; then the audit of "
        f"its range, today's session to 11:00, and {args.rounds} steady ticks (medians)"
    )
    say()
    line("figure", *(f"{r.days} d" for r in found), goal="goal")
    line("snapshots written", *(f"{r.written:,}" for r in found))
    line("wall time, s (plan + run)", *(f"{r.seconds:.1f}" for r in found))
    line("  planning, s", *(f"{r.got['plan_seconds']:.1f}" for r in found))
    line("  run, s", *(f"{r.got['run_seconds']:.1f}" for r in found))
    line("snapshots per second", *(f"{r.written / r.seconds:,.0f}" for r in found))
    line("per snapshot, ms", *(f"{r.seconds / r.written * 1e3:.2f}" for r in found))
    rows: dict[str, list[str]] = defaultdict(list)
    for r in found:
        for label, value in shares(r).items():
            rows[label].append(f"{value * 100:.0f} %")
    say("share of the wall time")
    for label, values in rows.items():
        line(f"  {label}", *values)
    line(
        "  Python's gc (full collections), in the above",
        *(f"{r.got['collections'].get('2', [0, 0.0])[1] / r.seconds * 100:.0f} %" for r in found),
    )
    peaks = [r.got["peak_rss"] for r in found]
    line("peak RSS of the process (VmHWM), MiB", *(f"{p / 2**20:.1f}" for p in peaks))
    if len(found) > 1:
        ratio = peaks[-1] / peaks[0]
        line(
            f"  ratio {found[-1].days} d / {found[0].days} d",
            *([""] * (len(found) - 1)),
            f"{ratio:.2f}",
            goal=f"<= {GOAL_MEMORY_RATIO} (flat)  {verdict(ratio <= GOAL_MEMORY_RATIO)}",
        )
    line("  before planning, MiB", *(f"{r.got['rss_before'] / 2**20:.1f}" for r in found))
    line(
        "  after planning (plans held), MiB",
        *(f"{r.got['rss_planned'] / 2**20:.1f}" for r in found),
    )
    line("  ru_maxrss, MiB", *(f"{r.got['max_rss'] / 2**20:.1f}" for r in found))
    ticks = [statistics.median(r.ticks) for r in found]
    line("steady tick, one slot per site, s (median)", *(f"{t:.3f}" for t in ticks))
    line("  per site, ms", *(f"{t / args.sites * 1e3:.2f}" for t in ticks))
    ratios = [(r.seconds / r.written) / (t / args.sites) for r, t in zip(found, ticks, strict=True)]
    line(
        "per backfilled snapshot / per site of a tick",
        *(f"{x:.2f}" for x in ratios),
        goal=f"<= {GOAL_COST_RATIO}  {verdict(ratios[-1] <= GOAL_COST_RATIO)}",
    )
    run_ratios = [
        (r.got["run_seconds"] / r.written) / (t / args.sites)
        for r, t in zip(found, ticks, strict=True)
    ]
    line("  the run alone (without planning)", *(f"{x:.2f}" for x in run_ratios))
    say("CPU time, client + its server backend (whatever else the machine runs)")
    line(
        "  backfill, ms per snapshot",
        *(f"{r.cpu / r.written * 1e3:.2f}" for r in found),
    )
    line(
        "    of which the server backend",
        *(f"{r.got['cpu_server'] / r.written * 1e3:.2f}" for r in found),
    )
    # Summed over the ticks: the CPU clocks count in 10 ms steps.
    tick_cpu = [statistics.fmean(c + s for c, s in r.tick_cpu) for r in found]
    line("  steady tick, ms per site (mean)", *(f"{t / args.sites * 1e3:.2f}" for t in tick_cpu))
    line(
        "  per backfilled snapshot / per site of a tick",
        *(
            f"{(r.cpu / r.written) / (t / args.sites):.2f}"
            for r, t in zip(found, tick_cpu, strict=True)
        ),
    )
    line(
        "audit of the range (audit_sites, all sites), s", *(f"{r.audit_seconds:.2f}" for r in found)
    )
    line("  expected", *(f"{r.audit.expected:,}" for r in found))
    line("  present", *(f"{r.audit.present:,}" for r in found))
    line("  missing", *(f"{r.audit.missing:,}" for r in found))
    line("  problems of any kind", *(f"{r.audit.problems:,}" for r in found))
    full = all(r.audit.coverage == 100.0 and not r.audit.problems for r in found)
    line(
        "  coverage",
        *(f"{r.audit.coverage or 0:.1f} %" for r in found),
        goal=f"100 %  {verdict(full)}",
    )
    say()
    for r in found:
        say(f"{r.days} d steady ticks, s: {' '.join(f'{t:.3f}' for t in r.ticks)}")
    print_breakdown(main)


def print_breakdown(run: Run) -> None:
    """The longest backfill per collaborator and per statement."""
    got, n = run.got, run.written
    say()
    say(f"the {run.days} d backfill in detail ({n:,} snapshots)")
    line("phase", "s", "ms/snap", "calls")
    line(
        "  planning (count_plans)",
        f"{got['plan_seconds']:.2f}",
        f"{got['plan_seconds'] / n * 1e3:.3f}",
    )
    for phase in ("reader", "building", "writes", "bookkeeping"):
        seconds = got["phases"].get(phase, 0.0)
        calls = got["calls"].get(phase, 0)
        line(f"  {phase}", f"{seconds:.2f}", f"{seconds / n * 1e3:.3f}", f"{calls:,}")
    other = max(0.0, got["run_seconds"] - sum(got["phases"].values()))
    line("  other (the run's own code)", f"{other:.2f}", f"{other / n * 1e3:.3f}")
    for generation, (count, seconds) in sorted(got["collections"].items()):
        line(
            f"  (within them: gc generation {generation})",
            f"{seconds:.2f}",
            f"{seconds / n * 1e3:.3f}",
            f"{count:,}",
        )
    line("statement (execute incl. round trip)", "s", "ms/snap", "count")
    for name, (count, seconds) in sorted(got["statements"].items(), key=lambda kv: -kv[1][1]):
        line(f"  {name}", f"{seconds:.2f}", f"{seconds / n * 1e3:.3f}", f"{count:,}")
    say(
        "a write is pipelined in its transaction: its statement's row above is only the "
        "sending; write_site's phase holds its whole time"
    )


# --- entry point -----------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sites", type=int, default=100)
    parser.add_argument("--devices", type=int, default=20, help="devices per site")
    parser.add_argument("--days", type=int, default=30, help="site-local days backfilled")
    parser.add_argument(
        "--compare-days",
        type=int,
        default=7,
        help="a shorter backfill run first, for memory side by side (0: none)",
    )
    parser.add_argument("--rounds", type=int, default=5, help="steady ticks after each backfill")
    parser.add_argument("--data-dir", type=Path, help="keep the server here (default: temp)")
    parser.add_argument(
        "--reuse", action="store_true", help="with --data-dir: keep a fleet of the same scale"
    )
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: 10 sites, 3 days against 1, 3 ticks"
    )
    parser.add_argument("--child-backfill", metavar="URI", help=argparse.SUPPRESS)
    parser.add_argument("--child-range", help=argparse.SUPPRESS)
    parser.add_argument("--child-at", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.sites, args.days, args.compare_days, args.rounds = 10, 3, 1, 3
    if min(args.sites, args.devices, args.days, args.rounds) < 1 or args.compare_days < 0:
        parser.error("--sites, --devices, --days and --rounds must be >= 1")
    if args.compare_days >= args.days:
        args.compare_days = 0
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if args.child_backfill:
        since, until = (date.fromisoformat(d) for d in args.child_range.split(".."))
        at = datetime.fromisoformat(args.child_at)
        got = asyncio.run(child_backfill(args.child_backfill, since, until, at))
        print(json.dumps(got), flush=True)
        return 0
    on_embedded_server(args.data_dir, lambda server: measure(args, server))
    return 0


if __name__ == "__main__":
    sys.exit(main())
