"""A site with its company and program, and optionally devices and the day's session."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from support.overview_rows import Rows


def make_site(
    rows: Rows,
    name: str = "Site",
    cadence: float | None = 1.0,
    *,
    day: datetime | None,
    devices: int = 0,
    device_at: tuple[float, float] | None = None,
    **site: Any,
) -> UUID:
    """A site named ``name`` (company "Co <name>", program "Program <name>") snapshotted
    every ``cadence`` hours, with ``devices`` devices (placed at ``device_at``) and, when
    ``day`` is given, an in-progress session from ``day`` to 24 hours later."""
    program = rows.program(rows.company(f"Co {name}"), f"Program {name}")
    site_id = rows.site(program, name, snapshot_cadence_hours=cadence, **site)
    placed: dict[str, Any] = {}
    if device_at is not None:
        placed = {"x_position": device_at[0], "y_position": device_at[1]}
    for _ in range(devices):
        rows.device(site_id, **placed)
    if day is not None:
        rows.session(site_id, day, day + timedelta(hours=24), "in_progress")
    return site_id
