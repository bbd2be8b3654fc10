"""The main screen's copy, export and scale keys.

``y`` copies the id of what the focused pane highlights: the site (Sites), the snapshot
(Recent snapshots), the device (Devices: its id, or its code when the document has no
id). ``Y`` copies the stored document, as JSON, of the snapshot ``enter`` would open: the
highlighted one in Recent snapshots, else the selected site's latest; it is read in a
worker through the inspection core (:func:`snapwatch.inspection.selection.select_snapshot`).
``w`` writes the sites table to a CSV file: every row the table lists (its filter and
order), every field of each, in full. ``g`` switches the sparklines between the fixed 0–1
scale and the range fitted to the site's data.
"""

from __future__ import annotations

from datetime import UTC
from uuid import UUID

from textual import on
from textual.message import Message

from snapwatch.infra.dbsession import Conn
from snapwatch.inspection.export import export_table
from snapwatch.inspection.selection import select_snapshot
from snapwatch.inspection.view import StoredSnapshot
from snapwatch.readmodels.sites import SiteOverview
from snapwatch.text.csvtext import record_table
from snapwatch.tui import copying
from snapwatch.tui.data import error_line
from snapwatch.tui.screens.main.actions import OperatorActions


class DocumentRead(Message):
    """The snapshot whose document to copy, and what it is; or (``row`` None) why it
    could not be read."""

    def __init__(self, row: StoredSnapshot | None, line: str) -> None:
        super().__init__()
        self.row = row
        self.line = line


class CopyActions(OperatorActions):
    def action_copy_id(self) -> None:
        pane = self.focused_pane() or self.current
        if pane == "snapshots":
            snap = self.snapshots_pane.selected
            if snap is None:
                self.notify("no snapshot highlighted: nothing copied", severity="warning")
                return
            copying.copy_id(self.app, "snapshot id", str(snap.snapshot_id))
        elif pane == "devices":
            device = self.devices_pane.selected
            if device is None:
                self.notify("no device highlighted: nothing copied", severity="warning")
                return
            if device.device_id:
                copying.copy_id(self.app, "device id", device.device_id)
            else:
                copying.copy_id(self.app, "device code", device.label)
        elif pane == "sites":
            site = self.sites_pane.selected
            if site is None:
                self.notify("no site selected: nothing copied", severity="warning")
                return
            copying.copy_id(self.app, "site id", str(site.site_id))
        else:
            self.notify("the job health pane has no id to copy", severity="warning")

    def action_copy_document(self) -> None:
        snapshot_id: UUID | None = None
        site_id: UUID | None = None
        if self.focused_pane() == "snapshots" and self.snapshots_pane.selected is not None:
            snapshot_id = self.snapshots_pane.selected.snapshot_id
        elif self.selected is not None:
            site_id = self.selected.site_id
        else:
            self.notify("no snapshot highlighted and no site selected", severity="warning")
            return
        now = self.now()

        async def read(conn: Conn) -> StoredSnapshot:
            return await select_snapshot(
                conn,
                snapshot=str(snapshot_id) if snapshot_id is not None else None,
                site=str(site_id) if site_id is not None else None,
                wake=None,
                now=now,
            )

        what = "the document" if snapshot_id is not None else "the site's latest document"

        async def run() -> None:
            try:
                row = await self.services.data.run(read)
            except Exception as exc:
                self.post_message(DocumentRead(None, error_line(exc, self.services.target)))
            else:
                self.post_message(DocumentRead(row, what))

        self.run_worker(run(), name="copy-document", group="actions", exit_on_error=False)

    @on(DocumentRead)
    def _document_read(self, message: DocumentRead) -> None:
        if message.row is None:
            self.notify(message.line, severity="warning", timeout=8)
            return
        copying.copy_document(self.app, message.row, message.line)

    def action_export_csv(self) -> None:
        sites = list(self.sites_pane.sites.values())
        if not sites:
            self.notify("no sites listed: nothing to export", severity="warning")
            return
        stamp = self.now().astimezone(UTC).strftime("%Y%m%d-%H%M%S")
        header, rows = record_table(SiteOverview, sites)
        text, severity = copying.write_export(
            self,
            self.services.data,
            self.services.settings,
            lambda directory: export_table(f"snapwatch-sites-{stamp}", header, rows, directory),
            {"table": "sites", "rows": len(rows)},
        )
        self.notify(text, severity=severity, timeout=8)

    def action_scale(self) -> None:
        fitted = self.devices_pane.toggle_scale()
        which = "fitted to the site's data" if fitted else "on the fixed 0–1 scale"
        self.notify(f"MGI sparklines {which}", timeout=3)
