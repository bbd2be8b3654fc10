"""``snapwatch inspect``: show one stored snapshot, its JSON, or its diff with the previous.

A snapshot is chosen by its id, or by site (id, site_code or name, any case) with
``--wake N`` (in the site's open session, else its newest session with snapshots) or
``--latest`` (the site's newest snapshot by round end, then creation time). The stored
document is shown as it is; when it does not validate as a version-1 document (written
by an older tool) a one-line warning goes to stderr and what can be read is shown.
``--diff`` lists the devices that changed since the previous snapshot of the session,
every device with ``--all``.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from typing import TextIO

from snapwatch.commands.inspect_json import document_json
from snapwatch.infra.access import Job, connect_for
from snapwatch.infra.clock import command_now
from snapwatch.infra.config import Settings
from snapwatch.infra.db import Target
from snapwatch.infra.errors import EXIT_OK, SnapwatchError
from snapwatch.inspection.diff import diff_snapshots
from snapwatch.inspection.diff_text import diff_json, render_diff
from snapwatch.inspection.render import render_snapshot
from snapwatch.inspection.selection import previous_snapshot, select_snapshot, validation_problem
from snapwatch.inspection.view import read_view
from snapwatch.text.inert import inert_json


async def inspect(
    target: Target,
    settings: Settings,
    *,
    snapshot: str | None,
    site: str | None,
    wake: int | None,
    latest: bool,
    as_json: bool,
    diff: bool,
    out: TextIO,
    all_devices: bool = False,
    err: TextIO | None = None,
    now: datetime | None = None,
) -> int:
    """Print the chosen snapshot (text, its stored JSON, or the diff); return the exit code.

    ``now`` decides which session is open for ``wake`` (default: the schedulers' clock);
    ``all_devices`` (only with ``diff``) lists unchanged devices too."""
    check_selection(snapshot, site, wake, latest, diff=diff, all_devices=all_devices)
    conn, _ = await connect_for(target, settings, Job.VIEW, read_only=True)
    try:
        row = await select_snapshot(
            conn,
            snapshot=snapshot,
            site=site,
            wake=wake,
            now=await command_now(conn, now),
        )
        previous = await previous_snapshot(conn, row) if diff else None
    finally:
        await conn.close()
    warnings = err if err is not None else sys.stderr
    for shown in (row, previous):
        if shown is not None and (problem := validation_problem(shown.site_state)):
            warnings.write(
                f"snapwatch: warning: snapshot {shown.snapshot_id} (wake "
                f"{shown.wake_number}) is not a valid version-1 document ({problem}); "
                "showing what it holds\n"
            )
    if diff:
        result = diff_snapshots(read_view(row), read_view(previous) if previous else None)
        changed_only = not all_devices
        if as_json:
            data = diff_json(result, changed_only=changed_only)
            out.write(inert_json(json.dumps(data, indent=2, ensure_ascii=False)) + "\n")
        else:
            out.write(render_diff(result, changed_only=changed_only))
    elif as_json:
        out.write(document_json(row.site_state) + "\n")
    else:
        out.write(render_snapshot(read_view(row)))
    return EXIT_OK


def check_selection(
    snapshot: str | None,
    site: str | None,
    wake: int | None,
    latest: bool,
    *,
    diff: bool,
    all_devices: bool,
) -> None:
    if snapshot is not None and site is not None:
        raise SnapwatchError("give a snapshot id or --site, not both")
    if snapshot is None and site is None:
        raise SnapwatchError("give a snapshot id, or --site S (with --wake N or --latest)")
    if snapshot is not None and (wake is not None or latest):
        raise SnapwatchError("--wake and --latest choose among a site's snapshots: use --site")
    if wake is not None and latest:
        raise SnapwatchError("--wake and --latest are mutually exclusive")
    if wake is not None and wake < 1:
        raise SnapwatchError(f"invalid wake number {wake}: wakes are numbered from 1")
    if all_devices and not diff:
        raise SnapwatchError("--all lists every device of a diff: use it with --diff")
