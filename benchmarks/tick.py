"""Benchmark of one scheduler tick: does its cost depend on the length of the history?

Starts an embedded PostgreSQL, builds the same fleet twice (``bench_long`` with
``--days`` of history, ``bench_short`` with one day), and times a tick that writes one
snapshot for every site, alternating the two databases, against the bare index reads
a tick cannot avoid. Then measures a document's bytes per device on one site of 20 and
of ``--dense-devices`` devices side by side. See ``benchmarks/README.md``.

    python benchmarks/tick.py [--sites 500] [--devices 20] [--days 14] [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import asyncio
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
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import psutil
from bench_common import build_database, format_steps, on_embedded_server, say, verdict
from fleet import FleetSpec, default_anchor
from psycopg import AsyncConnection, AsyncCursor

import snapwatch.schedule.tick as tick_module
import snapwatch.schedule.tick_batches as batches_module
from snapwatch.infra.config import Settings, load_settings
from snapwatch.infra.db import Target, connect
from snapwatch.infra.embedded import EmbeddedServer
from snapwatch.schedule import pauses, sitestate
from snapwatch.schedule.tick import run_tick
from snapwatch.schedule.tick_report import TickReport
from snapwatch.snapshot import reader, writer

Conn = AsyncConnection[dict[str, Any]]

GOAL_HISTORY_RATIO = 1.25
GOAL_READS_RATIO = 3.0
GOAL_DOCUMENT_BYTES = 50_000  # for a 20-device site (design/snapshot-v1.md)
# Documents are linear in devices at any density: bytes per device on a site of
# --dense-devices within this share of those on a 20-device site.
GOAL_DENSITY_SHARE = 0.20
SPARSE_DEVICES = 20
GOAL_MEMORY_RATIO = 1.5  # peak RSS of a tick at 10x the sites
GOAL_PER_SITE_RATIO = 1.3  # wall time per site at 10x the sites
MEMORY_SCALE = 10  # the large fleet of (e): 10x --sites, 1 day of history

# The two reads every document needs, for every device: the newest telemetry and the
# newest in-range score before the instant, through the (device_id, captured_at DESC)
# indexes. Same shape as the reader's queries, one row per device.
BARE_TELEMETRY_SQL = reader.TELEMETRY_SQL.today
BARE_SCORE_SQL = """
SELECT d.device_id, m.*
  FROM unnest(%(sites)s::uuid[], %(ends)s::timestamptz[]) AS r(site_id, e)
  JOIN devices d ON d.site_id = r.site_id AND d.is_active
 CROSS JOIN LATERAL (
        SELECT g.image_id, g.captured_at, g.mgi_score::float8
          FROM device_images g
         WHERE g.device_id = d.device_id AND g.captured_at < r.e
           AND g.mgi_score IS NOT NULL AND g.mgi_score BETWEEN 0 AND 1
         ORDER BY g.captured_at DESC
         LIMIT 1) m
"""

DOCUMENT_SIZE_SQL = """
SELECT count(*) AS documents,
       avg(octet_length(site_state::text)::float8 / nullif(active_devices_count, 0))
         AS text_bytes_per_device,
       avg(octet_length(site_state::text)) AS avg_text_bytes,
       avg(pg_column_size(site_state)::float8 / nullif(active_devices_count, 0))
         AS stored_bytes_per_device,
       avg(pg_column_size(site_state)) AS avg_stored_bytes
  FROM session_wake_snapshots
"""

# The documents themselves, to measure them as compact JSON (jsonb's text has spaces).
DOCUMENTS_SQL = (
    "SELECT site_state::text AS doc, active_devices_count AS n FROM session_wake_snapshots"
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

RESET_STATEMENTS = (
    "DELETE FROM session_wake_snapshots",
    "UPDATE sites SET last_snapshot_at = NULL",
    "VACUUM (ANALYZE) session_wake_snapshots",
    "VACUUM (ANALYZE) sites",
)

# The middle of a day: the open session already holds its earlier hourly slots and the
# previous session all 24, as copies of the document written for the newest slot (kept
# as they are, compressed: a tick reads only their round and provisional flag).
STEADY_FILL_SQL = """
INSERT INTO session_wake_snapshots (
    company_id, program_id, site_id, session_id, wake_number, wake_round_start,
    wake_round_end, site_state, active_devices_count, new_images_this_round,
    new_alerts_this_round, avg_temperature, avg_humidity, avg_mgi, max_mgi, created_at)
