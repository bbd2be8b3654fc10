"""``snapwatch force / pause / resume``: the operator's actions on the command line.

Each command names its scope explicitly, ``--site S`` or ``--all``, so that a forgotten
argument never pauses the whole fleet. Output is one line per site or result.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, TextIO
from uuid import UUID

from psycopg import AsyncConnection

from snapwatch.infra.access import Job, connect_for
from snapwatch.infra.clock import command_now
from snapwatch.infra.config import Settings
from snapwatch.infra.db import Target
from snapwatch.infra.errors import EXIT_DB_UNREACHABLE, EXIT_OK, EXIT_SITE_FAILED, ConfigError
from snapwatch.schedule.actions import (
    ForceItem,
    ForceResult,
    force,
    pause,
    refusal,
    resume,
)
from snapwatch.schedule.pauses import active_pauses
from snapwatch.schedule.sitestate import SiteRef, resolve_site
from snapwatch.text.durations import format_duration
from snapwatch.text.inert import printable


def require_scope(command: str, site: str | None, every: bool) -> None:
    """Exactly one of ``--site S`` and ``--all``."""
    if (site is None) == (not every):
        raise ConfigError(f"`snapwatch {command}` needs exactly one of --site S or --all")


async def _site(conn: AsyncConnection[Any], text: str | None) -> SiteRef | None:
    return None if text is None else await resolve_site(conn, text)


# --- force -----------------------------------------------------------------------------------


async def force_command(
    target: Target,
    settings: Settings,
    at: datetime | None,
    *,
    site: str | None,
    out: TextIO,
    err: TextIO,
) -> int:
    """``at`` None: now on the schedulers' clock (:func:`snapwatch.infra.clock.command_clock`).
    Row-level security warnings of the role check go to ``err`` (the force proceeds)."""
    conn, verdict = await connect_for(target, settings, Job.SCHEDULE)
    for line in verdict.warnings:
        err.write(f"snapwatch: warning: {line}\n")
    try:
        ref = await _site(conn, site)
        now = await command_now(conn, at)
        result = await force(conn, settings, now, site=ref.site_id if ref else None)
    finally:
        await conn.close()
    out.write(render_force(result))
    if result.busy and not result.failed:  # a lock's doing, like run-once's: for later
        return EXIT_DB_UNREACHABLE
    return EXIT_OK if result.ok else EXIT_SITE_FAILED


def render_force(result: ForceResult) -> str:
    width = max((len(printable(i.site_name)) for i in result.items), default=0)
    lines = [_force_line(i, width) for i in result.items]
    summary = (
        f"{len(result.written)} site(s) forced as of {result.as_of:%Y-%m-%d %H:%M:%S} UTC"
        " (provisional until their slot completes)"
    )
    if result.site is None:
        summary += (
            f", {sum(1 for i in result.items if i.outcome == 'skipped')} not forced, "
            f"{len(result.failed)} failed"
        )
    lines.append(summary)
    return "\n".join(lines) + "\n"


def _force_line(item: ForceItem, width: int) -> str:
    head = f"{printable(item.site_name):<{width}}"
    if item.outcome == "failed":
        return f"failed   {head}  {item.error}"
    if item.outcome == "skipped":
        return f"skipped  {head}  {refusal(item.reason or 'not_due')}"
    assert item.window_start is not None and item.window_end is not None
    window = f"{item.window_start:%H:%M}-{item.window_end:%H:%M:%S}"
    return f"forced   {head}  wake {item.wake_number}  {window}  {item.snapshot_id}"


# --- pause and resume ----------------------------------------------------------------------------


async def pause_command(
    target: Target,
    settings: Settings,
    at: datetime | None,
    *,
    site: str | None,
    reason: str | None,
    duration: timedelta | None,
    out: TextIO,
) -> int:
    conn, _ = await connect_for(target, settings, Job.PAUSE)
    try:
        ref = await _site(conn, site)
        now = await command_now(conn, at)
        until = None if duration is None else now + duration
        record = await pause(
            conn, now, site=ref.site_id if ref else None, reason=reason, until=until
        )
    finally:
        await conn.close()
    scope = _scope(ref)
    if not record.created:
        since = f"{record.paused_at:%Y-%m-%d %H:%M} UTC"
        if record.changed:
            out.write(f"changed the pause of {scope} (since {since}): {record.note(now)}\n")
        else:
            out.write(
                f"{scope} already paused since {since}, {record.note(now)}; nothing changed"
                " (--reason or --for change it)\n"
            )
        return EXIT_OK
    if until is None:
        for_ = "until resumed"
    else:
        for_ = f"for {format_duration(until - now)} (until {until:%Y-%m-%d %H:%M} UTC)"
    why = f': "{reason}"' if reason else ""
    out.write(f"paused {scope} {for_}, by {record.paused_by}{why}\n")
    return EXIT_OK


async def resume_command(
    target: Target, settings: Settings, at: datetime | None, *, site: str | None, out: TextIO
) -> int:
    conn, _ = await connect_for(target, settings, Job.PAUSE)
    try:
        ref = await _site(conn, site)
        now = await command_now(conn, at)
        site_id: UUID | None = ref.site_id if ref else None
        ended = await resume(conn, now, site=site_id)
        still = await active_pauses(conn, now, site=None, scoped=True) if ref else []
    finally:
        await conn.close()
    scope = _scope(ref)
    if ended:
        out.write(f"resumed {scope} ({ended} pause(s) ended)\n")
    else:
        out.write(f"{scope} not paused: nothing to resume\n")
    if still:
        out.write(f"all sites are still paused ({still[0].note(now)}): resume with --all\n")
    return EXIT_OK


def _scope(ref: SiteRef | None) -> str:
    return "all sites" if ref is None else repr(ref.name)
