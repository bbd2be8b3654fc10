"""Copy to the terminal's clipboard and write exports, the same way on every screen.

Copying goes through Textual's :meth:`App.copy_to_clipboard`: an OSC 52 sequence that the
terminal puts on the system clipboard, over SSH too (and in tmux with ``set-clipboard
on``); the text travels base64-encoded, so nothing in it reaches the terminal raw. Every
copy and every export ends in a notification that says what was copied or where the file
is.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from uuid import UUID

from textual.app import App
from textual.dom import DOMNode
from textual.notifications import SeverityLevel

from snapwatch.infra.config import Settings
from snapwatch.inspection.export import document_text
from snapwatch.inspection.view import StoredSnapshot
from snapwatch.schedule import activity
from snapwatch.text.inert import inert_json
from snapwatch.tui.data import AppData
from snapwatch.tui.trail import note_soon

SHORT_ID = 8
"""Characters of an id the notification shows (the clipboard gets all of it)."""


def copy(app: App[Any], text: str, what: str) -> None:
    """Put ``text`` on the clipboard and say ``copied <what>``."""
    app.copy_to_clipboard(text)
    app.notify(f"copied {what}", timeout=4)


def copy_id(app: App[Any], kind: str, value: str) -> None:
    """Copy an id (``kind``: ``site id``, ``device code``...), shown shortened."""
    shown = value if len(value) <= SHORT_ID + 1 else f"{value[:SHORT_ID]}…"
    copy(app, value, f"{kind} {shown}")


def copy_document(app: App[Any], row: StoredSnapshot, what: str = "the document") -> None:
    """Copy ``row``'s stored document as indented JSON (as an export writes it, with the
    characters a terminal would act on as JSON escapes: the same document) and say its
    size."""
    text = inert_json(document_text(row))
    copy(app, text, f"{what} ({size_text(text)})")


def size_text(text: str) -> str:
    """``12.3 kB``: the size of ``text`` in UTF-8 (as it reaches the clipboard)."""
    size = len(text.encode("utf-8"))
    if size < 1000:
        return f"{size} B"
    if size < 1_000_000:
        return f"{size / 1000:.1f} kB"
    return f"{size / 1_000_000:.1f} MB"


def write_export(
    node: DOMNode,
    data: AppData,
    settings: Settings,
    write: Callable[[Path], Path],
    what: Mapping[str, Any],
    *,
    site_id: UUID | None = None,
    scope: str = "",
) -> tuple[str, SeverityLevel]:
    """Run ``write`` with the directory every export goes to (``ui.export_dir``, else the
    current directory), record the export (``what`` and the file, or why it failed) in
    the activity trail, and say what to tell the operator: the new file's path, or why."""
    directory = settings.ui.export_dir or Path.cwd()
    said: tuple[str, SeverityLevel]
    try:
        path = write(directory)
    except (OSError, ValueError) as exc:
        detail, result = {**what, "directory": directory}, activity.failed(str(exc))
        said = (f"export failed: {exc}", "error")
    else:
        detail, result = {**what, "file": path}, activity.OK
        said = (f"exported to {path}", "information")
    note_soon(node, data, activity.EXPORT, site_id=site_id, scope=scope, detail=detail,
              result=result)  # fmt: skip
    return said
