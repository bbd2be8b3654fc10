"""The inspection screen: one stored snapshot — header, site map, devices, the round's
images and alerts, warnings — and its session's timeline to step through or play.

It shows the stored document only (read leniently, nothing recomputed). Reads run in
workers through the app's database session and come back as messages; while a read is
in flight a further step waits for it, so playing never queues reads, and the screen
keeps showing the current snapshot until the next is read (a read that takes a while is
marked on the device table's border): widgets are updated in place, never blanked. ``d``,
``j`` and ``c`` open the diff, the JSON tree and the MGI chart over it, once what they show
is read; ``e``/``E`` export. The device table scrolls a column at a time; ``i`` (or
``enter`` on the table) shows every field of the highlighted device in place of the map.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.notifications import SeverityLevel
from textual.timer import Timer
from textual.widgets import DataTable, Static

from snapwatch.infra.config import KeysSettings, Settings
from snapwatch.infra.dbsession import Conn
from snapwatch.inspection.diff import diff_snapshots
from snapwatch.inspection.export import export_devices, export_session, export_snapshot
from snapwatch.inspection.render import (
    MISSING,
    freshness_text,
    mgi_text,
    position_text,
    signed,
)
from snapwatch.inspection.timeline import load_session_snapshots, strip
from snapwatch.inspection.view import DeviceView, StoredSnapshot
from snapwatch.tui import copying, keymap
from snapwatch.tui.data import AppData
from snapwatch.tui.plain import literal, plain
from snapwatch.tui.screens.help import HelpScreen
from snapwatch.tui.screens.inspect import loader
from snapwatch.tui.screens.inspect.chart import ChartScreen, session_series
from snapwatch.tui.screens.inspect.details import device_details
from snapwatch.tui.screens.inspect.devices import DeviceTable
from snapwatch.tui.screens.inspect.diff import DiffScreen
from snapwatch.tui.screens.inspect.reads import ReadingScreen
from snapwatch.tui.screens.inspect.text import header, round_text, strip_text
from snapwatch.tui.screens.inspect.tree import TreeScreen
from snapwatch.tui.widgets.keys_footer import KeysFooter
from snapwatch.tui.widgets.site_map import SiteMapView, device_colour

NAVIGATION: tuple[tuple[str, str], ...] = (
    ("↑ ↓ PgUp PgDn", "choose a device: highlighted on the map, its images and alerts below"),
    ("enter", "on the device table: every field of the device, or the map again"),
    ("ctrl+p", "command palette: every action of this screen"),
    ("escape", "close a dialog or this screen"),
)
SPEEDS_SECONDS = (0.125, 0.25, 0.5, 1.0, 2.0, 4.0)
"""What ``+``/``-`` step through while playing (seconds per snapshot)."""
BUSY_AFTER_SECONDS = 0.3
"""A read still in flight after this long is marked on the device table's border."""
BUSY_MARK = "reading…"
TABLE_SHARE = (3, 5)
"""The device table takes at most this share of the width (the map the rest)..."""
TABLE_SHARE_BESIDE_PANEL = (1, 3)
"""... and this share beside the device panel, which needs room for its lines."""
FOOTER_FIRST = frozenset(
    {"inspect_previous", "inspect_next", "inspect_play", "inspect_columns_right", "inspect_device"}
)
"""Keys the footer shows first, however narrow the terminal (the rest in their order)."""


@dataclass(frozen=True)
class InspectContext:
    """What the screen works with: the app's database session and the settings."""

    data: AppData
    settings: Settings


