"""``snapwatch audit``: expected against stored snapshots of past sessions, per session,
site and in total; exit 1 when anything is missing or broken (for cron jobs and CI)."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any, TextIO

from snapwatch.commands.status_text import table
from snapwatch.infra.access import Job, connect_for
from snapwatch.infra.clock import command_now
from snapwatch.infra.config import Settings
from snapwatch.infra.db import Target
from snapwatch.infra.errors import EXIT_OK, EXIT_SITE_FAILED, ConfigError
from snapwatch.readmodels.display import cadence_text
from snapwatch.schedule.history.audit import (
    PROBLEMS,
    Counts,
    DateRange,
    SessionAudit,
    SiteAudit,
    SlotAudit,
    Status,
    audit_sites,
)
from snapwatch.schedule.history.stored import StoredRow
from snapwatch.schedule.history.wording import coverage_text
from snapwatch.schedule.sitestate import resolve_site
from snapwatch.text.inert import printable
from snapwatch.text.numbers import ranges

HEADERS = [
    "DATE", "STATUS", "EXPECTED", "PRESENT", "MISSING", "OTHER", "INVALID", "OFF-GRID",
    "OVERLAP", "PROV", "GAPS", "COVERAGE",
]  # fmt: skip
LISTED = 8
"""Rows of each kind named under a session; the rest are counted (``--json`` lists all)."""


def parse_date(text: str, flag: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ConfigError(f"invalid {flag} {text!r}: use a date, e.g. 2026-11-01") from None


def date_range(since: str | None, until: str | None) -> DateRange:
    dates = DateRange(
        parse_date(since, "--since") if since else None,
        parse_date(until, "--until") if until else None,
    )
    if dates.since and dates.until and dates.since > dates.until:
        raise ConfigError(f"--since {dates.since} is after --until {dates.until}")
    return dates


async def audit(
    target: Target,
    settings: Settings,
    *,
    site: str | None,
    dates: DateRange,
    out: TextIO,
    as_json: bool = False,
) -> int:
    """Print the audit (text or JSON, streamed a site at a time); exit 1 when anything is
    missing or broken."""
    conn, _ = await connect_for(target, settings, Job.VIEW)
    total = Counts()
    try:
        now = await command_now(conn)
        site_id = (await resolve_site(conn, site)).site_id if site is not None else None
        if as_json:
            out.write(f'{{"as_of": {json.dumps(now.isoformat())}, "sites": [')
        first = True
        async for one in audit_sites(conn, now, settings.scheduler, dates=dates, site=site_id):
            total += one.counts
            if as_json:
                out.write(("" if first else ",") + "\n" + json.dumps(site_json(one)))
            else:
                out.write(render_site(one))
            first = False
    finally:
        await conn.close()
    if as_json:
        out.write(f'\n], "total": {json.dumps(counts_json(total))}}}\n')
    else:
        out.write(render_total(total, now))
    return EXIT_SITE_FAILED if total.problems else EXIT_OK


# --- text ----------------------------------------------------------------------------------


def render_site(site: SiteAudit) -> str:
    zone = site.timezone or "UTC (unset)"
    head = (
        f"SITE {site.site_name}  ({cadence_text(site.cadence_hours)} cadence, {zone};"
        f" sessions {site.since} .. {site.until})"
    )
    lines = [head]
    if site.note:
        lines.append(f"  {site.note}")
    if not site.sessions:
        lines.append("  no sessions in the range")
    else:
        rows = [_row(str(s.session_date), s.status, s.counts) for s in site.sessions]
        rows.append(_row("site", "", site.counts))
        lines += ["  " + line for line in table(HEADERS, rows, shrink={}, width=118)]
        for session in site.sessions:
            lines += _details(session)
    return "\n".join(map(printable, lines)) + "\n\n"


def render_total(total: Counts, now: datetime) -> str:
    parts = [f"{total.sessions} sessions", f"{total.expected} expected", f"{total.present} present"]
    parts += [f"{getattr(total, k)} {k.replace('_', ' ')}" for k in PROBLEMS]
    return (
        f"TOTAL as of {now:%Y-%m-%d %H:%M:%S} UTC: {', '.join(parts)};"
        f" coverage {coverage_text(total)}\n"
    )


def _row(label: str, status: str, c: Counts) -> list[str]:
    numbers = [c.expected, c.present, c.missing, c.other_shape, c.invalid_v1, c.off_grid]
    numbers += [c.overlapping, c.provisional_left, c.wake_gaps]
    return [label, status, *map(str, numbers), coverage_text(c)]


def _details(session: SessionAudit) -> list[str]:
    """One line per kind of problem of the session, naming the first rows and wakes."""
    out: list[str] = []
    missing = [s for s in session.slots if s.status is Status.MISSING]
    if missing:
        out.append(
            f"    {session.session_date} missing wakes {ranges(s.wake_number for s in missing)}"
        )
        for slot in [s for s in missing if s.blocked_by][:LISTED]:
            rows = ", ".join(f"{r.snapshot_id} (wake {r.wake_number})" for r in slot.blocked_by)
            out.append(
                f"      wake {slot.wake_number} {_span(slot.start, slot.end)} is held by {rows}"
            )
    for status in (Status.OTHER_SHAPE, Status.INVALID_V1, Status.PROVISIONAL):
        held = [s for s in session.slots if s.status is status]
        for slot in held[:LISTED]:
            out.append(f"    {session.session_date} wake {slot.wake_number}: {_slot_note(slot)}")
        if len(held) > LISTED:
            out.append(f"    ... and {len(held) - LISTED} more {status.value.replace('_', ' ')}")
    for off in session.off_grid[:LISTED]:
        uncovered = ", ".join(_span(a, b) for a, b in off.uncovered) or "none"
        out.append(
            f"    {session.session_date} off-grid row {off.row.snapshot_id}"
            f" {_span(off.row.start, off.row.end)} (wake {off.row.wake_number});"
            f" its slot's uncovered part: {uncovered}"
        )
    for a, b in session.overlapping[:LISTED]:
        out.append(f"    {session.session_date} rows {a.snapshot_id} and {b.snapshot_id} overlap")
    return out


def _slot_note(slot: SlotAudit) -> str:
    row = slot.row
    assert row is not None
    if slot.status is Status.OTHER_SHAPE:
        return f"{row.shape} row {row.snapshot_id}"
    if slot.status is Status.INVALID_V1:
        return f"invalid v1 row {row.snapshot_id}: {row.fault}"
    return f"provisional row {row.snapshot_id} left over (its slot has completed)"


def _span(start: datetime, end: datetime) -> str:
    return f"{start:%Y-%m-%d %H:%M}-{end:%H:%M} UTC"


# --- JSON ----------------------------------------------------------------------------------


def counts_json(c: Counts) -> dict[str, Any]:
    fields = {k: getattr(c, k) for k in c.__dataclass_fields__}
    coverage = None if c.coverage is None else round(c.coverage, 2)
    return {**fields, "coverage_percent": coverage}


def site_json(site: SiteAudit) -> dict[str, Any]:
    return {
        "site_id": str(site.site_id),
        "site_name": site.site_name,
        "timezone": site.timezone,
        "cadence_hours": site.cadence_hours,
        "since": site.since.isoformat(),
        "until": site.until.isoformat(),
        "note": site.note,
        "counts": counts_json(site.counts),
        "sessions": [_session_json(s) for s in site.sessions],
    }


def _session_json(s: SessionAudit) -> dict[str, Any]:
    return {
        "session_id": str(s.session_id),
        "session_date": s.session_date.isoformat(),
        "start": s.start.isoformat(),
        "end": s.end.isoformat(),
        "status": s.status,
        "rows": s.rows,
        "counts": counts_json(s.counts),
        "slots": [_slot_json(slot) for slot in s.slots],
        "off_grid": [
            {
                **_row_json(o.row),
                "slot_start": None if o.slot is None else o.slot.start.isoformat(),
                "slot_end": None if o.slot is None else o.slot.end.isoformat(),
                "uncovered": [[a.isoformat(), b.isoformat()] for a, b in o.uncovered],
            }
            for o in s.off_grid
        ],
        "overlapping": [[str(a.snapshot_id), str(b.snapshot_id)] for a, b in s.overlapping],
        "wake_gaps": s.wake_gaps,
    }


def _slot_json(slot: SlotAudit) -> dict[str, Any]:
    return {
        "wake_number": slot.wake_number,
        "start": slot.start.isoformat(),
        "end": slot.end.isoformat(),
        "status": slot.status.value,
        "row": None if slot.row is None else _row_json(slot.row),
        "blocked_by": [_row_json(r) for r in slot.blocked_by],
    }


def _row_json(row: StoredRow) -> dict[str, Any]:
    return {
        "snapshot_id": str(row.snapshot_id),
        "wake_number": row.wake_number,
        "start": row.start.isoformat(),
        "end": row.end.isoformat(),
        "shape": row.shape,
        "fault": row.fault,
        "provisional": row.provisional,
    }
