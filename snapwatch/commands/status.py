"""``snapwatch status``: sites, scheduler instances, pauses, pg_cron and the other writers
of snapshots, as tables or JSON.

Read-only and informative: it exits 0 whatever the health says (3 when the database is
unreachable). A pg_cron job shown to write snapshots while snapwatch schedules is the one
thing it shouts about: first line of the output and on stderr (with ``--json`` the
document stays pure JSON and carries it as ``pg_cron.warning``). Every job comes with the
evidence of what it writes (or why it could not be followed), and triggers and grants
that write snapshots are listed with theirs (:mod:`snapwatch.schedule.other_writers`). Text from
the database is printed inert (:func:`snapwatch.text.inert.printable`).
"""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from typing import TextIO

from snapwatch.commands.status_json import status_json
from snapwatch.commands.status_text import render_status
from snapwatch.infra.access import Job, connect_for
from snapwatch.infra.clock import command_clock, database_clock
from snapwatch.infra.config import Settings
from snapwatch.infra.db import Target
from snapwatch.infra.errors import EXIT_OK
from snapwatch.readmodels.status import StatusReport, read_status
from snapwatch.schedule.sitestate import resolve_site
from snapwatch.text.inert import printable


async def status(
    target: Target,
    settings: Settings,
    at: datetime | None,
    *,
    site: str | None,
    as_json: bool,
    out: TextIO,
    err: TextIO,
) -> int:
    """``at`` None: now on the schedulers' clock (:func:`snapwatch.infra.clock.command_clock`)."""
    conn, _ = await connect_for(target, settings, Job.VIEW, read_only=True)
    try:
        site_id = (await resolve_site(conn, site)).site_id if site is not None else None
        clock = await command_clock(conn)
        report = await read_status(
            conn,
            at or clock.now(),
            settings,
            database=target.display,
            pooler=target.pooler,
            site=site_id,
        )
        db = database_clock(clock)
        report = dataclasses.replace(
            report,
            clock=clock.describe(),
            clock_offset_seconds=None if db is None else db.offset_seconds,
            max_clock_offset_seconds=settings.scheduler.max_clock_offset_seconds,
        )
    finally:
        await conn.close()
    emit(report, as_json=as_json, out=out, err=err)
    return EXIT_OK


def emit(report: StatusReport, *, as_json: bool, out: TextIO, err: TextIO) -> None:
    """The report as text or JSON on ``out``; the pg_cron conflict and row-level security
    warnings also on ``err``."""
    if report.warning:
        err.write(f"snapwatch: warning: {printable(report.warning)}\n")
    for line in report.access.warnings:
        err.write(f"snapwatch: warning: {printable(line)}\n")
    if as_json:
        out.write(json.dumps(status_json(report), indent=2) + "\n")
    else:
        out.write(render_status(report))
