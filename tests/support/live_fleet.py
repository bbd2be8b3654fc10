"""Shared test helpers."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from support.app import NOW
from support.overview_rows import Rows


def eligible_fleet(rows: Rows) -> dict[str, UUID]:
    """Two hourly sites whose session started 3.5 h before ``NOW`` (three slots owed) and
    one with no open session."""
    program = rows.program(rows.company("Live Co"), "Live Watch")
    made: dict[str, UUID] = {}
    for name, session in [("North Room", True), ("South Room", True), ("Idle Room", False)]:
        site = rows.site(program, name, snapshot_cadence_hours=1, timezone="UTC")
        rows.device(site)
        if session:
            start = NOW - timedelta(hours=3, minutes=30)
            rows.session(site, start, start + timedelta(hours=24), "in_progress")
        made[name] = site
    return made