class InspectScreen(ReadingScreen):
    ACTIONS = keymap.INSPECT_ACTIONS
    BINDINGS: ClassVar[list[BindingType]] = keymap.screen_bindings(
        tuple(sorted(ACTIONS, key=lambda a: a.id not in FOOTER_FIRST))
    )
    DEFAULT_CSS = """
    InspectScreen { layout: vertical; }
    #inspect-header { height: auto; padding: 0 1; background: $boost; }
    #inspect-strip { height: auto; padding: 0 1; }
    #inspect-body { height: 1fr; }
    #inspect-map { width: 1fr; border: round $primary-darken-1; }
    #inspect-device { display: none; width: 1fr; border: round $primary-darken-1; padding: 0 1; }
    #inspect-devices { border: round $primary-darken-1; }
    #inspect-devices:focus { border: round $primary; }
    #inspect-round { height: 8; border: round $primary-darken-1; padding: 0 1; }
    InspectScreen.-short #inspect-round { height: 5; }
    InspectScreen.-device #inspect-map { display: none; }
    InspectScreen.-short.-device #inspect-round { display: none; }
    InspectScreen.-device #inspect-device { display: block; }
    """

    def __init__(self, context: InspectContext, first: loader.Opened) -> None:
        super().__init__()
        self.context = context
        self.data = context.data
        self.found = first
        self.selected: str | None = first.view.devices[0].key if first.view.devices else None
        self.reading = False
        """A read of another snapshot is in flight."""
        self.busy_timer: Timer | None = None
        self.pending_steps = 0
        """Steps pressed while a read was in flight: taken together once it lands."""
        self.play_timer: Timer | None = None
        self.play_seconds = context.settings.ui.play_seconds

    # -- layout ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(id="inspect-header")
        yield Static(id="inspect-strip")
        with Horizontal(id="inspect-body"):
            yield SiteMapView(id="inspect-map")
            with VerticalScroll(id="inspect-device"):
                yield Static(id="inspect-device-body")
            yield DeviceTable((d.code for d in self.found.view.devices), id="inspect-devices")
        with VerticalScroll(id="inspect-round"):
            yield Static(id="inspect-round-body")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#inspect-map").border_title = "site map"
        self.query_one("#inspect-round").border_title = "this round"
        self._fit_table()
        self._show()
        self.devices_table.focus()

    def on_resize(self, event: events.Resize) -> None:
        self.set_class(event.size.height < 30, "-short")
        self._show_header()
        self._show_strip()
        self._fit_table()

    def _fit_table(self) -> None:
        share, of = TABLE_SHARE_BESIDE_PANEL if self.has_class("-device") else TABLE_SHARE
        self.devices_table.set_budget(self.app.size.width * share // of)  # before layout

    @property
    def devices_table(self) -> DeviceTable:
        return self.query_one("#inspect-devices", DeviceTable)

    @property
    def site_map(self) -> SiteMapView:
        return self.query_one("#inspect-map", SiteMapView)

    # -- showing a snapshot ---------------------------------------------------------------

    def _show(self) -> None:
        found = self.found
        view = found.view
        keys = {d.key for d in view.devices}
        if self.selected not in keys:
            self.selected = view.devices[0].key if view.devices else None
        self._show_header()
        self._show_strip()
        self._fill_table(view.devices)
        self._show_selection()
        self.devices_table.border_title = f"devices ({len(view.devices)})"

    def _show_header(self) -> None:
        found = self.found
        width = max(20, self.size.width - 2)
        self.query_one("#inspect-header", Static).update(
            header(found.view, found.problem, found.timeline.wake_count, width)
        )

    def _show_strip(self) -> None:
        playing = f"playing, {self.play_seconds:g}s each" if self.play_timer else None
        marks = strip(self.found.timeline, self.found.row.snapshot_id)
        width = max(20, self.size.width - 2)
        numbers = not self.has_class("-short")
        self.query_one("#inspect-strip", Static).update(strip_text(marks, width, playing, numbers))

    def _fill_table(self, devices: tuple[DeviceView, ...]) -> None:
        self.devices_table.show([(d.key, device_cells(d)) for d in devices], self.selected)

    def _show_selection(self) -> None:
        view = self.found.view
        device = self.selected_device
        self.site_map.show(view, self.selected)
        self._show_device(device)
        self.query_one("#inspect-round-body", Static).update(round_text(view, device))
        self.query_one("#inspect-round").border_title = literal(
            f"this round: {device.code}" if device else "this round"
        )

    @property
    def selected_device(self) -> DeviceView | None:
        return next((d for d in self.found.view.devices if d.key == self.selected), None)

    @on(DataTable.RowHighlighted, "#inspect-devices")
    def _device_highlighted(self, event: DataTable.RowHighlighted) -> None:
        key = event.row_key.value
        if key is not None and key != self.selected:
            self.selected = str(key)
            self._show_selection()

    @on(DataTable.RowSelected, "#inspect-devices")
    def _device_chosen(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_device()

    def _show_device(self, device: DeviceView | None) -> None:
        if not self.has_class("-device"):
            return
        body = device_details(device) if device else Text("the snapshot lists no device")
        self.query_one("#inspect-device-body", Static).update(body)
        self.query_one("#inspect-device").border_title = literal(
            f"device {device.code}" if device else "device"
        )

    # -- reading --------------------------------------------------------------------------

    def _read(self, work: Callable[[Conn], Awaitable[loader.Opened]]) -> bool:
        """Start a read unless one is in flight; say whether it started."""
        if self.reading:
            return False
        self.reading = True
        self._busy(True)
        self.fetch(work, self._loaded, self._read_failed)
        return True

    def _busy(self, busy: bool) -> None:
        """Mark a read that takes a while on the table's border (never blank anything)."""
        if self.busy_timer is not None:
            self.busy_timer.stop()
            self.busy_timer = None
        table = self.devices_table
        if busy:
            self.busy_timer = self.set_timer(
                BUSY_AFTER_SECONDS, lambda: setattr(table, "border_subtitle", BUSY_MARK)
            )
        else:
            table.border_subtitle = None

    def _loaded(self, found: loader.Opened) -> None:
        self.reading = False
        self._busy(False)
        self.found = found
        self._show()
        steps, self.pending_steps = self.pending_steps, 0
        if steps:
            self._step(steps)

    def _read_failed(self, line: str) -> None:
        self.reading = False
        self._busy(False)
        self.pending_steps = 0
        self._stop_playing()
        self.say(line, "warning")

    def _open_index(self, index: int) -> bool:
        timeline = self.found.timeline
        entry = timeline.entries[index]
        if entry.snapshot_id == self.found.row.snapshot_id:
            return False
        return self._read(lambda conn: loader.open_entry(conn, timeline, entry.snapshot_id))

    def _index(self) -> int:
        found = self.found
        index = found.timeline.index_of(found.row.snapshot_id)
        return 0 if index is None else index

    # -- timeline -------------------------------------------------------------------------

    def action_step(self, delta: int) -> None:
        self._stop_playing()
        if self.reading:
            self.pending_steps += delta
            return
        self._step(delta)

    def _step(self, delta: int) -> bool:
        entries = self.found.timeline.entries
        index = self._index()
        target = min(max(index + delta, 0), len(entries) - 1)
        if target == index:
            where = "last" if delta > 0 else "first"
            self.notify(f"wake {self.found.row.wake_number} is the session's {where} snapshot")
            return False
        return self._open_index(target)

    def action_edge(self, last: bool) -> None:
        self._stop_playing()
        self._open_index(len(self.found.timeline.entries) - 1 if last else 0)

    def action_session(self, delta: int) -> None:
        self._stop_playing()
        timeline = self.found.timeline
        session = timeline.next_session if delta > 0 else timeline.previous_session
        if session is None:
            word = "later" if delta > 0 else "earlier"
            self.notify(f"no {word} session of {timeline.site_name} has snapshots")
            return
        self._read(lambda conn: loader.open_session(conn, session, last=delta < 0))

    def action_play(self) -> None:
        if self.play_timer is not None:
            self._stop_playing()
            self.notify("stopped")
            return
        entries = self.found.timeline.entries
        if len(entries) < 2:
            self.notify("nothing to play: the session has one snapshot")
            return
        if self._index() == len(entries) - 1:
            self._open_index(0)  # from the end, play from the start
        self._start_timer()

    def _start_timer(self) -> None:
        if self.play_timer is not None:
            self.play_timer.stop()
        self.play_timer = self.set_interval(self.play_seconds, self._play_frame)
        self._show_strip()

    def _play_frame(self) -> None:
        if self.reading:
            return  # the previous frame is still being read: wait for it
        if self._index() >= len(self.found.timeline.entries) - 1:
            self._stop_playing()
            self.notify("end of the session's timeline")
            return
        self._step(1)

    def _stop_playing(self) -> None:
        if self.play_timer is not None:
            self.play_timer.stop()
            self.play_timer = None
            self._show_strip()

    def action_speed(self, factor: float) -> None:
        wanted = self.play_seconds * factor
        self.play_seconds = min(SPEEDS_SECONDS, key=lambda s: abs(s - wanted))
        if self.play_timer is not None:
            self._start_timer()
        self.notify(f"{self.play_seconds:g}s per snapshot")

    # -- views over the snapshot ----------------------------------------------------------

    def action_zones(self) -> None:
        shown = self.site_map.toggle_device_zones()
        self.say("every device's zone on the map" if shown else "the selected device's zone only")

    def action_diff(self) -> None:
        self._stop_playing()  # a view over one snapshot: the timeline holds still
        current, timeline, index = self.found.view, self.found.timeline, self._index()
        if index == 0 or not timeline.entries:
            self.app.push_screen(DiffScreen(diff_snapshots(current, None)))
            return
        previous = timeline.entries[index - 1].snapshot_id
        self.fetch(
            lambda conn: loader.open_entry(conn, timeline, previous),
            lambda before: self.app.push_screen(DiffScreen(diff_snapshots(current, before.view))),
        )

    def action_tree(self) -> None:
        self._stop_playing()  # a view over one snapshot: the timeline holds still
        row = self.found.row
        title = f"{row.site_name} · wake {row.wake_number}"
        self.app.push_screen(TreeScreen(row.site_state, title))

    def action_chart(self) -> None:
        self._stop_playing()  # a view over one snapshot: the timeline holds still
        view, device = self.found.view, self.selected_device
        if device is None:
            self.say("no device to chart: the snapshot lists none", "warning")
            return
        self.fetch(
            lambda conn: session_series(conn, view, device),
            lambda series: self.app.push_screen(ChartScreen(self.data, view, device, series)),
        )

    def action_device(self) -> None:
        self.toggle_class("-device")
        self._fit_table()
        self._show_device(self.selected_device)

    def action_columns(self, step: int) -> None:
        if not self.devices_table.scroll_columns(step):
            self.notify(f"the device table's {'last' if step > 0 else 'first'} columns are shown")

    def action_export(self) -> None:
        row = self.found.row
        what = {"snapshot_id": row.snapshot_id, "wake": row.wake_number}
        self.say(*self._write(lambda directory: export_snapshot(row, directory), what))

    def action_export_session(self) -> None:
        session = self.found.row.session_id

        def write(rows: list[StoredSnapshot]) -> None:
            what = {"session_id": session, "snapshots": len(rows)}
            self.say(*self._write(lambda directory: export_session(rows, directory), what))

        self.fetch(lambda conn: load_session_snapshots(conn, session), write)

    def _write(
        self, write: Callable[[Path], Path], what: dict[str, Any]
    ) -> tuple[str, SeverityLevel]:
        row = self.found.row
        return copying.write_export(
            self, self.data, self.context.settings, write, what,
            site_id=row.site_id, scope=row.site_name,
        )  # fmt: skip

    def action_export_csv(self) -> None:
        row, devices = self.found.row, self.found.view.devices
        what = {"snapshot_id": row.snapshot_id, "wake": row.wake_number, "table": "devices"}
        self.say(*self._write(lambda directory: export_devices(row, devices, directory), what))

    def action_copy_id(self) -> None:
        device = self.selected_device
        if self.focused is self.devices_table and device is not None:
            kind = "device id" if device.device_id else "device code"
            copying.copy_id(self.app, kind, device.device_id or device.code)
            return
        copying.copy_id(self.app, "snapshot id", str(self.found.row.snapshot_id))

    def action_copy_document(self) -> None:
        copying.copy_document(self.app, self.found.row)

    # -- help, leaving --------------------------------------------------------------------

    def key_settings(self) -> KeysSettings:
        return self.context.settings.keys

    def action_help(self) -> None:
        notes = [
            "the strip: ● schedule  ◆ catch-up  ▲ forced  ◇ backfilled  _ missing"
            "  · not yet written"
        ]
        self.app.push_screen(HelpScreen(self.shown_keys(), notes, NAVIGATION))

    def action_close(self) -> None:
        self._stop_playing()
        self.dismiss(None)


def device_cells(d: DeviceView) -> list[Text]:
    """One row of the device table: the stored values as literal text (a ``str`` cell
    would be read as markup), MGI in its band's colour."""
    colour = device_colour(d)
    return [
        plain(d.code),
        plain(mgi_text(d.mgi), style=colour),
        plain(d.band, style=colour),
        plain(signed(d.delta)),
        plain(signed(d.velocity_per_day)),
        plain(freshness_text(d.mgi_freshness, d.mgi_hours)),
        plain(position_text(d.position)),
        plain(MISSING if d.temperature is None else f"{d.temperature:.1f}"),
        plain(MISSING if d.humidity is None else f"{d.humidity:.1f}"),
        plain(freshness_text(d.telemetry_freshness, d.telemetry_hours)),
    ]
