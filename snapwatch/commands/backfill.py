"""``snapwatch backfill``: the plan (``--dry-run``), the run with a progress bar on a
terminal (JSON lines otherwise), the result per site; ``--restore`` puts replaced rows
back. SIGINT and SIGTERM finish the site-day in hand and exit 0 with what was done."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import signal
import sys
import time
from collections.abc import Callable
from contextlib import suppress
from datetime import datetime, timedelta
from typing import Any, TextIO

from snapwatch.commands.audit import date_range
from snapwatch.commands.status_text import table
from snapwatch.infra.access import Job, connect_for
from snapwatch.infra.clock import command_now
from snapwatch.infra.config import Settings
from snapwatch.infra.db import Target
from snapwatch.infra.errors import EXIT_DB_UNREACHABLE, EXIT_OK, EXIT_SITE_FAILED, ConfigError
from snapwatch.schedule.history.audit import DateRange
from snapwatch.schedule.history.backfill import Backfill
from snapwatch.schedule.history.plan import (
    REPLACE_WORDS,
    BackfillOptions,
    ReplaceKind,
    SitePlan,
    count_plans,
    iter_plans,
    plan_backfill,
)
from snapwatch.schedule.history.restore import kept_rows, restore
from snapwatch.schedule.history.wording import estimate, result_line
from snapwatch.schedule.instances import Identity
from snapwatch.schedule.sitestate import resolve_site
from snapwatch.text.inert import InertStream, printable
from snapwatch.text.jsonvalues import json_values

REPLACE_NAMES: dict[str, ReplaceKind] = {word: kind for kind, word in REPLACE_WORDS.items()}


def parse_replace(text: str | None) -> frozenset[ReplaceKind]:
    """``other-shape,invalid,off-grid`` (any of them)."""
    if not text:
        return frozenset()
    kinds: set[ReplaceKind] = set()
    for word in (w.strip() for w in text.split(",") if w.strip()):
        kind = REPLACE_NAMES.get(word)
        if kind is None:
            raise ConfigError(
                f"--replace {word!r}: name kinds of rows among {', '.join(REPLACE_NAMES)}"
            )
        kinds.add(kind)
    return frozenset(kinds)


async def backfill(
    target: Target,
    settings: Settings,
    options: BackfillOptions,
    *,
    site: str | None,
    dry_run: bool,
    as_json: bool,
    out: TextIO,
) -> int:
    """Plan, then (unless ``dry_run``) write. Exit 1 when a site failed, 3 when sites
    were left busy by ticks holding them, else 0 (also when stopped by a signal)."""
    job = Job.REPLACE if options.replace else (Job.VIEW if dry_run else Job.BACKFILL)
    conn, verdict = await connect_for(target, settings, job)
    for line in verdict.warnings:
        sys.stderr.write(f"snapwatch: warning: {line}\n")
    try:
        now = await command_now(conn)
        if site is not None:
            chosen = await resolve_site(conn, site)
            options = dataclasses.replace(options, site=chosen.site_id)
        if dry_run:
            plans = await plan_backfill(conn, now, settings, options)
            out.write(
                json.dumps(plan_json(plans)) + "\n" if as_json else render_plan(plans, options)
            )
            return EXIT_OK
        # a first pass counts what there is to write (the bar's total); the run then plans
        # a batch of sites at a time as it goes, so memory stays flat whatever the range
        totals = await count_plans(conn, now, settings, options)
        report = progress_reporter(out, as_json, totals[0])
        stop = asyncio.Event()
        run = Backfill(conn, settings, options, now=_clock(now), progress=report, stop=stop)
        with _signals(stop):
            results = await run.run(iter_plans(conn, now, settings, options), totals=totals)
        report({"event": "done", "results": results, "stopped": run.stopped})
    finally:
        await conn.close()
    if any(r.error for r in results):
        return EXIT_SITE_FAILED
    return EXIT_DB_UNREACHABLE if any(r.busy for r in results) else EXIT_OK


async def restore_command(
    target: Target,
    settings: Settings,
    *,
    site: str | None,
    dry_run: bool,
    as_json: bool,
    out: TextIO,
) -> int:
    """Put back every row a backfill replaced (of the site, or of all); with ``dry_run``
    list them."""
    conn, _ = await connect_for(target, settings, Job.VIEW if dry_run else Job.REPLACE)
    try:
        site_id = (await resolve_site(conn, site)).site_id if site is not None else None
        kept = await kept_rows(conn, site_id)
        if dry_run:
            rows = [
                [str(k.site_name or k.site_id), str(k.wake_number), k.kind, str(k.snapshot_id),
                 f"{k.replaced_at:%Y-%m-%d %H:%M}", k.replaced_by, str(k.replacement_id or "-")]
                for k in kept
            ]  # fmt: skip
            if as_json:
                out.write(json.dumps([json_values(dataclasses.asdict(k)) for k in kept]) + "\n")
            else:
                out.write(f"{len(kept)} replaced rows would be restored\n")
                headers = ["SITE", "WAKE", "KIND", "SNAPSHOT", "REPLACED", "BY", "REPLACED BY"]
                shown = table(headers, rows, shrink={0: 12, 3: 13, 6: 13})
                out.write("\n".join(shown) + "\n" if rows else "")
            return EXIT_OK
        now = await command_now(conn)
        done = await restore(conn, now, site=site_id, who=Identity.current().who)
    finally:
        await conn.close()
    if as_json:
        out.write(json.dumps({"restored": done.restored, "busy_sites": done.busy_sites}) + "\n")
    else:
        out.write(f"restored {done.restored} rows")
        out.write(f"; {done.busy_sites} sites busy, run it again\n" if done.busy_sites else "\n")
    return EXIT_DB_UNREACHABLE if done.busy_sites else EXIT_OK


def _clock(start: datetime) -> Callable[[], datetime]:
    """The database's now as the backfill goes on (read once, moved by the monotonic
    clock: no query per snapshot)."""
    began = time.monotonic()
    return lambda: start + timedelta(seconds=time.monotonic() - began)


class _signals:
    """SIGINT and SIGTERM ask the backfill to stop after the site-day in hand."""

    def __init__(self, stop: asyncio.Event) -> None:
        self.stop = stop

    def __enter__(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, self._asked, sig)

    def _asked(self, sig: int) -> None:
        sys.stderr.write(
            f"snapwatch: {signal.Signals(sig).name}: finishing the site-day in hand,"
            " then stopping\n"
        )
        self.stop.set()

    def __exit__(self, *_: object) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)


# --- the plan ------------------------------------------------------------------------------


def render_plan(plans: list[SitePlan], options: BackfillOptions) -> str:
    rows = []
    for p in plans:
        replaced = sum(len(f.replace) for s in p.sessions for f in s.fills)
        rows.append(
            [
                p.audit.site_name,
                str(len(p.sessions)),
                str(p.slots),
                str(replaced),
                str(len(p.left)),
                p.skipped or "",
            ]
        )
    headers = ["SITE", "SESSIONS", "SLOTS", "REPLACES", "LEFT", "SKIPPED"]
    slots = sum(p.slots for p in plans)
    lines = [
        "dry run: nothing is written",
        *table(headers, rows, shrink={0: 12, 5: 20}, width=118),
        f"{slots} snapshots to write over {sum(len(p.sessions) for p in plans)} site-days of"
        f" {len(plans)} sites; {estimate(slots, options.rate)}",
    ]
    for p in plans:
        for slot, why in p.left[:3]:
            lines.append(f"  {p.audit.site_name} wake {slot.wake_number}: left, {why}")
    return "\n".join(map(printable, lines)) + "\n"


def plan_json(plans: list[SitePlan]) -> dict[str, Any]:
    return {
        "sites": [
            {
                "site_id": str(p.audit.site_id),
                "site_name": p.audit.site_name,
                "skipped": p.skipped,
                "sessions": [
                    {
                        "session_index": s.index,
                        "slots": [
                            {
                                "wake_number": f.wake_number,
                                "start": f.slot.start.isoformat(),
                                "end": f.slot.end.isoformat(),
                                "replaces": [str(r.snapshot_id) for r, _ in f.replace],
                            }
                            for f in s.fills
                        ],
                    }
                    for s in p.sessions
                ],
                "left": [
                    {"wake_number": slot.wake_number, "start": slot.start.isoformat(), "why": why}
                    for slot, why in p.left
                ],
            }
            for p in plans
        ],
        "slots": sum(p.slots for p in plans),
    }


# --- progress ------------------------------------------------------------------------------


def progress_reporter(out: TextIO, as_json: bool, total: int) -> Callable[[dict[str, Any]], None]:
    """A progress bar with rate and ETA on a terminal; JSON lines otherwise."""
    if not as_json and out.isatty():
        return _Bar(out, total)
    began = time.monotonic()
    done = [0]

    def lines(event: dict[str, Any]) -> None:
        kind = event["event"]
        if kind == "written":
            done[0] += event["count"]
            elapsed = time.monotonic() - began
            rate = done[0] / elapsed if elapsed > 0 else 0.0
            eta = round((total - done[0]) / rate, 1) if rate else None
            line = {"event": "progress", "written": done[0], "total": total,
                    "rate_per_second": round(rate, 1), "eta_seconds": eta}  # fmt: skip
        elif kind == "site":
            line = {"event": "site", **json_values(dataclasses.asdict(event["result"]))}
        else:
            line = {
                "event": "done",
                "stopped": event["stopped"],
                "written": sum(r.written for r in event["results"]),
                "seconds": round(time.monotonic() - began, 2),
            }
        if as_json or kind != "written":
            out.write(json.dumps(line) + "\n")
            out.flush()

    return lines


class _Bar:
    """rich's progress bar. It draws on the terminal itself (the command's output stream
    makes every escape inert, the bar's own included); every text from the database it
    prints is made inert first (:func:`printable`), and never read as markup."""

    def __init__(self, out: TextIO, total: int) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        terminal = out.stream if isinstance(out, InertStream) else out
        self.console = Console(file=terminal, highlight=False, markup=False, emoji=False)
        self.progress = Progress(
            TextColumn("backfill"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeRemainingColumn(),
            console=self.console,
        )
        self.task = self.progress.add_task("backfill", total=total, rate="")
        self.began = time.monotonic()
        self.written = 0
        self.progress.start()

    def __call__(self, event: dict[str, Any]) -> None:
        kind = event["event"]
        if kind == "written":
            self.written += event["count"]
            elapsed = time.monotonic() - self.began
            rate = f"{self.written / elapsed:.0f} snapshots/s" if elapsed > 0 else ""
            self.progress.update(self.task, advance=event["count"], rate=rate)
        elif kind == "site":
            self.console.print(printable(result_line(event["result"])))
        else:
            self.progress.stop()
            results = event["results"]
            note = " (stopped when asked)" if event["stopped"] else ""
            self.console.print(
                f"wrote {sum(r.written for r in results)} snapshots at {len(results)} sites{note}"
            )


def dates_from(since: str | None, until: str | None, needed: bool) -> DateRange:
    dates = date_range(since, until)
    if needed and dates.since is None:
        raise ConfigError("backfill needs --since DATE (the first site-local date to fill)")
    return dates
