"""The devices read model and its sparklines, on documents written by real ticks."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest
from psycopg import AsyncConnection
from support.overview_rows import Rows
from support.snapshot_rows import DAY, T1, T3, H, M, build, legacy, write

from snapwatch.infra.config import Settings
from snapwatch.inspection.scale import MgiScale
from snapwatch.readmodels.devices import site_devices, sparkline
from snapwatch.schedule.actions import force


async def test_devices_of_the_latest_snapshot_with_band_freshness_and_position(
    cfg: Settings, rows: Rows, conn: AsyncConnection[dict[str, Any]]
) -> None:
    fleet = build(rows)
    await write(conn, cfg, fleet)
    got = await site_devices(conn, fleet.alpha)
    assert (got.wake_number, got.wake_round_end, got.created_at) == (4, T3, T3)
    # One range over every device's series (0.05-0.35), up to the 0.40 band threshold.
    assert got.fitted_scale() == MgiScale(0.05, 0.4, fitted=True)
    by_code = {d.code: d for d in got.devices}
    assert list(by_code) == ["A-1", "A-2", "A-3", "A-4"]  # the document's order
    fresh, quiet, half, silent = (by_code[c] for c in ("A-1", "A-2", "A-3", "A-4"))
    assert fresh.device_id == str(fleet.devices["fresh"])
    assert fresh.position == (5.0, 6.0) and half.position is None
    assert fresh.mgi == pytest.approx(0.35) and fresh.band == "elevated"
    assert fresh.velocity_per_day == pytest.approx(0.1 * 24)
    assert (fresh.mgi_freshness, fresh.telemetry_freshness) == ("current_wake", "current_wake")
    assert quiet.mgi == pytest.approx(0.2) and quiet.band == "moderate"
    assert (quiet.mgi_freshness, quiet.telemetry_freshness) == (
        "carried_forward",
        "carried_forward",
    )
    assert quiet.mgi_age_hours == pytest.approx(3.33)  # 0:10 to the round end 3:30
    assert (half.mgi_freshness, half.telemetry_freshness) == ("carried_forward", "current_wake")
    assert silent.mgi is None and silent.band == "unknown"
    assert (silent.mgi_freshness, silent.telemetry_freshness) == ("no_data", "no_data")
    assert silent.mgi_age_hours is None and silent.velocity_per_day is None


async def test_series_are_the_stored_values_oldest_first_and_none_where_missing(
    cfg: Settings, rows: Rows, conn: AsyncConnection[dict[str, Any]]
) -> None:
    fleet = build(rows)
    await write(conn, cfg, fleet)
    late = rows.device(fleet.alpha, device_code="A-5")  # installed after wake 4
    rows.image(late, DAY + 3 * H + 40 * M, 0.6)
    result = await force(conn, cfg, DAY + 3 * H + 50 * M, site=fleet.alpha)  # wake 4 again
    assert result.ok
    got = await site_devices(conn, fleet.alpha, history=24)
    assert got.series_at == tuple(DAY + k * H for k in range(4))
    series = {d.code: d.series for d in got.devices}
    assert series["A-1"] == pytest.approx((0.05, 0.15, 0.25, 0.35))
    assert series["A-2"] == pytest.approx((0.2, 0.2, 0.2, 0.2))  # carried, as stored
    assert series["A-4"] == (None, None, None, None)
    assert series["A-5"] == (None, None, None, 0.6)
    two = await site_devices(conn, fleet.alpha, history=2)
    assert {d.code: d.series for d in two.devices}["A-1"] == pytest.approx((0.25, 0.35))
    none = await site_devices(conn, fleet.alpha, history=0)
    assert none.wake_number == 4 and len(none.devices) == 5
    assert none.series_at == () and all(d.series == () for d in none.devices)


async def test_a_site_without_snapshots_has_no_devices(
    rows: Rows, conn: AsyncConnection[dict[str, Any]]
) -> None:
    fleet = build(rows)
    got = await site_devices(conn, fleet.alpha)
    assert (got.snapshot_id, got.devices, got.series_at) == (None, (), ())
    assert (await site_devices(conn, UUID(int=1))).devices == ()


async def test_documents_of_other_shapes_do_not_break_the_devices(
    cfg: Settings, rows: Rows, conn: AsyncConnection[dict[str, Any]]
) -> None:
    fleet = build(rows)
    await write(conn, cfg, fleet)
    await legacy(conn, fleet, 5, [1, 2, 3], T1)  # a bare array, round 4:00-5:00
    got = await site_devices(conn, fleet.alpha)
    assert got.wake_number == 5 and got.devices == ()
    await legacy(conn, fleet, 6, {"legacy": True}, T1)
    await legacy(
        conn,
        fleet,
        7,
        {
            "devices": [
                7,
                {"device_code": "A-1", "position": {"x": "5"}, "mgi_state": {"current_mgi": "hi"}},
                {"device_id": str(fleet.devices["quiet"]), "mgi_state": {"current_mgi": 0.9}},
            ]
        },
        T1,
    )
    got = await site_devices(conn, fleet.alpha)
    assert got.wake_number == 7
    assert [(d.code, d.position, d.mgi, d.band) for d in got.devices] == [
        ("A-1", None, None, "unknown"),
        (None, None, 0.9, "high"),
    ]
    # Keyed by device id (else code) across documents: the 0.9 joins A-2's history, and
    # the legacy rounds without devices are None in every series.
    quiet = got.devices[1]
    assert quiet.label == str(fleet.devices["quiet"])
    assert quiet.series == pytest.approx((0.2, 0.2, 0.2, 0.2, None, None, 0.9))
    assert got.devices[0].series == (None,) * 7  # "A-1" by code matches no device id


def test_sparkline_uses_a_fixed_0_to_1_scale_so_flat_levels_differ() -> None:
    assert sparkline([0.2] * 6, 6) == "▂▂▂▂▂▂"
    assert sparkline([0.8] * 6, 6) == "▇▇▇▇▇▇"
    assert sparkline([0.0, 0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875, 1.0], 9) == "▁▂▃▄▅▆▇██"


def test_sparkline_marks_missing_values_pads_short_series_and_keeps_the_newest() -> None:
    assert sparkline([0.1, None, 0.9], 3) == "▁·█"
    assert sparkline([0.5, 0.5], 5) == "   ▅▅"
    assert sparkline([0.0, 0.1, 0.5, 1.0], 2) == "▅█"
    assert sparkline([-0.3, 1.7, float("nan")], 3) == "▁█·"  # clamped, never rescaled
    assert sparkline([0.4], 0) == ""
    assert sparkline([], 3) == "   "


def test_sparkline_on_a_fitted_scale_spreads_low_values_over_the_levels() -> None:
    low = [0.02, 0.05, 0.08, 0.11, 0.14, 0.17, 0.2]
    assert sparkline(low, 7) == "▁▁▁▁▂▂▂"  # the fixed 0-1 scale: two levels of eight
    fitted = MgiScale(0.02, 0.25, fitted=True)
    assert sparkline(low, 7, fitted) == "▁▂▃▄▅▆▇"
    assert sparkline([0.0, 0.3, None], 3, fitted) == "▁█·"  # clamped to the scale
