"""Everything the snapshot holds about one device, a field a line, for the inspection
screen's device panel: what the device table has no room for at a glance. Values are as
stored (nothing recomputed); text from the document is literal and printable."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text

from snapwatch.inspection.render import MISSING, freshness_text, mgi_text, position_text, signed
from snapwatch.inspection.view import DeviceView
from snapwatch.text.inert import printable
from snapwatch.text.times import utc_text
from snapwatch.tui.widgets.site_map import device_colour

LABEL_WIDTH = 10


def device_details(d: DeviceView) -> Text:
    """``device    DEVICE-7``, ``MGI       0.412 moderate``, … one a line."""
    colour = device_colour(d)
    mgi = Text(printable(f"{mgi_text(d.mgi)} {d.band}"), style=colour)
    lines: list[tuple[str, Text | str]] = [
        ("device", d.code),
        ("name", d.name or MISSING),
        ("id", d.device_id or MISSING),
        ("status", d.status or MISSING),
        ("MGI", mgi),
        ("change", f"Δ {signed(d.delta)} · {signed(d.velocity_per_day)}/day"),
        ("MGI data", _fresh(d.mgi_freshness, d.mgi_hours, d.mgi_captured_at)),
        ("position", _position(d.position)),
        ("zone", d.zone_label or MISSING),
        ("climate", f"{_number(d.temperature)} °F · {_number(d.humidity)} %RH"),
        ("telemetry", _fresh(d.telemetry_freshness, d.telemetry_hours, d.telemetry_captured_at)),
        ("battery", _battery(d.battery_voltage, d.battery_health_percent)),
        ("last seen", utc_text(d.last_seen_at) if d.last_seen_at else MISSING),
        ("round", _round(d)),
    ]
    out = Text()
    for i, (label, value) in enumerate(lines):
        if i:
            out.append("\n")
        out.append(f"{label:<{LABEL_WIDTH}}", style="dim")
        out.append_text(value if isinstance(value, Text) else Text(printable(value)))
    return out


def _fresh(freshness: str | None, hours: float | None, at: datetime | None) -> str:
    """``carried 1.5h · 2026-11-28 12:30:00 UTC`` (when the data was captured)."""
    shown = freshness_text(freshness, hours)
    return f"{shown} · {utc_text(at)}" if at else shown


def _position(position: tuple[float, float] | None) -> str:
    return "unplaced" if position is None else f"{position_text(position)} ft"


def _number(value: float | None) -> str:
    return MISSING if value is None else f"{value:.1f}"


def _battery(volts: float | None, health: int | None) -> str:
    parts = [f"{volts:.2f} V" if volts is not None else MISSING]
    if health is not None:
        parts.append(f"health {health}%")
    return " · ".join(parts)


def _round(d: DeviceView) -> str:
    images = len(d.images) + d.images_omitted
    return (
        f"{images} image{'' if images == 1 else 's'} · "
        f"{len(d.alerts)} alert{'' if len(d.alerts) == 1 else 's'}"
    )
