"""What changed between a snapshot and the previous snapshot of its session.

Per device (matched by ``device_id``): the MGI before and now, the band change, and
whether MGI and telemetry were new data in each snapshot or carried forward. Devices
present in only one of the two are listed as added or removed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC
from typing import Any

from snapwatch.commands.inspect_render import (
    freshness_counts,
    mgi_text,
    signed,
    span_text,
    table,
)
from snapwatch.inspection.view import (
    FRESHNESS_LABELS,
    DeviceView,
    SnapshotView,
    freshness_label,
)
from snapwatch.snapshot.timefmt import utc_text

DELTA_DIGITS = 6


@dataclass(frozen=True)
class DeviceChange:
    device_id: str | None
    code: str
    previous_mgi: float | None
    current_mgi: float | None
    band_from: str
    band_to: str
    mgi_freshness_from: str | None
    mgi_freshness_to: str | None
    telemetry_freshness_from: str | None
    telemetry_freshness_to: str | None

    @property
    def mgi_delta(self) -> float | None:
        if self.previous_mgi is None or self.current_mgi is None:
            return None
        return round(self.current_mgi - self.previous_mgi, DELTA_DIGITS)

    @property
    def band_changed(self) -> bool:
        return self.band_from != self.band_to

    @property
    def new_mgi_data(self) -> bool:
        return self.mgi_freshness_to == "current_wake"

    @property
    def new_telemetry(self) -> bool:
        return self.telemetry_freshness_to == "current_wake"


@dataclass(frozen=True)
class SnapshotDiff:
    current: SnapshotView
    previous: SnapshotView | None
    devices: tuple[DeviceChange, ...]
    """Devices in both snapshots, in the current snapshot's order."""
    added: tuple[DeviceView, ...]
    removed: tuple[DeviceView, ...]

    @property
    def band_changes(self) -> tuple[DeviceChange, ...]:
        return tuple(c for c in self.devices if c.band_changed)


def diff_snapshots(current: SnapshotView, previous: SnapshotView | None) -> SnapshotDiff:
    if previous is None:
        return SnapshotDiff(current, None, (), (), ())
    before = {d.key: d for d in previous.devices}
    now_keys = {d.key for d in current.devices}
    changes = tuple(
        DeviceChange(
            device_id=d.device_id,
            code=d.code,
            previous_mgi=before[d.key].mgi,
            current_mgi=d.mgi,
            band_from=before[d.key].band,
            band_to=d.band,
            mgi_freshness_from=before[d.key].mgi_freshness,
            mgi_freshness_to=d.mgi_freshness,
            telemetry_freshness_from=before[d.key].telemetry_freshness,
            telemetry_freshness_to=d.telemetry_freshness,
        )
        for d in current.devices
        if d.key in before
    )
    return SnapshotDiff(
        current=current,
        previous=previous,
        devices=changes,
        added=tuple(d for d in current.devices if d.key not in before),
        removed=tuple(d for d in previous.devices if d.key not in now_keys),
    )


# --- text ------------------------------------------------------------------------------


def render_diff(diff: SnapshotDiff) -> str:
    cur, prev = diff.current, diff.previous
    session = cur.session_date.isoformat() if cur.session_date else str(cur.session_id)
    head = [
        f"site {cur.site_name}, session {session}",
        f"wake {cur.wake_number}  {_window(cur)}  snapshot {cur.snapshot_id}",
    ]
    if prev is None:
        head.append(
            f"no previous snapshot: wake {cur.wake_number} is the first snapshot "
            f"of session {session}; nothing to compare"
        )
        return "\n".join(head) + "\n"
    head.append(f"wake {prev.wake_number}  {_window(prev)}  snapshot {prev.snapshot_id}")
    lines = [*head, "", *_summary(diff)]
    if diff.devices:
        lines += ["", *_device_table(diff.devices)]
    return "\n".join(lines) + "\n"


def _window(view: SnapshotView) -> str:
    return span_text(view.wake_round_start, view.wake_round_end, UTC, "UTC")