SELECT w.company_id, w.program_id, w.site_id, ss.session_id, k,
       ss.session_start_time + (k - 1) * interval '1 hour',
       ss.session_start_time + k * interval '1 hour',
       w.site_state,
       w.active_devices_count, w.new_images_this_round, w.new_alerts_this_round,
       w.avg_temperature, w.avg_humidity, w.avg_mgi, w.max_mgi, w.created_at
  FROM session_wake_snapshots w
  JOIN site_device_sessions cur ON cur.session_id = w.session_id
  JOIN site_device_sessions ss
    ON ss.site_id = w.site_id AND ss.session_date IN (cur.session_date, cur.session_date - 1)
 CROSS JOIN generate_series(1, 24) AS k
 WHERE ss.session_date < cur.session_date OR k < w.wake_number
"""

# Statement texts of a tick, named for the breakdown and for EXPLAIN.
STATEMENT_NAMES: dict[str, str] = {
    sitestate.SITES_SQL: "load_sites: sites",
    sitestate.SESSIONS_SQL: "load_sites: sessions, their state",
    pauses.PAUSES_SQL: "load_sites: pauses",
    reader.PLACEMENT_HISTORY_SQL: "read_rounds: placement history",
    **{
        text: name
        for query, name in (
            (reader.ROSTER_SQL, "read_rounds: roster"),
            (reader.TELEMETRY_SQL, "read_rounds: telemetry"),
            (reader.SCORES_SQL, "read_rounds: scores"),
            (reader.IMAGES_SQL, "read_rounds: images"),
            (reader.ALERTS_SQL, "read_rounds: alerts"),
        )
        for text in (query.today, query.history)
    },
    writer.WRITE_SQL: "write_site: claim, re-check, upsert, touch, notify",
}

# Explained with the parameters of a real tick (the claim locks a site row only briefly).
EXPLAINED_STEADY = (sitestate.SESSIONS_SQL,)
EXPLAINED = (
    sitestate.SITES_SQL,
    sitestate.SESSIONS_SQL,
    *(
        text
        for query in (
            reader.ROSTER_SQL,
            reader.TELEMETRY_SQL,
            reader.SCORES_SQL,
            reader.IMAGES_SQL,
            reader.ALERTS_SQL,
        )
        for text in dict.fromkeys((query.today, query.history))
    ),
)


# --- instrumentation -------------------------------------------------------------------


# Each collaborator with the module that calls it (where it is wrapped).
TIMED_ASYNC = {
    "load_sites": tick_module,
    "read_rounds": batches_module,
    "write_site": batches_module,
}
TIMED_SYNC = {"_due_slots": (tick_module, "planning"), "_prepare": (batches_module, "documents")}


@dataclass
class Probe:
    """Per-phase wall time and statements of one tick, by wrapping its collaborators.

    ``write_site`` runs while the next site's document is built, so its time overlaps
    ``documents``; the time the tick waits for writes is what the other phases leave."""

    phases: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    statements: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    statement_seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    first_params: dict[str, Any] = field(default_factory=dict)

    @property
    def executes(self) -> int:
        return sum(self.statements.values())

    @contextmanager
    def attached(self) -> Iterator[None]:
        modules = {**TIMED_ASYNC, **{name: module for name, (module, _) in TIMED_SYNC.items()}}
        saved = {name: getattr(module, name) for name, module in modules.items()}
        for name, module in TIMED_ASYNC.items():
            setattr(module, name, self._timed_async(name, saved[name]))
        for name, (module, phase) in TIMED_SYNC.items():
            setattr(module, name, self._timed_sync(phase, saved[name]))
        execute = AsyncCursor.execute
        AsyncCursor.execute = self._counted_execute(execute)  # type: ignore[method-assign]
        try:
            yield
        finally:
            for name, fn in saved.items():
                setattr(modules[name], name, fn)
            AsyncCursor.execute = execute  # type: ignore[method-assign]

    def _timed_async(
        self, name: str, fn: Callable[..., Awaitable[Any]]
    ) -> Callable[..., Awaitable[Any]]:
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return await fn(*args, **kwargs)
            finally:
                self.phases[name] += time.perf_counter() - started

        return wrapper

    def _timed_sync(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.phases[name] += time.perf_counter() - started

        return wrapper

    def _counted_execute(self, fn: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def wrapper(cursor: Any, query: Any, params: Any = None, **kwargs: Any) -> Any:
            name = "other"
            if isinstance(query, str):  # not a composed one (a transaction's settings)
                name = STATEMENT_NAMES.get(query, name)
                self.first_params.setdefault(query, params)
            started = time.perf_counter()
            try:
                return await fn(cursor, query, params, **kwargs)
            finally:
                self.statements[name] += 1
                self.statement_seconds[name] += time.perf_counter() - started

        return wrapper


# --- one database ----------------------------------------------------------------------


@dataclass
class Bench:
    name: str
    spec: FleetSpec
    settings: Settings
    conn: Conn
    devices: list[UUID] = field(default_factory=list)
    sites: list[UUID] = field(default_factory=list)
    ticks: list[float] = field(default_factory=list)
    reads: list[float] = field(default_factory=list)
    build: dict[str, float] = field(default_factory=dict)
    counts: dict[str, Any] = field(default_factory=dict)
    sizes: dict[str, Any] = field(default_factory=dict)
    probe: Probe | None = None
    probe_seconds: float = 0.0
    steady: Probe | None = None
    steady_seconds: float = 0.0
    steady_rows: int = 0

    @property
    def label(self) -> str:
        return f"{self.spec.days} d"


async def reset(conn: Conn) -> None:
    """Back to "never snapshotted": every site is brand new and (catch_up "latest") writes
    its newest slot."""
    for statement in RESET_STATEMENTS:
        await conn.execute(statement)


async def timed_tick(bench: Bench, now: datetime) -> tuple[float, TickReport]:
    await reset(bench.conn)
    started = time.perf_counter()
    report = await run_tick(bench.conn, bench.settings, now)
    return time.perf_counter() - started, report


def check_report(bench: Bench, report: TickReport) -> int:
    """The number of sites written; stops the benchmark when it is not one slot per site."""
    written = report.count("written")
    slots = sum(len(o.written) for o in report.outcomes)
    if written != bench.spec.sites or slots != bench.spec.sites:
        say(f"{bench.name}: expected {bench.spec.sites} sites with one slot each, got")
        say(f"  written={written} slots={slots} failed={len(report.failed)}")
        for o in report.outcomes[:5]:
            say(f"  {o.site_name}: {o.outcome} reason={o.reason} error={o.error}")
        raise SystemExit(1)
    return written


async def bare_reads(bench: Bench, now: datetime) -> float:
    n = len(bench.sites)
    args = {"sites": bench.sites, "starts": [now - timedelta(hours=1)] * n, "ends": [now] * n}
    started = time.perf_counter()
    for query in (BARE_TELEMETRY_SQL, BARE_SCORE_SQL):
        rows = await (await bench.conn.execute(query, args)).fetchall()
        if len(rows) != len(bench.devices):
            raise SystemExit(f"bare read returned {len(rows)} rows for {len(bench.devices)}")
    return time.perf_counter() - started


async def explain(bench: Bench, probe: Probe, queries: tuple[str, ...], state: str) -> None:
    """EXPLAIN ANALYZE of a tick's statements, with the parameters the tick used."""
    for query in queries:
        if query not in probe.first_params:
            continue
        say(f"--- {STATEMENT_NAMES[query]} ({bench.name}, {state}) ---")
        statement = "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + query
        cur = await bench.conn.execute(statement, probe.first_params[query])
        for row in await cur.fetchall():
            text = str(next(iter(row.values())))
            say("  " + (text if len(text) <= 160 else text[:150] + " ...[cut]"))


