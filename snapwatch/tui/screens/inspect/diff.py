"""The diff over the inspection screen: what changed since the session's previous
snapshot — the same summary as ``snapwatch inspect --diff`` — and a table of the changed
devices (``a`` shows every device, and back)."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from snapwatch.inspection.diff import DeviceChange, SnapshotDiff
from snapwatch.inspection.diff_text import summary_lines
from snapwatch.inspection.render import MISSING, mgi_text, signed
from snapwatch.inspection.view import freshness_label
from snapwatch.tui.plain import literal, plain, plain_lines
from snapwatch.tui.widgets.keys_footer import KeysFooter
from snapwatch.tui.widgets.site_map import device_colour


class DiffScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "toggle_all", "Changed/all", id="diff.all"),
        Binding("escape,q,d", "close", "Close", id="diff.close"),
    ]
    DEFAULT_CSS = """
    DiffScreen { align: center middle; }
    #diff { width: 100%; height: 100%; border: round $primary; background: $surface; }
    #diff-summary { height: auto; max-height: 45%; padding: 0 1; }
    #diff-devices { height: 1fr; }
    """

    def __init__(self, diff: SnapshotDiff) -> None:
        super().__init__()
        self.diff = diff
        self.changed_only = True

    def compose(self) -> ComposeResult:
        with Vertical(id="diff"):
            with VerticalScroll(id="diff-summary"):
                yield Static(self._summary(), id="diff-summary-body")
            table: DataTable[Text] = DataTable(
                id="diff-devices", cursor_type="row", zebra_stripes=True
            )
            yield table
        yield KeysFooter()

    def on_mount(self) -> None:
        cur, prev = self.diff.current, self.diff.previous
        box = self.query_one("#diff", Vertical)
        against = f"wake {prev.wake_number}" if prev else "nothing"
        box.border_title = literal(f"{cur.site_name} · wake {cur.wake_number} against {against}")
        table = self.query_one("#diff-devices", DataTable)
        table.add_columns("DEVICE", "MGI BEFORE → NOW", "Δ", "BAND", "MGI DATA", "TELEM", "ROUND")
        self._fill()
        table.focus()

    def _summary(self) -> Text:
        if self.diff.previous is None:
            return Text(
                f"wake {self.diff.current.wake_number} is the first snapshot of its session: "
                "nothing to compare"
            )
        return plain_lines(summary_lines(self.diff))

    def _fill(self) -> None:
        table = self.query_one("#diff-devices", DataTable)
        table.clear()
        rows = self.diff.rows(changed_only=self.changed_only)
        for change in rows:
            table.add_row(*change_cells(change), key=change.now.key)
        hidden = self.diff.unchanged_count if self.changed_only else 0
        scope = "changed devices" if self.changed_only else "all devices"
        tail = f", {hidden} unchanged hidden (a shows all)" if hidden else ""
        table.border_title = f"{scope}: {len(rows)}{tail}"
        self.query_one("#diff", Vertical).border_subtitle = (
            "a: all devices" if self.changed_only else "a: changed only"
        ) + " · escape closes"

    def action_toggle_all(self) -> None:
        self.changed_only = not self.changed_only
        self._fill()

    def action_close(self) -> None:
        self.dismiss(None)


def change_cells(c: DeviceChange) -> list[Text]:
    """One row of the changed devices, as literal text (a ``str`` cell would be read as
    markup)."""
    colour = device_colour(c.now)
    band = f"{c.band_from} → {c.band_to}" if c.band_changed else c.band_to
    items = []
    if c.image_count:
        items.append(f"{c.image_count} img")
    if c.alert_count:
        items.append(f"{c.alert_count} alert")
    return [
        plain(c.code),
        plain(f"{mgi_text(c.previous_mgi)} → {mgi_text(c.current_mgi)}"),
        plain(signed(c.mgi_delta)),
        plain(band, style=f"bold {colour}" if c.band_changed else colour),
        plain(_transition(c.mgi_freshness_from, c.mgi_freshness_to)),
        plain(_transition(c.telemetry_freshness_from, c.telemetry_freshness_to)),
        plain(", ".join(items) or MISSING),
    ]


def _transition(before: str | None, now: str | None) -> str:
    if before == now:
        return freshness_label(now)
    return f"{freshness_label(before)} → {freshness_label(now)}"
