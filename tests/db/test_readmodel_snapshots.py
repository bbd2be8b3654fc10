"""The recent-snapshots read model on documents written by real ticks."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest
from psycopg import AsyncConnection
from support.overview_rows import Rows
from support.snapshot_rows import DAY, T1, T2, T3, H, M, build, legacy, write

from snapwatch.infra.config import Settings
from snapwatch.readmodels.snapshots import recent_snapshots


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