async def probed_tick(bench: Bench, now: datetime) -> tuple[float, Probe]:
    probe = Probe()
    with probe.attached():
        started = time.perf_counter()
        report = await run_tick(bench.conn, bench.settings, now)
        seconds = time.perf_counter() - started
    check_report(bench, report)
    return seconds, probe


async def fill_sessions(bench: Bench, slot_end: datetime) -> float:
    """Give every site the earlier snapshots of its open session and a complete previous
    session, then remove the newest slot again so that a tick writes it."""
    started = time.perf_counter()
    await bench.conn.execute("SET statement_timeout = 0")
    await bench.conn.execute(STEADY_FILL_SQL)
    await bench.conn.execute(
        "DELETE FROM session_wake_snapshots WHERE wake_round_end = %(end)s", {"end": slot_end}
    )
    await bench.conn.execute("RESET statement_timeout")
    await bench.conn.execute("VACUUM (ANALYZE) session_wake_snapshots")
    return time.perf_counter() - started


# The keys the platform's map UI reads (design/snapshot-v1.md, "(platform)"), by object:
# what a document cannot shed. Everything else is snapwatch's own addition.
PLATFORM_KEYS: dict[str, frozenset[str]] = {
    "snapshot_metadata": frozenset(
        {"wake_number", "wake_round_start", "wake_round_end", "session_id"}
    ),
    "site_metadata": frozenset(
        {"site_id", "site_name", "site_code", "site_type", "dimensions", "timezone"}
    ),
    "program_context": frozenset(
        {
            "program_id",
            "program_name",
            "program_start_date",
            "program_end_date",
            "program_day",
            "total_days",
        }
    ),
    "session_metrics": frozenset(
        {"active_devices_count", "new_images_this_round", "new_alerts_this_round"}
    ),
    "device": frozenset(
        {
            "device_id",
            "device_code",
            "device_name",
            "device_mac",
            "position",
            "zone_id",
            "zone_label",
            "status",
            "battery_voltage",
            "battery_health_percent",
            "last_seen_at",
            "telemetry",
            "mgi_state",
            "images_this_round",
            "alerts",
            "display",
        }
    ),
    "telemetry": frozenset(
        {
            "temperature",
            "humidity",
            "pressure",
            "gas_resistance",
            "wifi_rssi",
            "captured_at",
            "is_current",
            "data_freshness",
            "hours_since_last",
            "wake_payload_id",
            "image_id",
        }
    ),
    "mgi_state": frozenset(
        {
            "current_mgi",
            "captured_at",
            "is_current",
            "data_freshness",
            "hours_since_last",
            "mgi_velocity",
        }
    ),
}


