"""A tolerant reading of a stored snapshot document, for ``snapwatch inspect``.

The stored ``site_state`` is read as plain JSON, not through the strict model: a
document written by an older tool (a missing key, a renamed one, a wrong type) still
shows whatever it holds. Every value that is absent or of the wrong type reads as
``None``. The row's own columns (wake number, round, session) fill in what the document
lacks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from snapwatch.snapshot.mgi import band as mgi_band

FRESHNESS_LABELS = {
    "current_wake": "new",
    "carried_forward": "carried",
    "stale": "stale",
    "no_data": "no data",
}
"""Short words for ``data_freshness`` in tables: new data in the round, or carried."""

BAND_ORDER = {"low": 0, "moderate": 1, "elevated": 2, "high": 3}


@dataclass(frozen=True)
class StoredSnapshot:
    """One ``session_wake_snapshots`` row with a few facts of its site and session."""

    snapshot_id: UUID
    site_id: UUID
    session_id: UUID
    wake_number: int
    wake_round_start: datetime
    wake_round_end: datetime
    created_at: datetime
    site_state: Any
    site_name: str
    session_date: date | None


def dig(value: Any, *path: str) -> Any:
    """``value[path[0]][path[1]]...``, or ``None`` as soon as a step is missing."""
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    result = float(value)
    return result if math.isfinite(result) else None


def integer(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def flag(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def instant(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def day(value: Any) -> date | None:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


@dataclass(frozen=True)
class DeviceView:
    device_id: str | None
    code: str
    """``device_code``, else the name, else the id: always something to show."""
    position: tuple[float, float] | None
    mgi: float | None
    band: str
    mgi_freshness: str | None
    mgi_hours: float | None
    velocity_per_day: float | None
    telemetry_freshness: str | None
    telemetry_hours: float | None
    temperature: float | None
    humidity: float | None

    @property
    def key(self) -> str:
        """What identifies the device across two snapshots."""
        return self.device_id or self.code


@dataclass(frozen=True)
class QualityView:
    device_id: str | None
    field: str | None
    value: Any
    problem: str | None


@dataclass(frozen=True)
class MetricsView:
    active_devices: int | None
    new_images: int | None
    new_alerts: int | None
    reporting: int | None
    carried_forward: int | None
    stale: int | None
    without_data: int | None
    avg_temperature: float | None
    avg_humidity: float | None
    avg_mgi: float | None
    max_mgi: float | None


@dataclass(frozen=True)
class SnapshotView:
    snapshot_id: UUID
    wake_number: int
    wake_round_start: datetime
    wake_round_end: datetime
    generated_at: datetime | None
    trigger: str | None
    provisional: bool | None
    late_by_seconds: float | None
    cadence_hours: float | None
    session_id: UUID
    session_date: date | None
    session_status: str | None
    expected_wake_count: int | None
    site_id: UUID
    site_name: str
    site_code: str | None
    site_type: str | None
    timezone: str | None
    timezone_assumed: bool | None
    length: float | None
    width: float | None
    program_name: str | None
    program_day: int | None
    total_days: int | None
    company_name: str | None
    devices: tuple[DeviceView, ...]
    metrics: MetricsView
    data_quality: tuple[QualityView, ...]

    def device_code(self, device_id: str | None) -> str | None:
        return next((d.code for d in self.devices if d.device_id == device_id), None)


def read_view(row: StoredSnapshot) -> SnapshotView:
    doc = row.site_state
    meta = dig(doc, "snapshot_metadata")
    site = dig(doc, "site_metadata")
    program = dig(doc, "program_context")
    session = dig(doc, "session")
    devices = dig(doc, "devices")
    quality = dig(doc, "data_quality")
    return SnapshotView(
        snapshot_id=row.snapshot_id,
        wake_number=row.wake_number,
        wake_round_start=row.wake_round_start,
        wake_round_end=row.wake_round_end,
        generated_at=instant(dig(meta, "generated_at")),
        trigger=text(dig(meta, "trigger")),
        provisional=flag(dig(meta, "provisional")),
        late_by_seconds=number(dig(meta, "late_by_seconds")),
        cadence_hours=number(dig(meta, "cadence_hours")),
        session_id=row.session_id,
        session_date=day(dig(session, "session_date")) or row.session_date,
        session_status=text(dig(session, "status")),
        expected_wake_count=integer(dig(session, "expected_wake_count")),
        site_id=row.site_id,
        site_name=text(dig(site, "site_name")) or row.site_name,
        site_code=text(dig(site, "site_code")),
        site_type=text(dig(site, "site_type")),
        timezone=text(dig(site, "timezone")),
        timezone_assumed=flag(dig(site, "timezone_assumed")),
        length=number(dig(site, "dimensions", "length")),
        width=number(dig(site, "dimensions", "width")),
        program_name=text(dig(program, "program_name")),
        program_day=integer(dig(program, "program_day")),
        total_days=integer(dig(program, "total_days")),
        company_name=text(dig(program, "company_name")),
        devices=tuple(
            _device(d, i) for i, d in enumerate(devices if isinstance(devices, list) else [])
        ),
        metrics=_metrics(dig(doc, "session_metrics"), devices),
        data_quality=tuple(
            QualityView(
                device_id=text(dig(q, "device_id")),
                field=text(dig(q, "field")),
                value=dig(q, "value"),
                problem=text(dig(q, "problem")),
            )
            for q in (quality if isinstance(quality, list) else [])
        ),
    )


def _device(raw: Any, index: int) -> DeviceView:
    device_id = text(dig(raw, "device_id"))
    code = (
        text(dig(raw, "device_code"))
        or text(dig(raw, "device_name"))
        or device_id
        or f"device #{index + 1}"
    )
    x, y = number(dig(raw, "position", "x")), number(dig(raw, "position", "y"))
    mgi = number(dig(raw, "mgi_state", "current_mgi"))
    stored_band = text(dig(raw, "mgi_state", "band"))
    per_day = number(dig(raw, "mgi_state", "velocity_per_day"))
    if per_day is None:
        per_hour = number(dig(raw, "mgi_state", "mgi_velocity", "per_hour"))
        per_day = None if per_hour is None else per_hour * 24
    return DeviceView(
        device_id=device_id,
        code=code,
        position=None if x is None or y is None else (x, y),
        mgi=mgi,
        band=stored_band or mgi_band(mgi)[0],
        mgi_freshness=text(dig(raw, "mgi_state", "data_freshness")),
        mgi_hours=number(dig(raw, "mgi_state", "hours_since_last")),
        velocity_per_day=per_day,
        telemetry_freshness=text(dig(raw, "telemetry", "data_freshness")),
        telemetry_hours=number(dig(raw, "telemetry", "hours_since_last")),
        temperature=number(dig(raw, "telemetry", "temperature")),
        humidity=number(dig(raw, "telemetry", "humidity")),
    )


def _metrics(raw: Any, devices: Any) -> MetricsView:
    count = integer(dig(raw, "active_devices_count"))
    if count is None and isinstance(devices, list):
        count = len(devices)
    return MetricsView(
        active_devices=count,
        new_images=integer(dig(raw, "new_images_this_round")),
        new_alerts=integer(dig(raw, "new_alerts_this_round")),
        reporting=integer(dig(raw, "devices_reporting")),
        carried_forward=integer(dig(raw, "devices_carried_forward")),
        stale=integer(dig(raw, "devices_stale")),
        without_data=integer(dig(raw, "devices_without_data")),
        avg_temperature=number(dig(raw, "avg_temperature")),
        avg_humidity=number(dig(raw, "avg_humidity")),
        avg_mgi=number(dig(raw, "avg_mgi")),
        max_mgi=number(dig(raw, "max_mgi")),
    )


def freshness_label(freshness: str | None) -> str:
    if freshness is None:
        return "-"
    return FRESHNESS_LABELS.get(freshness, freshness)