def _summary(diff: SnapshotDiff) -> list[str]:
    assert diff.previous is not None
    changes = diff.band_changes
    lines = [f"band changes: {len(changes) or 'none'}"]
    if changes:
        width = max(len(c.code) for c in changes)
        lines += [
            f"  {c.code:<{width}}  {c.band_from} → {c.band_to}  "
            f"({mgi_text(c.previous_mgi)} → {mgi_text(c.current_mgi)})"
            for c in changes
        ]
    lines.append("MGI data now: " + _counts([c.mgi_freshness_to for c in diff.devices]))
    lines.append("telemetry now: " + _counts([c.telemetry_freshness_to for c in diff.devices]))
    lines.append(f"devices added: {_names(diff.added)}")
    lines.append(f"devices removed: {_names(diff.removed)}")
    return lines


def _counts(freshness: list[str | None]) -> str:
    return freshness_counts({key: freshness.count(key) for key in FRESHNESS_LABELS})


def _names(devices: tuple[DeviceView, ...]) -> str:
    if not devices:
        return "none"
    return f"{len(devices)} (" + ", ".join(d.code for d in devices) + ")"


def _device_table(changes: tuple[DeviceChange, ...]) -> list[str]:
    headers = ["DEVICE", "MGI BEFORE → NOW", "DELTA", "BAND", "MGI DATA", "TELEMETRY"]
    rows = [
        [
            c.code,
            f"{mgi_text(c.previous_mgi)} → {mgi_text(c.current_mgi)}",
            signed(c.mgi_delta),
            f"{c.band_from} → {c.band_to}" if c.band_changed else c.band_to,
            _transition(c.mgi_freshness_from, c.mgi_freshness_to),
            _transition(c.telemetry_freshness_from, c.telemetry_freshness_to),
        ]
        for c in changes
    ]
    return table(headers, rows, right={2})


def _transition(before: str | None, now: str | None) -> str:
    return f"{freshness_label(before)} → {freshness_label(now)}"


# --- JSON ------------------------------------------------------------------------------


def diff_json(diff: SnapshotDiff) -> dict[str, Any]:
    """The diff as a JSON object (stable keys; ``previous`` is null when there is none)."""
    cur, prev = diff.current, diff.previous
    changes = diff.devices
    return {
        "site_id": str(cur.site_id),
        "site_name": cur.site_name,
        "session_id": str(cur.session_id),
        "snapshot": _ref(cur),
        "previous": _ref(prev) if prev is not None else None,
        "band_changes": [
            {
                "device_id": c.device_id,
                "device_code": c.code,
                "from": c.band_from,
                "to": c.band_to,
                "previous_mgi": c.previous_mgi,
                "current_mgi": c.current_mgi,
            }
            for c in diff.band_changes
        ],
        "devices_added": [_device_ref(d) for d in diff.added],
        "devices_removed": [_device_ref(d) for d in diff.removed],
        "devices": [
            {
                "device_id": c.device_id,
                "device_code": c.code,
                "previous_mgi": c.previous_mgi,
                "current_mgi": c.current_mgi,
                "mgi_delta": c.mgi_delta,
                "band_from": c.band_from,
                "band_to": c.band_to,
                "band_changed": c.band_changed,
                "mgi_freshness_from": c.mgi_freshness_from,
                "mgi_freshness_to": c.mgi_freshness_to,
                "new_mgi_data": c.new_mgi_data,
                "telemetry_freshness_from": c.telemetry_freshness_from,
                "telemetry_freshness_to": c.telemetry_freshness_to,
                "new_telemetry": c.new_telemetry,
            }
            for c in changes
        ],
        "summary": {
            "band_changes": len(diff.band_changes),
            "mgi_freshness": _tally([c.mgi_freshness_to for c in changes]),
            "telemetry_freshness": _tally([c.telemetry_freshness_to for c in changes]),
            "devices_added": len(diff.added),
            "devices_removed": len(diff.removed),
        },
    }


def _ref(view: SnapshotView) -> dict[str, Any]:
    return {
        "snapshot_id": str(view.snapshot_id),
        "wake_number": view.wake_number,
        "wake_round_start": utc_text(view.wake_round_start),
        "wake_round_end": utc_text(view.wake_round_end),
    }


def _device_ref(device: DeviceView) -> dict[str, Any]:
    return {"device_id": device.device_id, "device_code": device.code, "mgi": device.mgi}


def _tally(freshness: list[str | None]) -> dict[str, int]:
    return {key: freshness.count(key) for key in FRESHNESS_LABELS}