def platform_part(doc: dict[str, Any]) -> dict[str, Any]:
    """The document with only the platform's keys (zones are the platform's whole)."""
    out: dict[str, Any] = {
        name: {k: v for k, v in doc.get(name, {}).items() if k in PLATFORM_KEYS[name]}
        for name in ("snapshot_metadata", "site_metadata", "program_context", "session_metrics")
    }
    devices = []
    for device in doc.get("devices", []):
        kept = {k: v for k, v in device.items() if k in PLATFORM_KEYS["device"]}
        for name in ("telemetry", "mgi_state"):
            kept[name] = {k: v for k, v in device[name].items() if k in PLATFORM_KEYS[name]}
        devices.append(kept)
    out["devices"] = devices
    out["environmental_zones"] = doc.get("environmental_zones", [])
    return out


def compact_bytes(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())


async def document_sizes(conn: Conn) -> dict[str, Any]:
    """Bytes per device and per document: as compact JSON (what snapwatch writes), as
    jsonb's text output (``site_state::text``, with spaces) and as stored (TOAST)."""
    row = await (await conn.execute(DOCUMENT_SIZE_SQL)).fetchone()
    sizes = dict(row or {})
    per_device: list[float] = []
    platform_per_device: list[float] = []
    per_document: list[int] = []
    for r in await (await conn.execute(DOCUMENTS_SQL)).fetchall():
        doc = json.loads(r["doc"])
        length = compact_bytes(doc)
        per_document.append(length)
        if r["n"]:
            per_device.append(length / r["n"])
            platform_per_device.append(compact_bytes(platform_part(doc)) / r["n"])
    sizes["bytes_per_device"] = statistics.fmean(per_device) if per_device else 0.0
    sizes["platform_bytes_per_device"] = (
        statistics.fmean(platform_per_device) if platform_per_device else 0.0
    )
    sizes["avg_bytes"] = statistics.fmean(per_document) if per_document else 0.0
    sizes["max_bytes"] = max(per_document, default=0)
    return sizes


# --- (e) memory and time per site, each tick in a fresh process --------------------------


@dataclass
class ChildTick:
    sites: int
    seconds: float
    rss_before: int
    peak_rss: int

    @property
    def growth(self) -> int:
        return max(0, self.peak_rss - self.rss_before)


async def child_tick(uri: str, at: datetime) -> dict[str, Any]:
    """One tick writing every site of the database at ``uri``, in this (fresh) process:
    its wall time and the process's resident memory before it and at its peak."""
    settings = load_settings(overrides={"dsn": uri})[0]
    latest = settings.scheduler.model_copy(update={"catch_up": "latest"})
    settings = settings.model_copy(update={"scheduler": latest})
    conn = await connect(Target(dsn=uri), settings)
    try:
        await reset(conn)
        rss_before = psutil.Process().memory_info().rss
        started = time.perf_counter()
        report = await run_tick(conn, settings, at)
        seconds = time.perf_counter() - started
        peak = peak_rss()
    finally:
        await conn.close()
    return {
        "sites": report.count("written"),
        "seconds": seconds,
        "rss_before": rss_before,
        "peak_rss": peak,
        "failed": len(report.failed),
    }


