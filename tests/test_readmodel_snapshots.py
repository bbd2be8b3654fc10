"""The recent-snapshots read model on documents written by real ticks."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from overview_rows import Rows
from psycopg import AsyncConnection

from snapwatch.infra.config import Settings
from snapwatch.readmodels.snapshots import recent_snapshots
from snapwatch.schedule.actions import force
from snapwatch.schedule.runlog import record_run
from snapwatch.schedule.tick import run_tick

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


async def test_newest_first_by_write_time_then_round_end_with_trigger_and_provisional(
    cfg: Settings, rows: Rows, conn: AsyncConnection[dict[str, Any]]
) -> None:
    fleet = build(rows)
    await write(conn, cfg, fleet)
    got = await recent_snapshots(conn, site=None)
    assert [(s.site_name, s.wake_number, s.created_at) for s in got] == [
        ("Alpha", 4, T3),
        ("Beta", 1, T2),
        ("Alpha", 3, T1),
        ("Alpha", 2, T1),
        ("Alpha", 1, T1),
    ]
    assert [(s.trigger, s.provisional) for s in got] == [
        ("force", True),
        ("schedule", False),
        ("schedule", False),
        ("catch_up", False),
        ("catch_up", False),
    ]
    forced = got[0]
    assert (forced.wake_round_start, forced.wake_round_end) == (DAY + 3 * H, T3)
    assert forced.session_id == fleet.session and forced.site_id == fleet.alpha
    assert forced.devices == 4


async def test_carried_forward_counts_devices_carried_in_mgi_or_telemetry_once(
    cfg: Settings, rows: Rows, conn: AsyncConnection[dict[str, Any]]
) -> None:
    fleet = build(rows)
    await write(conn, cfg, fleet)
    by_wake = {s.wake_number: s for s in await recent_snapshots(conn, site=fleet.alpha)}
    # wake 1 (0-1 h): everyone who reported reported in the round; "silent" has no data.
    assert by_wake[1].carried_forward == 0
    # wake 2 on: "quiet" carried in both, "half" carried in MGI only: two devices.
    assert by_wake[2].carried_forward == 2
    assert by_wake[3].carried_forward == 2
    # The aggregate columns come as floats; NULL stays None.
    assert by_wake[1].avg_mgi == pytest.approx(round((0.05 + 0.2 + 0.3) / 3, 2))
    assert by_wake[3].max_mgi == pytest.approx(0.3)
    assert isinstance(by_wake[3].max_mgi, float)


async def test_limit_and_the_site_filter(
    cfg: Settings, rows: Rows, conn: AsyncConnection[dict[str, Any]]
) -> None:
    fleet = build(rows)
    await write(conn, cfg, fleet)
    assert [s.wake_number for s in await recent_snapshots(conn, site=None, limit=2)] == [4, 1]
    assert [s.wake_number for s in await recent_snapshots(conn, site=fleet.alpha, limit=3)] == [
        4,
        3,
        2,
    ]
    only_beta = await recent_snapshots(conn, site=fleet.beta)
    assert [(s.site_name, s.wake_number) for s in only_beta] == [("Beta", 1)]
    assert await recent_snapshots(conn, site=fleet.alpha, limit=0) == []
    assert await recent_snapshots(conn, site=UUID(int=1)) == []


async def test_documents_of_other_shapes_read_as_null_not_as_errors(
    cfg: Settings, rows: Rows, conn: AsyncConnection[dict[str, Any]]
) -> None:
    fleet = build(rows)
    await write(conn, cfg, fleet)
    later = T3 + H
    await legacy(conn, fleet, 90, {"legacy": True}, later)
    await legacy(conn, fleet, 91, [1, {"devices": []}, "x"], later + M)
    await legacy(
        conn,
        fleet,
        92,
        {"snapshot_metadata": ["force"], "devices": {"mgi_state": {}}},
        later + 2 * M,
    )
    await legacy(
        conn,
        fleet,
        93,
        {"snapshot_metadata": {"trigger": 7}, "devices": [3, None, {"mgi_state": "x"}]},
        later + 3 * M,
    )
    got = await recent_snapshots(conn, site=None, limit=4)
    assert [s.wake_number for s in got] == [93, 92, 91, 90]
    assert all(s.trigger is None and s.avg_mgi is None and s.max_mgi is None for s in got)
    assert [s.carried_forward for s in got] == [0, None, None, None]
    assert all(s.provisional is False for s in got)
    # The rows written by ticks still read as before beside them.
    assert [s.trigger for s in await recent_snapshots(conn, site=fleet.beta)] == ["schedule"]
