"""Export stored snapshots to files: one document as pretty JSON, a session as JSON lines,
a snapshot's devices (or any table) as CSV.

The JSON files hold the stored documents exactly (every value as stored; keys of a
document in its own order), so parsing a file gives back what the database holds. CSV
cells follow :mod:`snapwatch.text.csvtext` (full values; text that a spreadsheet would
run as a formula is neutralised). A file is written to a temporary name and renamed, and
never replaces an existing one: a second export of the same thing gets ``-2``, ``-3``, ...
before the extension.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from snapwatch.inspection.ordering import ordered_document
from snapwatch.inspection.view import DeviceView, StoredSnapshot
from snapwatch.snapshot.timefmt import utc_text
from snapwatch.text.csvtext import csv_text

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


DEVICE_COLUMNS = (
    "device_id",
    "device",
    "device_name",
    "x_position",
    "y_position",
    "zone_label",
    "current_mgi",
    "band",
    "delta",
    "velocity_per_day",
    "mgi_freshness",
    "mgi_hours_since_last",
    "mgi_captured_at",
    "temperature_f",
    "humidity",
    "telemetry_freshness",
    "telemetry_hours_since_last",
    "telemetry_captured_at",
    "images",
    "alerts",
)
"""The device table's CSV columns: everything the inspection screen reads of a device."""


def document_text(row: StoredSnapshot) -> str:
    """``row``'s document as indented JSON, exactly as stored (keys in the document's
    order)."""
    return json.dumps(ordered_document(row.site_state, exact=True), indent=2, ensure_ascii=False)


def export_snapshot(row: StoredSnapshot, directory: Path) -> Path:
    """Write ``row``'s document as indented JSON; return the file's path."""
    name = f"{_stem(row)}-wake{row.wake_number}"
    return _write_new(directory, name, ".json", document_text(row) + "\n")


def export_table(
    name: str, header: Sequence[str], rows: Sequence[Sequence[Any]], directory: Path
) -> Path:
    """Write a table as CSV, header first, to a new file ``<name>.csv`` (``name`` made
    safe for a file name); return its path."""
    return _write_new(directory, _safe(name), ".csv", csv_text(header, rows))


def export_devices(row: StoredSnapshot, devices: Sequence[DeviceView], directory: Path) -> Path:
    """Write the snapshot's device table (:data:`DEVICE_COLUMNS`) as CSV."""
    return export_table(
        f"{_stem(row)}-wake{row.wake_number}-devices",
        DEVICE_COLUMNS,
        [_device_cells(d) for d in devices],
        directory,
    )


def _device_cells(d: DeviceView) -> list[Any]:
    x, y = d.position if d.position is not None else (None, None)
    return [
        *(d.device_id, d.code, d.name, x, y, d.zone_label),
        *(d.mgi, d.band, d.delta, d.velocity_per_day),
        *(d.mgi_freshness, d.mgi_hours, d.mgi_captured_at),
        *(d.temperature, d.humidity),
        *(d.telemetry_freshness, d.telemetry_hours, d.telemetry_captured_at),
        *(len(d.images) + d.images_omitted, len(d.alerts)),
    ]


def export_session(rows: Sequence[StoredSnapshot], directory: Path) -> Path:
    """Write a session's snapshots as JSON lines in wake order, one object per snapshot
    (its row's keys and the stored document under ``site_state``)."""
    if not rows:
        raise ValueError("no snapshots to export")
    lines = [json.dumps(_line(row), ensure_ascii=False) for row in rows]
    return _write_new(directory, f"{_stem(rows[0])}-session", ".jsonl", "\n".join(lines) + "\n")


def _line(row: StoredSnapshot) -> dict[str, Any]:
    return {
        "snapshot_id": str(row.snapshot_id),
        "site_id": str(row.site_id),
        "session_id": str(row.session_id),
        "wake_number": row.wake_number,
        "wake_round_start": utc_text(row.wake_round_start),
        "wake_round_end": utc_text(row.wake_round_end),
        "created_at": utc_text(row.created_at),
        "site_state": ordered_document(row.site_state, exact=True),
    }


def _safe(name: str) -> str:
    return _UNSAFE.sub("-", name).strip("-").lower()


def _stem(row: StoredSnapshot) -> str:
    site = _safe(row.site_name) or "site"
    day = row.session_date.isoformat() if row.session_date else str(row.session_id)[:8]
    return f"snapwatch-{site}-{day}"


def _write_new(directory: Path, name: str, suffix: str, text: str) -> Path:
    directory = directory.expanduser()
    directory.mkdir(parents=True, exist_ok=True)
    for n in range(1, 10_000):
        path = directory / (f"{name}{suffix}" if n == 1 else f"{name}-{n}{suffix}")
        tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
        tmp.write_text(text, encoding="utf-8")
        try:
            os.link(tmp, path)  # fails when the name exists: never overwrite
        except FileExistsError:
            continue
        finally:
            tmp.unlink()
        return path
    raise FileExistsError(f"too many exports named {name}{suffix} in {directory}")