def peak_rss() -> int:
    """This process's peak resident memory, in bytes. ``VmHWM`` on Linux: ``ru_maxrss``
    survives ``exec`` and would report the parent's peak that the child was forked from."""
    try:
        for text in Path("/proc/self/status").read_text().splitlines():
            if text.startswith("VmHWM:"):
                return int(text.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def run_child(uri: str, at: datetime) -> ChildTick:
    out = subprocess.run(
        [sys.executable, __file__, "--child-tick", uri, "--child-at", at.isoformat()],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise SystemExit(f"child tick failed: {out.stderr.strip()[-2000:]}")
    got = json.loads(out.stdout.strip().splitlines()[-1])
    if got["failed"]:
        raise SystemExit(f"child tick: {got['failed']} sites failed")
    return ChildTick(got["sites"], got["seconds"], got["rss_before"], got["peak_rss"])


@dataclass
class Memory:
    small: list[ChildTick]
    large: list[ChildTick]
    large_name: str
    large_counts: dict[str, Any]


async def measure_memory(
    args: argparse.Namespace,
    server: EmbeddedServer,
    small: Bench,
    wide_spec: FleetSpec,
    now: datetime,
) -> Memory:
    """(e): one tick at ``--sites`` (``bench_short``) and at 10x as many sites (1 day of
    history each), alternating, every tick in a fresh process."""
    say(f"memory: a tick at {small.spec.sites} and at {wide_spec.sites} sites, each alone")
    wide = await prepare(server, "bench_wide", wide_spec, args.reuse)
    await wide.conn.close()
    small_uri, wide_uri = server.uri(small.name), server.uri(wide.name)
    memory = Memory([], [], wide.name, wide.counts)
    for r in range(args.memory_rounds):
        order = ((small_uri, memory.small), (wide_uri, memory.large))
        for uri, into in order if r % 2 == 0 else order[::-1]:
            got = run_child(uri, now)
            into.append(got)
            say(
                f"  {got.sites:>6} sites  tick {got.seconds:7.3f} s  rss before "
                f"{got.rss_before / 2**20:6.1f} MiB  peak {got.peak_rss / 2**20:6.1f} MiB"
            )
    return memory


# --- (d) bytes per device at two densities, one site each -----------------------------


@dataclass
class Density:
    """One site of ``devices`` devices (the fleet's 20 spots, shared beyond 20), written
    by one tick in a fresh process."""

    devices: int
    tick: ChildTick
    sizes: dict[str, Any]


async def measure_density(
    args: argparse.Namespace, server: EmbeddedServer, anchor: datetime, now: datetime
) -> list[Density]:
    """A site of 20 devices and one of ``--dense-devices``, 1 day of history each: their
    documents' bytes per device side by side, and each tick's peak RSS."""
    say(f"density: one site of {SPARSE_DEVICES} and one of {args.dense_devices} devices")
    found = []
    for devices in (SPARSE_DEVICES, args.dense_devices):
        spec = FleetSpec(1, devices, 1, anchor)
        bench = await prepare(server, f"bench_site_{devices}", spec, args.reuse)
        try:
            tick = run_child(server.uri(bench.name), now)
            sizes = await document_sizes(bench.conn)
        finally:
            await bench.conn.close()
        say(
            f"  {devices:>6} devices  tick {tick.seconds:7.3f} s  peak "
            f"{tick.peak_rss / 2**20:6.1f} MiB  {sizes['bytes_per_device']:,.0f} bytes/device"
        )
        found.append(Density(devices, tick, sizes))
    return found


# --- setting up ------------------------------------------------------------------------


async def prepare(server: EmbeddedServer, name: str, spec: FleetSpec, reuse: bool) -> Bench:
    uri = server.uri(name)
    settings = load_settings(overrides={"dsn": uri})[0]
    build = await build_database(server, name, spec, reuse)
    conn = await connect(Target(dsn=uri), settings)
    # One snapshot per site and tick: a site never snapshotted would otherwise also catch up
    # every earlier slot of its sessions; "latest" writes only the newest.
    latest = settings.scheduler.model_copy(update={"catch_up": "latest"})
    bench = Bench(name, spec, settings.model_copy(update={"scheduler": latest}), conn, build=build)
    rows = await (await conn.execute("SELECT device_id FROM devices ORDER BY device_id")).fetchall()
    bench.devices = [r["device_id"] for r in rows]
    rows = await (await conn.execute("SELECT site_id FROM sites ORDER BY site_id")).fetchall()
    bench.sites = [r["site_id"] for r in rows]
    row = await (await conn.execute(COUNTS_SQL)).fetchone()
    bench.counts = dict(row or {})
    return bench


# --- the run ---------------------------------------------------------------------------


async def measure(args: argparse.Namespace, server: EmbeddedServer) -> None:
    anchor = default_anchor()
    say("building the fleets")
    long_ = await prepare(
        server, "bench_long", FleetSpec(args.sites, args.devices, args.days, anchor), args.reuse
    )
    short = await prepare(
        server, "bench_short", FleetSpec(args.sites, args.devices, 1, anchor), args.reuse
    )
    benches = (long_, short)
    settle = long_.settings.scheduler.settle_seconds
    now = anchor + timedelta(seconds=settle)
    try:
        say(f"measuring: {args.rounds} rounds, alternating, tick as of {now.isoformat()}")
        say(f"  {'round':<6}{'db':<13}{'tick s':>8}{'written':>9}{'bare reads s':>14}")
        for r in range(args.rounds):
            order = benches if r % 2 == 0 else benches[::-1]
            for bench in order:
                seconds, report = await timed_tick(bench, now)
                written = check_report(bench, report)
                reads = await bare_reads(bench, now)
                bench.ticks.append(seconds)
                bench.reads.append(reads)
                say(f"  {r + 1:<6}{bench.name:<13}{seconds:>8.3f}{written:>9}{reads:>14.3f}")
        for bench in benches:
            bench.sizes = await document_sizes(bench.conn)
        for bench in benches:
            await reset(bench.conn)
            bench.probe_seconds, bench.probe = await probed_tick(bench, now)
        if args.steady:
            say("steady state: filling the sessions with their earlier snapshots")
            for bench in benches:
                fill = await fill_sessions(bench, anchor)
                row = await (
                    await bench.conn.execute("SELECT count(*) AS n FROM session_wake_snapshots")
                ).fetchone()
                bench.steady_rows = int(row["n"]) if row else 0
                say(f"  {bench.name}: {bench.steady_rows:,} snapshots in {fill:.1f} s")
                bench.steady_seconds, bench.steady = await probed_tick(bench, now)
            if args.explain and long_.steady is not None:
                await explain(long_, long_.steady, EXPLAINED_STEADY, "steady state")
        if args.explain and long_.probe is not None:
            await reset(long_.conn)
            await explain(long_, long_.probe, EXPLAINED, "new sites")
        wide_spec = FleetSpec(args.sites * MEMORY_SCALE, args.devices, 1, anchor)
        memory = await measure_memory(args, server, short, wide_spec, now)
        density = await measure_density(args, server, anchor, now)
        await print_summary(args, server, long_, short, memory=memory, density=density)
    finally:
        for bench in benches:
            await bench.conn.close()


WIDTH = 44


def line(label: str, long_value: str, short_value: str = "", goal: str = "") -> None:
    say(f"{label:<{WIDTH}}{long_value:>10}{short_value:>10}  {goal}".rstrip())


async def print_summary(
    args: argparse.Namespace,
    server: EmbeddedServer,
    long_: Bench,
    short: Bench,
    *,
    memory: Memory,
    density: list[Density],
) -> None:
    row = await (await long_.conn.execute("SELECT version() AS v")).fetchone()
    version = str(row["v"]).split(",")[0] if row else "?"
    tick_l, tick_s = statistics.median(long_.ticks), statistics.median(short.ticks)
    reads_l, reads_s = statistics.median(long_.reads), statistics.median(short.reads)
    history = tick_l / tick_s
    over_l, over_s = tick_l / reads_l, tick_s / reads_s
    sl, ss = long_.sizes, short.sizes
    max_doc_20 = sl["max_bytes"] * 20 / args.devices  # scaled to a 20-device site

    say()
    say("== snapwatch tick benchmark ==")
    say(
        f"machine     {os.cpu_count()} cores, {platform.system()} {platform.machine()}, "
        f"Python {platform.python_version()}"
    )
    say(f"PostgreSQL  {version} (embedded, {server.pgdata})")
    say(
        f"scale       {args.sites} sites x {args.devices} devices = "
        f"{args.sites * args.devices} devices, cadence 1 h, one slot per site per tick"
    )
    for b in (long_, short):
        c = b.counts
        say(
            f"            {b.name}: {b.spec.days} d history, {c['payloads']:,} payloads, "
            f"{c['images']:,} images, {c['alerts']:,} alerts, {c['sessions']:,} sessions, "
            f"{c['bytes'] / 2**20:,.0f} MiB"
        )
        if b.build:
            say(f"            build {b.build['total']:.1f} s ({format_steps(b.build)})")
    say(f"rounds      {args.rounds} per database, alternating; medians below")
    say()
    line("figure", f"{long_.spec.days} d", f"{short.spec.days} d", "goal")
    line("(a) tick writing every site, s", f"{tick_l:.3f}", f"{tick_s:.3f}")
    line("    per site, ms", f"{tick_l / args.sites * 1e3:.2f}", f"{tick_s / args.sites * 1e3:.2f}")
    line(
        "(b) ratio tick long / tick short",
        f"{history:.2f}",
        "",
        f"<= {GOAL_HISTORY_RATIO}  {verdict(history <= GOAL_HISTORY_RATIO)}",
    )
    line("    bare reads (2 LATERAL, every device), s", f"{reads_l:.3f}", f"{reads_s:.3f}")
    line(
        "(c) ratio tick / bare reads",
        f"{over_l:.2f}",
        f"{over_s:.2f}",
        f"<= {GOAL_READS_RATIO:g}  {verdict(max(over_l, over_s) <= GOAL_READS_RATIO)}",
    )
    line(
        "(d) document bytes per device (compact JSON)",
        f"{sl['bytes_per_device']:,.0f}",
        f"{ss['bytes_per_device']:,.0f}",
    )
    line(
        "    the platform's keys alone",
        f"{sl['platform_bytes_per_device']:,.0f}",
        f"{ss['platform_bytes_per_device']:,.0f}",
    )
    line(
        "    as jsonb text (site_state::text)",
        f"{sl['text_bytes_per_device']:,.0f}",
        f"{ss['text_bytes_per_device']:,.0f}",
    )
    line(
        "    stored (TOAST, compressed)",
        f"{sl['stored_bytes_per_device']:,.0f}",
        f"{ss['stored_bytes_per_device']:,.0f}",
    )
    line("    document bytes, avg", f"{sl['avg_bytes']:,.0f}", f"{ss['avg_bytes']:,.0f}")
    line(
        "    document bytes, max",
        f"{sl['max_bytes']:,}",
        f"{ss['max_bytes']:,}",
        f"< {GOAL_DOCUMENT_BYTES:,} at 20 devices  {verdict(max_doc_20 < GOAL_DOCUMENT_BYTES)}",
    )
    line(
        "    stored bytes, avg",
        f"{sl['avg_stored_bytes']:,.0f}",
        f"{ss['avg_stored_bytes']:,.0f}",
    )
    print_density(*density)
    print_memory(memory)
    print_shares(long_, short)
    say()
    for b in (long_, short):
        say(f"{b.name} ticks, s:      {' '.join(f'{t:.3f}' for t in b.ticks)}")
        say(f"{b.name} bare reads, s: {' '.join(f'{t:.3f}' for t in b.reads)}")
    print_breakdown(long_, short)


def print_density(sparse: Density, dense: Density) -> None:
    """(d) at two densities: one site of 20 devices and one of ``--dense-devices``."""
    a, b = sparse.sizes, dense.sizes
    ratio = b["bytes_per_device"] / a["bytes_per_device"]
    ok = abs(ratio - 1) <= GOAL_DENSITY_SHARE
    line(
        "(d) one site, 1 d of history, own process",
        f"{sparse.devices:,} dev",
        f"{dense.devices:,} dev",
    )
    line(
        "    document bytes per device (compact JSON)",
        f"{a['bytes_per_device']:,.0f}",
        f"{b['bytes_per_device']:,.0f}",
    )
    line(
        "    ratio of bytes per device",
        "",
        f"{ratio:.2f}",
        f"1 ± {GOAL_DENSITY_SHARE:g}: linear in devices at any density  {verdict(ok)}",
    )
    line(
        "    the platform's keys alone",
        f"{a['platform_bytes_per_device']:,.0f}",
        f"{b['platform_bytes_per_device']:,.0f}",
    )
    line("    document bytes", f"{a['max_bytes']:,}", f"{b['max_bytes']:,}")
    line(
        "    peak RSS of the tick, MiB",
        f"{sparse.tick.peak_rss / 2**20:.1f}",
        f"{dense.tick.peak_rss / 2**20:.1f}",
    )
    line("    tick, s", f"{sparse.tick.seconds:.3f}", f"{dense.tick.seconds:.3f}")


def print_memory(memory: Memory) -> None:
    small, large = memory.small, memory.large
    n_small, n_large = small[0].sites, large[0].sites
    peak_s = statistics.median(t.peak_rss for t in small)
    peak_l = statistics.median(t.peak_rss for t in large)
    grow_s = statistics.median(t.growth for t in small)
    grow_l = statistics.median(t.growth for t in large)
    site_s = statistics.median(t.seconds / t.sites for t in small)
    site_l = statistics.median(t.seconds / t.sites for t in large)
    ratio_peak, ratio_site = peak_l / peak_s, site_l / site_s
    line("(e) one tick, 1 d of history, own process", f"{n_small} s", f"{n_large} s")
    line("    peak RSS, MiB", f"{peak_s / 2**20:.1f}", f"{peak_l / 2**20:.1f}")
    line(
        "    ratio of peak RSS",
        "",
        f"{ratio_peak:.2f}",
        f"<= {GOAL_MEMORY_RATIO}  {verdict(ratio_peak <= GOAL_MEMORY_RATIO)}",
    )
    line("    RSS growth during the tick, MiB", f"{grow_s / 2**20:.1f}", f"{grow_l / 2**20:.1f}")
    line(
        "    tick, s",
        f"{statistics.median(t.seconds for t in small):.3f}",
        f"{statistics.median(t.seconds for t in large):.3f}",
    )
    line("    per site, ms", f"{site_s * 1e3:.2f}", f"{site_l * 1e3:.2f}")
    line(
        "    ratio of time per site",
        "",
        f"{ratio_site:.2f}",
        f"<= {GOAL_PER_SITE_RATIO}  {verdict(ratio_site <= GOAL_PER_SITE_RATIO)}",
    )


def print_shares(long_: Bench, short: Bench) -> None:
    """(f): where the instrumented tick's wall time goes."""
    line("(f) share of the instrumented tick", f"{long_.spec.days} d", f"{short.spec.days} d")
    rows: dict[str, list[str]] = {}
    for bench in (long_, short):
        probe, seconds = bench.probe, bench.probe_seconds
        if probe is None or not seconds:
            return
        for label, value in shares(probe, seconds).items():
            rows.setdefault(label, []).append(f"{value * 100:.0f} %")
    for label, values in rows.items():
        line(f"    {label}", *values)


def shares(probe: Probe, seconds: float) -> dict[str, float]:
    p = probe.phases
    reading = p["load_sites"] + p["read_rounds"]
    building = p["documents"]
    planning = p["planning"]
    waiting = max(0.0, seconds - reading - building - planning)
    return {
        "reading (sites, devices, observations)": reading / seconds,
        "building documents": building / seconds,
        "writing, not hidden behind building": waiting / seconds,
        "planning slots": planning / seconds,
        "write statements, overlapping building": p["write_site"] / seconds,
    }


def print_breakdown(long_: Bench, short: Bench) -> None:
    if long_.probe is not None and short.probe is not None:
        say()
        say("one more tick, instrumented (every site new, as above)")
        print_probes(long_, short, steady=False)
    if long_.steady is not None and short.steady is not None:
        say()
        say(
            f"steady state: the open session holds its earlier slots, the previous one all "
            f"24 ({long_.steady_rows:,} / {short.steady_rows:,} snapshots); one tick"
        )
        print_probes(long_, short, steady=True)


def print_probes(long_: Bench, short: Bench, *, steady: bool) -> None:
    pl, ps = (long_.steady, short.steady) if steady else (long_.probe, short.probe)
    assert pl is not None and ps is not None
    seconds_l = long_.steady_seconds if steady else long_.probe_seconds
    seconds_s = short.steady_seconds if steady else short.probe_seconds
    line("phase, s", f"{long_.spec.days} d", f"{short.spec.days} d")
    for phase in ("load_sites", "planning", "read_rounds", "documents"):
        line(f"  {phase}", f"{pl.phases[phase]:.3f}", f"{ps.phases[phase]:.3f}")
    rest_l = seconds_l - sum(v for k, v in pl.phases.items() if k != "write_site")
    rest_s = seconds_s - sum(v for k, v in ps.phases.items() if k != "write_site")
    line("  waiting for writes and the rest", f"{rest_l:.3f}", f"{rest_s:.3f}")
    line("  whole tick", f"{seconds_l:.3f}", f"{seconds_s:.3f}")
    line(
        "  (write_site, overlapping documents)",
        f"{pl.phases['write_site']:.3f}",
        f"{ps.phases['write_site']:.3f}",
    )
    line(
        "statement (execute incl. round trip), s",
        f"{long_.spec.days} d",
        f"{short.spec.days} d",
        "count",
    )
    for name in dict.fromkeys([*STATEMENT_NAMES.values(), "other"]):
        if pl.statements.get(name) or ps.statements.get(name):
            line(
                f"  {name}",
                f"{pl.statement_seconds[name]:.3f}",
                f"{ps.statement_seconds[name]:.3f}",
                str(pl.statements[name]),
            )
    say(
        f"statements per tick: {pl.executes} (the reads one round trip each; a site's write"
        " and its settings pipelined in its transaction, so the write statement's time above"
        " is only its sending)"
    )


# --- entry point -----------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sites", type=int, default=500)
    parser.add_argument("--devices", type=int, default=20, help="devices per site")
    parser.add_argument("--days", type=int, default=14, help="history of bench_long")
    parser.add_argument("--rounds", type=int, default=5, help="ticks per database")
    parser.add_argument("--data-dir", type=Path, help="keep the server here (default: temp)")
    parser.add_argument(
        "--reuse", action="store_true", help="with --data-dir: keep fleets of the same scale"
    )
    parser.add_argument(
        "--explain", action="store_true", help="print EXPLAIN ANALYZE of the tick's reads"
    )
    parser.add_argument(
        "--steady",
        action="store_true",
        help="also time a tick in the middle of a day (sessions holding earlier snapshots)",
    )
    parser.add_argument("--quick", action="store_true", help="smoke run: 50 sites, 2 days")
    parser.add_argument("--memory-rounds", type=int, default=2, help="ticks per fleet size for (e)")
    parser.add_argument(
        "--dense-devices",
        type=int,
        default=5_000,
        help="devices of the dense site of (d), beside a site of 20",
    )
    parser.add_argument("--child-tick", metavar="URI", help=argparse.SUPPRESS)
    parser.add_argument("--child-at", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.sites, args.days, args.rounds, args.memory_rounds = 50, 2, 3, 1
    counts = (args.sites, args.devices, args.days, args.rounds, args.memory_rounds)
    if min(*counts, args.dense_devices) < 1:
        parser.error(
            "--sites, --devices, --days, --rounds, --memory-rounds and --dense-devices must be >= 1"
        )
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child_tick:
        at = datetime.fromisoformat(args.child_at)
        print(json.dumps(asyncio.run(child_tick(args.child_tick, at))), flush=True)
        return 0
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    on_embedded_server(args.data_dir, lambda server: measure(args, server))
    return 0


if __name__ == "__main__":
    sys.exit(main())
