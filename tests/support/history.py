"""A site with two finished day sessions of telemetry and images, and no snapshots."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

from support.overview_rows import Rows

D1 = datetime(2026, 3, 2, tzinfo=UTC)
D2 = D1 + timedelta(days=1)
H = timedelta(hours=1)


def history(rows: Rows, devices: int = 2) -> UUID:
    """A site at a 1 h cadence with two finished day sessions and telemetry every 30 min."""
    program = rows.program(rows.company("Co"), "Program")
    site = rows.site(program, "Pier 4", snapshot_cadence_hours=1, timezone="UTC")
    ids = [rows.device(site, x_position=1.0 + i, y_position=2.0) for i in range(devices)]
    for day in (D1, D2):
        rows.session(site, day, day + timedelta(days=1), "locked")
    for n in range(2 * 48):
        at = D1 + timedelta(minutes=30 * n + 7)
        for i, device in enumerate(ids):
            rows.payload(device, at, temperature=20.0 + i, humidity=50.0, battery_voltage=3.7)
            if n % 4 == 0:
                rows.image(device, at, 0.05 + 0.001 * n)
    return site
