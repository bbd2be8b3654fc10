"""One device's MGI over time, over the inspection screen: from the session's snapshots
(as stored, carried-forward values marked) or, with ``s``, from its scored images of the
last days. The band thresholds are drawn; the caption gives the latest velocity. The
scale key (``g``, the same binding as the main screen's) switches the y axis between the
fixed 0–1 scale and a range fitted to the series."""

from __future__ import annotations

from datetime import timedelta
from typing import ClassVar
from uuid import UUID

from textual.app import ComposeResult
from textual.binding import Binding, BindingType

from snapwatch.infra.dbsession import Conn
from snapwatch.inspection.chart_data import MgiSeries, fetch_scored_images, series_from_snapshots
from snapwatch.inspection.render import site_zone
from snapwatch.inspection.timeline import load_session_snapshots
from snapwatch.inspection.view import DeviceView, SnapshotView, read_view
from snapwatch.tui import keymap
from snapwatch.tui.data import AppData
from snapwatch.tui.screens.inspect.reads import ReadingScreen
from snapwatch.tui.widgets.keys_footer import KeysFooter
from snapwatch.tui.widgets.mgi_chart import MgiChart

IMAGE_DAYS = 7
"""How far back the scored-images chart reaches from the snapshot's round end."""


class ChartScreen(ReadingScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "source", "Snapshots/images", id="chart.source"),
        Binding(
            keymap.default_key("scale"), "scale", keymap.BY_ID["scale"].description, id="scale"
        ),
        Binding("escape,c", "close", "Close", id="chart.close"),
    ]
    DEFAULT_CSS = """
    ChartScreen MgiChart { height: 1fr; }
    """

    def __init__(
        self, data: AppData, view: SnapshotView, device: DeviceView, first: MgiSeries
    ) -> None:
        """``first``: the device's series from the session's snapshots, read already."""
        super().__init__()
        self.data = data
        self.view = view
        self.device = device
        self.first = first
        self.from_images = False

    def compose(self) -> ComposeResult:
        yield MgiChart(id="chart")
        yield KeysFooter()

    def on_mount(self) -> None:
        self._show(self.first)

    @property
    def chart(self) -> MgiChart:
        return self.query_one(MgiChart)

    def _read(self) -> None:
        view, device = self.view, self.device
        if self.from_images:
            device_id = _uuid(device.device_id)
            if device_id is None:
                self.say(f"{device.code} has no device id: no images to read", "warning")
                self.from_images = False
                return
            until = view.wake_round_end
            since = until - timedelta(days=IMAGE_DAYS)

            async def images(conn: Conn) -> MgiSeries:
                return await fetch_scored_images(conn, device_id, since, until)

            self.fetch(images, self._show)
            return

        self.fetch(lambda conn: session_series(conn, view, device), self._show)

    def _show(self, series: MgiSeries) -> None:
        where = f"scored images, last {IMAGE_DAYS} days" if self.from_images else "this session"
        title = (
            f"{self.device.code} MGI · {where} · s: {'snapshots' if self.from_images else 'images'}"
        )
        self.chart.show(series, title, site_zone(self.view.timezone))

    def action_source(self) -> None:
        self.from_images = not self.from_images
        self._read()

    def action_scale(self) -> None:
        fitted = self.chart.toggle_scale()
        self.say("MGI axis " + ("fitted to the series" if fitted else "on the fixed 0–1 scale"))

    def action_close(self) -> None:
        self.dismiss(None)


async def session_series(conn: Conn, view: SnapshotView, device: DeviceView) -> MgiSeries:
    """The device's MGI in every snapshot of the session of ``view``."""
    rows = await load_session_snapshots(conn, view.session_id)
    return series_from_snapshots([read_view(r) for r in rows], device.key)


def _uuid(text: str | None) -> UUID | None:
    try:
        return UUID(text) if text else None
    except ValueError:
        return None
