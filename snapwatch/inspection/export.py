"""Export stored snapshots to files: one document as pretty JSON, a session as JSON lines.

The files hold the stored documents exactly (every value as stored; keys of a document in
its own order), so parsing a file gives back what the database holds. A file is written
to a temporary name and renamed, and never replaces an existing one: a second export of
the same snapshot gets ``-2``, ``-3``, ... before the extension.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from snapwatch.inspection.ordering import ordered_document
from snapwatch.inspection.view import StoredSnapshot
from snapwatch.snapshot.timefmt import utc_text

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def export_snapshot(row: StoredSnapshot, directory: Path) -> Path:
    """Write ``row``'s document as indented JSON; return the file's path."""
    text = json.dumps(ordered_document(row.site_state, exact=True), indent=2, ensure_ascii=False)
    name = f"{_stem(row)}-wake{row.wake_number}"
    return _write_new(directory, name, ".json", text + "\n")


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


def _stem(row: StoredSnapshot) -> str:
    site = _UNSAFE.sub("-", row.site_name).strip("-").lower() or "site"
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
