"""Recognise the shape of a stored document and bring it to the version-1 layout.

Older generators of the platform stored ``site_state`` in other shapes: a bare array of
devices, objects without ``schema_version`` and with flat or renamed keys, device lists
keyed by id, even the JSON text of a document stored as a JSON string. :func:`normalise`
returns a dict laid out like version 1 (only the keys it could find), the name of the
shape, and one note per thing it had to guess or could not read. It never raises.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

CURRENT_VERSION = 1

# Top-level keys older generators used for what version 1 calls by another name.
TOP_ALIASES = {
    "snapshot_metadata": ("metadata", "snapshot", "wake"),
    "site_metadata": ("site", "site_info"),
    "program_context": ("program",),
    "devices": ("device_states", "device_snapshots"),
    "environmental_zones": ("zones",),
    "session_metrics": ("metrics", "summary"),
}

# Flat device keys that version 1 nests, as (v1 object, v1 key, older flat names).
DEVICE_FLAT = (
    ("mgi_state", "current_mgi", ("current_mgi", "mgi_score", "mgi")),
    ("mgi_state", "band", ("mgi_band", "band")),
    ("telemetry", "temperature", ("temperature",)),
    ("telemetry", "humidity", ("humidity",)),
)


@dataclass(frozen=True)
class Normalised:
    document: dict[str, Any]
    shape: str
    """``v1``, ``bare array``, ``unversioned``, ``schema vN``, ``JSON string``, ``empty``."""
    notes: tuple[str, ...]


def normalise(raw: Any) -> Normalised:
    notes: list[str] = []
    shape, document = _top(raw, notes)
    if shape != "v1":
        document = _renamed_top(document, notes)
        document["devices"] = _devices(document.get("devices"), notes)
    return Normalised(document, shape, tuple(notes))


def _top(raw: Any, notes: list[str]) -> tuple[str, dict[str, Any]]:
    if isinstance(raw, str):
        try:
            inner = json.loads(raw)
        except ValueError:
            notes.append("the document is a string, not JSON: nothing to read")
            return "text", {}
        if isinstance(inner, str):
            notes.append("the document is a JSON string holding a string: nothing to read")
            return "text", {}
        notes.append("the document was stored as a JSON string; read the JSON inside it")
        _, document = _top(inner, notes)
        return "JSON string", document
    if isinstance(raw, list):
        notes.append(
            f"the document is a bare array of {len(raw)} entries: read as its devices; "
            "no site, session or round metadata"
        )
        return "bare array", {"devices": raw}
    if not isinstance(raw, dict):
        what = "null" if raw is None else type(raw).__name__
        notes.append(f"the document is {what}, not an object: nothing to read")
        return "empty", {}
    version = raw.get("schema_version")
    if version == CURRENT_VERSION:
        return "v1", raw
    if version is None:
        notes.append("no schema_version: written by an older generator; read the keys it has")
        return "unversioned", dict(raw)
    notes.append(
        f"schema_version {version!r} is not version {CURRENT_VERSION}: read the keys "
        "version 1 knows"
    )
    return f"schema v{version}", dict(raw)


def _renamed_top(document: dict[str, Any], notes: list[str]) -> dict[str, Any]:
    for key, aliases in TOP_ALIASES.items():
        if key in document:
            continue
        for alias in aliases:
            if isinstance(document.get(alias), dict | list):
                document[key] = document[alias]
                notes.append(f"read {alias!r} as {key!r}")
                break
    return document


def _devices(raw: Any, notes: list[str]) -> list[Any]:
    if raw is None:
        notes.append("no device list found")
        return []
    if isinstance(raw, dict):
        notes.append("devices are keyed by id, not a list: read each entry as a device")
        items = [
            {"device_id": key, **value} if isinstance(value, dict) else value
            for key, value in raw.items()
        ]
    elif isinstance(raw, list):
        items = raw
    else:
        notes.append(f"devices is a {type(raw).__name__}, not a list: no devices read")
        return []
    return [_device(item, i, notes) for i, item in enumerate(items)]


def _device(raw: Any, index: int, notes: list[str]) -> Any:
    if not isinstance(raw, dict):
        notes.append(f"devices[{index}] is not an object: listed without data")
        return {}
    device = dict(raw)
    if "position" not in device and "x" in device and "y" in device:
        device["position"] = {"x": device["x"], "y": device["y"]}
    elif isinstance(device.get("position"), list) and len(device["position"]) == 2:
        x, y = device["position"]
        device["position"] = {"x": x, "y": y}
    for nested, key, flat_names in DEVICE_FLAT:
        inner = device.get(nested)
        if isinstance(inner, dict) and key in inner:
            continue
        for name in flat_names:
            if name in device and not isinstance(device[name], dict):
                device[nested] = {**(inner if isinstance(inner, dict) else {}), key: device[name]}
                break
    return device
