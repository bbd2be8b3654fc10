"""Shared test helpers."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection

from snapwatch.infra.config import Settings
from snapwatch.schedule.actions import force
from snapwatch.schedule.runlog import record_run
from snapwatch.schedule.tick import run_tick
from support.overview_rows import Rows

DAY = datetime(2026, 6, 10, tzinfo=UTC)


H = timedelta(hours=1)


M = timedelta(minutes=1)


T1 = DAY + 3 * H + 3 * M  # Alpha's slots 1-3 are due


T2 = T1 + M  # Beta's first slot (0-3 h)


T3 = DAY + 3 * H + 30 * M  # Alpha forced: slot 4 (3:00-3:30) provisional


@dataclass
class Fleet:
    alpha: UUID
    beta: UUID
    session: UUID
    devices: dict[str, UUID]


def build(rows: Rows) -> Fleet:
    """Alpha (hourly): ``fresh`` reports every hour; ``quiet`` reported at 0:10 only (carried
    afterwards); ``half`` sends telemetry every hour but its one image is at 0:20 (MGI
    carried, telemetry current); ``silent`` never reports. Beta: every 3 h, one device."""
    program = rows.program(rows.company("Harbor"), "Watch")
    alpha = rows.site(program, "Alpha", snapshot_cadence_hours=1, length=50, width=30)
    beta = rows.site(program, "Beta", snapshot_cadence_hours=3)
    session = rows.session(alpha, DAY, DAY + 24 * H, "in_progress")
    rows.session(beta, DAY, DAY + 24 * H, "in_progress")
    devices = {
        "fresh": rows.device(alpha, device_code="A-1", x_position=5, y_position=6),
        "quiet": rows.device(alpha, device_code="A-2", x_position=10, y_position=6),
        "half": rows.device(alpha, device_code="A-3"),
        "silent": rows.device(alpha, device_code="A-4", x_position=20, y_position=6),
        "beta": rows.device(beta, device_code="B-1"),
    }
    for hour in range(4):
        at = DAY + hour * H + 10 * M
        rows.payload(devices["fresh"], at, temperature=60 + hour)
        rows.image(devices["fresh"], at, 0.05 + 0.1 * hour)
        rows.payload(devices["half"], at, temperature=61)
        rows.payload(devices["beta"], at, temperature=62)
        rows.image(devices["beta"], at, 0.8)
    rows.payload(devices["quiet"], DAY + 10 * M, temperature=59)
    rows.image(devices["quiet"], DAY + 10 * M, 0.2)
    rows.image(devices["half"], DAY + 20 * M, 0.3)
    return Fleet(alpha, beta, session, devices)


async def write(conn: AsyncConnection[dict[str, Any]], cfg: Settings, fleet: Fleet) -> None:
    await record_run(conn, await run_tick(conn, cfg, T1, site=fleet.alpha), None)
    await record_run(conn, await run_tick(conn, cfg, T2, site=fleet.beta), None)
    result = await force(conn, cfg, T3, site=fleet.alpha)
    assert result.ok


async def legacy(
    conn: AsyncConnection[Any], fleet: Fleet, wake: int, document: Any, created: datetime
) -> None:
    """A row as an older generator wrote it: another document shape, aggregates unset."""
    await conn.execute(
        "INSERT INTO session_wake_snapshots (company_id, program_id, site_id, session_id,"
        " wake_number, wake_round_start, wake_round_end, site_state, created_at)"
        " SELECT company_id, program_id, site_id, %(session)s, %(wake)s, %(start)s,"
        " %(end)s, %(doc)s::jsonb, %(created)s FROM sites WHERE site_id = %(site)s",
        {
            "session": fleet.session,
            "wake": wake,
            "start": DAY + (wake - 1) * H,
            "end": DAY + wake * H,
            "doc": json.dumps(document),
            "created": created,
            "site": fleet.alpha,
        },
    )
