"""``snapwatch inspect --diff``: a :class:`~snapwatch.inspection.diff.SnapshotDiff` as
text or as JSON.

The text is a summary (band changes, largest MGI moves, devices that went stale or came
back, the round's new images and alerts, freshness now, devices added and removed) and
then a table of the devices in both snapshots: the changed ones only, unless every
device is asked for, with a line saying how many unchanged ones were left out. The JSON
holds the same facts with stable keys.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from snapwatch.inspection.diff import DeviceChange, SnapshotDiff, round_image_count
from snapwatch.inspection.render import (
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
from snapwatch.text.inert import printable

LARGEST_MOVES = 5
"""How many of the largest MGI moves the summary lists."""

WIDTH = 100


# --- text ------------------------------------------------------------------------------


def render_diff(diff: SnapshotDiff, *, changed_only: bool) -> str:
    """The diff as aligned text; the table lists changed devices only when asked."""
    cur, prev = diff.current, diff.previous
    session = cur.session_date.isoformat() if cur.session_date else str(cur.session_id)
    head = [
        f"site {printable(cur.site_name)}, session {session}",
        f"wake {cur.wake_number}  {_window(cur)}  snapshot {cur.snapshot_id}",
    ]
    if prev is None:
        head.append(
            f"no previous snapshot: wake {cur.wake_number} is the first snapshot "
            f"of session {session}; nothing to compare"
        )
        return "\n".join(head) + "\n"
    head.append(f"wake {prev.wake_number}  {_window(prev)}  snapshot {prev.snapshot_id}")
    lines = [*head, "", *summary_lines(diff)]
    if diff.devices:
        lines += ["", *_devices(diff, changed_only)]
    return "\n".join(lines) + "\n"


def _window(view: SnapshotView) -> str:
    return span_text(view.wake_round_start, view.wake_round_end, UTC, "UTC")


def summary_lines(diff: SnapshotDiff) -> list[str]:
    moves = diff.largest_moves(len(diff.devices))
    shown = moves[:LARGEST_MOVES]
    of = f" (largest {len(shown)})" if len(moves) > len(shown) else ""
    return [
        *_block(
            f"band changes: {len(diff.band_changes) or 'none'}",
            [(c.code, f"{c.band_from} → {c.band_to}  ({_mgi_move(c)})") for c in diff.band_changes],
        ),
        *_block(
            f"MGI moves: {len(moves) or 'none'}{of}",
            [(c.code, f"{signed(c.mgi_delta)}  ({_mgi_move(c)})") for c in shown],
        ),
        *_freshness_block("went stale or lost data", diff.went_stale),
        *_freshness_block("came back", diff.came_back),
        *_listed(
            "new images",
            diff.image_total,
            [f"{d.code} {round_image_count(d)}" for d in diff.new_images],
        ),
        *_listed(
            "new alerts",
            diff.alert_total,
            [f"{d.code} {len(d.alerts)}" for d in diff.new_alerts],
        ),
        "MGI data now: " + _counts([c.mgi_freshness_to for c in diff.devices]),
        "telemetry now: " + _counts([c.telemetry_freshness_to for c in diff.devices]),
        *_listed("devices added", len(diff.added), [d.code for d in diff.added]),
        *_listed("devices removed", len(diff.removed), [d.code for d in diff.removed]),
    ]


def _block(head: str, entries: Sequence[tuple[str, str]]) -> list[str]:
    """``head`` and one indented line per device, the codes aligned as shown."""
    codes = [printable(code) for code, _ in entries]
    width = max(map(len, codes), default=0)
    return [
        head,
        *(f"  {code:<{width}}  {what}" for code, (_, what) in zip(codes, entries, strict=True)),
    ]


def _freshness_block(label: str, changes: Sequence[DeviceChange]) -> list[str]:
    return _block(
        f"{label}: {len(changes) or 'none'}",
        [(c.code, _transition(c.mgi_freshness_from, c.mgi_freshness_to)) for c in changes],
    )


def _listed(label: str, total: int, entries: Sequence[str]) -> list[str]:
    """``label: total (a, b, c)``, wrapped within :data:`WIDTH` columns."""
    if not entries:
        return [f"{label}: none"]
    lines = [f"{label}: {total} ("]
    for i, entry in enumerate(entries):
        piece = printable(entry) + (")" if i == len(entries) - 1 else ",")
        if lines[-1].endswith("("):
            lines[-1] += piece
        elif len(lines[-1]) + 1 + len(piece) <= WIDTH:
            lines[-1] += " " + piece
        else:
            lines.append("  " + piece)
    return lines


def _mgi_move(change: DeviceChange) -> str:
    return f"{mgi_text(change.previous_mgi)} → {mgi_text(change.current_mgi)}"


def _counts(freshness: list[str | None]) -> str:
    return freshness_counts({key: freshness.count(key) for key in FRESHNESS_LABELS})


def _devices(diff: SnapshotDiff, changed_only: bool) -> list[str]:
    rows = diff.rows(changed_only)
    lines = _device_table(rows) if rows else ["no device changed since the previous snapshot"]
    hidden = len(diff.devices) - len(rows)
    if hidden:
        lines.append(
            f"{hidden} unchanged device{'' if hidden == 1 else 's'} hidden"
            " (--all shows every device)"
        )
    return lines


def _device_table(changes: Sequence[DeviceChange]) -> list[str]:
    headers = ["DEVICE", "MGI BEFORE → NOW", "DELTA", "BAND", "MGI DATA", "TELEMETRY"]
    rows = [
        [
            c.code,
            _mgi_move(c),
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


def diff_json(diff: SnapshotDiff, *, changed_only: bool) -> dict[str, Any]:
    """The diff as a JSON object (stable keys; ``previous`` is null when there is none).

    ``devices`` lists the changed devices only when ``changed_only`` (the key of that
    name says which); ``summary`` counts over every device in both snapshots."""
    cur, prev = diff.current, diff.previous
    changes = diff.devices
    return {
        "site_id": str(cur.site_id),
        "site_name": cur.site_name,
        "session_id": str(cur.session_id),
        "snapshot": _ref(cur),
        "previous": _ref(prev) if prev is not None else None,
        "changed_only": changed_only,
        "band_changes": [
            {
                **_device_ref(c),
                "from": c.band_from,
                "to": c.band_to,
                "previous_mgi": c.previous_mgi,
                "current_mgi": c.current_mgi,
            }
            for c in diff.band_changes
        ],
        "largest_moves": [
            {
                **_device_ref(c),
                "previous_mgi": c.previous_mgi,
                "current_mgi": c.current_mgi,
                "mgi_delta": c.mgi_delta,
            }
            for c in diff.largest_moves(LARGEST_MOVES)
        ],
        "went_stale": [_freshness_move(c) for c in diff.went_stale],
        "came_back": [_freshness_move(c) for c in diff.came_back],
        "new_images": [
            {
                **_device_ref(d),
                "count": round_image_count(d),
                "images": [
                    {
                        "image_id": i.image_id,
                        "image_url": i.url,
                        "mgi_score": i.mgi,
                        "captured_at": _instant(i.captured_at),
                        "observation_type": i.observation_type,
                    }
                    for i in d.images
                ],
            }
            for d in diff.new_images
        ],
        "new_alerts": [
            {
                **_device_ref(d),
                "count": len(d.alerts),
                "alerts": [
                    {
                        "alert_id": a.alert_id,
                        "alert_type": a.alert_type,
                        "severity": a.severity,
                        "message": a.message,
                        "triggered_at": _instant(a.triggered_at),
                    }
                    for a in d.alerts
                ],
            }
            for d in diff.new_alerts
        ],
        "devices_added": [{**_device_ref(d), "mgi": d.mgi} for d in diff.added],
        "devices_removed": [{**_device_ref(d), "mgi": d.mgi} for d in diff.removed],
        "devices": [_device_json(c) for c in diff.rows(changed_only)],
        "summary": {
            "band_changes": len(diff.band_changes),
            "mgi_freshness": _tally([c.mgi_freshness_to for c in changes]),
            "telemetry_freshness": _tally([c.telemetry_freshness_to for c in changes]),
            "devices_added": len(diff.added),
            "devices_removed": len(diff.removed),
            "changed_devices": len(changes) - diff.unchanged_count,
            "unchanged_devices": diff.unchanged_count,
            "went_stale": len(diff.went_stale),
            "came_back": len(diff.came_back),
            "new_images": diff.image_total,
            "new_alerts": diff.alert_total,
        },
    }


def _device_json(c: DeviceChange) -> dict[str, Any]:
    return {
        **_device_ref(c),
        "previous_mgi": c.previous_mgi,
        "current_mgi": c.current_mgi,
        "mgi_delta": c.mgi_delta,
        "mgi_moved": c.mgi_moved,
        "band_from": c.band_from,
        "band_to": c.band_to,
        "band_changed": c.band_changed,
        "mgi_freshness_from": c.mgi_freshness_from,
        "mgi_freshness_to": c.mgi_freshness_to,
        "mgi_freshness_changed": c.mgi_freshness_changed,
        "new_mgi_data": c.new_mgi_data,
        "telemetry_freshness_from": c.telemetry_freshness_from,
        "telemetry_freshness_to": c.telemetry_freshness_to,
        "telemetry_freshness_changed": c.telemetry_freshness_changed,
        "new_telemetry": c.new_telemetry,
        "went_stale": c.went_stale,
        "came_back": c.came_back,
        "new_image_count": c.image_count,
        "new_alert_count": c.alert_count,
        "changed": c.changed,
    }


def _ref(view: SnapshotView) -> dict[str, Any]:
    return {
        "snapshot_id": str(view.snapshot_id),
        "wake_number": view.wake_number,
        "wake_round_start": utc_text(view.wake_round_start),
        "wake_round_end": utc_text(view.wake_round_end),
    }


def _device_ref(device: DeviceView | DeviceChange) -> dict[str, Any]:
    return {"device_id": device.device_id, "device_code": device.code}


def _freshness_move(c: DeviceChange) -> dict[str, Any]:
    return {
        **_device_ref(c),
        "mgi_freshness_from": c.mgi_freshness_from,
        "mgi_freshness_to": c.mgi_freshness_to,
    }


def _instant(value: datetime | None) -> str | None:
    return utc_text(value) if value is not None else None


def _tally(freshness: list[str | None]) -> dict[str, int]:
    return {key: freshness.count(key) for key in FRESHNESS_LABELS}
