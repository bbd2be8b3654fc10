"""A device's MGI series for the chart: from a session's snapshots, and from scored images
in the database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from psycopg import AsyncConnection
from support.overview_rows import Rows

from snapwatch.inspection.chart_data import MgiPoint, fetch_scored_images, series_from_snapshots
from snapwatch.inspection.view import SnapshotView, StoredSnapshot, read_view

START = datetime(2026, 11, 28, 6, 0, tzinfo=UTC)
H = timedelta(hours=1)
SESSION = uuid4()


def device(key: str, mgi: Any, freshness: str, per_day: float | None = None) -> dict[str, Any]:
    return {
        "device_id": key,
        "device_code": f"CODE-{key}",
        "mgi_state": {
            "current_mgi": mgi,
            "data_freshness": freshness,
            "velocity_per_day": per_day,
        },
    }


def view(wake: int, *devices: dict[str, Any]) -> SnapshotView:
    end = START + 2 * wake * H
    return read_view(
        StoredSnapshot(
            snapshot_id=uuid4(),
            site_id=uuid4(),
            session_id=SESSION,
            wake_number=wake,
            wake_round_start=end - 2 * H,
            wake_round_end=end,
            created_at=end,
            site_state={"schema_version": 1, "devices": list(devices)},
            site_name="Greenhouse",
            session_date=START.date(),
        )
    )


def test_snapshot_series_is_by_round_end_with_carried_values_flagged() -> None:
    views = [
        view(3, device("d1", 0.3, "carried_forward", 0.5), device("d2", 0.9, "current_wake")),
        view(1, device("d1", 0.2, "current_wake", 0.1)),
        view(2, device("d1", 0.3, "current_wake", 0.4)),
    ]
    series = series_from_snapshots(views, "d1")
    assert series.source == "session snapshots"
    assert series.points == (
        MgiPoint(START + 2 * H, 0.2, "current_wake"),
        MgiPoint(START + 4 * H, 0.3, "current_wake"),
        MgiPoint(START + 6 * H, 0.3, "carried_forward"),
    )
    assert [p.carried for p in series.points] == [False, False, True]
    assert series.velocity_per_day == 0.5  # the newest snapshot's
    assert series.rejected == 0


def test_snapshot_series_keeps_stale_rounds_without_value_and_skips_absent_ones() -> None:
    views = [
        view(1, device("d1", 0.2, "current_wake", 0.3)),
        view(2, device("d2", 0.5, "current_wake")),  # d1 not in this document
        view(3, device("d1", None, "stale")),
    ]
    series = series_from_snapshots(views, "d1")
    assert [(p.at, p.mgi, p.freshness) for p in series.points] == [
        (START + 2 * H, 0.2, "current_wake"),
        (START + 6 * H, None, "stale"),
    ]
    assert [p.mgi for p in series.plotted] == [0.2]
    assert series.velocity_per_day is None  # the newest snapshot has none


def test_snapshot_series_finds_a_device_by_code_and_rejects_scores_outside_the_scale() -> None:
    no_id = {"device_code": "OLD-1", "mgi_state": {"current_mgi": 0.25}}
    foreign = {"device_code": "OLD-1", "mgi_state": {"current_mgi": 37.5}}
    series = series_from_snapshots([view(1, no_id), view(2, foreign)], "OLD-1")
    assert [p.mgi for p in series.points] == [0.25]
    assert series.rejected == 1
    assert series_from_snapshots([view(1, no_id)], "nobody").points == ()


async def test_scored_images_in_range_oldest_first_rejecting_scores_outside_the_scale(
    rows: Rows, migrated_dsn: str
) -> None:
    site = rows.site(rows.program(rows.company("Acme"), "Trial"), "Greenhouse")
    device_id, other = rows.device(site), rows.device(site)
    since, until = START, START + 12 * H
    rows.image(device_id, since - H, 0.05)  # before the range
    rows.image(device_id, since, 0.1)  # the range includes both ends
    rows.image(device_id, since + 2 * H, None)  # not scored yet
    rows.image(device_id, since + 3 * H, 37.5)  # another scorer's scale
    rows.image(device_id, since + 9 * H, 0.2)
    rows.image(device_id, until, 0.26)
    rows.image(device_id, until + H, 0.9)  # after the range
    rows.image(other, since + 4 * H, 0.7)  # another device
    _score_nan(rows, device_id, since + 5 * H)
    async with await AsyncConnection.connect(migrated_dsn) as conn:
        series = await fetch_scored_images(conn, device_id, since, until)
        empty = await fetch_scored_images(conn, device_id, until + 2 * H, until + 3 * H)
    assert series.source == "scored images"
    assert [(p.at, p.mgi) for p in series.points] == [
        (since, 0.1),
        (since + 9 * H, 0.2),
        (until, pytest.approx(0.26)),
    ]
    assert all(p.freshness is None and not p.carried for p in series.points)
    assert series.rejected == 2  # 37.5 and NaN
    # the last two valid scores: +0.06 in 3 hours
    assert series.velocity_per_day == pytest.approx(0.06 / 3 * 24)
    assert empty.points == () and empty.velocity_per_day is None and empty.rejected == 0


def _score_nan(rows: Rows, device_id: UUID, at: datetime) -> None:
    image = rows.image(device_id, at, None)
    rows.conn.execute(
        "UPDATE device_images SET mgi_score = 'NaN'::numeric WHERE image_id = %s", (image,)
    )
