"""What changed between a snapshot and the previous snapshot of its session.

Devices are matched by :attr:`DeviceView.key` (the ``device_id``, else the code). For a
device present in both, a :class:`DeviceChange` holds both readings and answers what
moved: the MGI band, the MGI value, whether MGI and telemetry were new data or carried
forward in each snapshot, whether the device went stale or came back, and the images
and alerts of the current round. Devices present in only one of the two snapshots are
listed as added or removed. Values are compared as stored: nothing is recomputed.

Without a previous snapshot (the first of its session) the diff is empty: there is
nothing to compare, so no device, no added or removed device and no round item is listed.
"""

from __future__ import annotations

from dataclasses import dataclass

from snapwatch.inspection.view import AlertView, DeviceView, ImageView, SnapshotView

DELTA_DIGITS = 6
"""MGI deltas are rounded to this many digits, so equal stored values give exactly 0."""

WITH_DATA = frozenset({"current_wake", "carried_forward"})
"""MGI freshness with a usable value: new in the round, or carried forward."""

WITHOUT_DATA = frozenset({"stale", "no_data"})
"""MGI freshness without a usable value: too old, or never any."""


def round_image_count(device: DeviceView) -> int:
    """Images the device captured in the round: those listed plus those left out."""
    return len(device.images) + device.images_omitted


@dataclass(frozen=True)
class DeviceChange:
    """One device present in both snapshots: how it was (``before``) and is (``now``)."""

    before: DeviceView
    now: DeviceView

    @property
    def device_id(self) -> str | None:
        return self.now.device_id

    @property
    def code(self) -> str:
        return self.now.code

    @property
    def previous_mgi(self) -> float | None:
        return self.before.mgi

    @property
    def current_mgi(self) -> float | None:
        return self.now.mgi

    @property
    def band_from(self) -> str:
        return self.before.band

    @property
    def band_to(self) -> str:
        return self.now.band

    @property
    def mgi_freshness_from(self) -> str | None:
        return self.before.mgi_freshness

    @property
    def mgi_freshness_to(self) -> str | None:
        return self.now.mgi_freshness

    @property
    def telemetry_freshness_from(self) -> str | None:
        return self.before.telemetry_freshness

    @property
    def telemetry_freshness_to(self) -> str | None:
        return self.now.telemetry_freshness

    @property
    def mgi_delta(self) -> float | None:
        """Current minus previous MGI, or ``None`` when either is missing."""
        if self.previous_mgi is None or self.current_mgi is None:
            return None
        return round(self.current_mgi - self.previous_mgi, DELTA_DIGITS)

    @property
    def band_changed(self) -> bool:
        return self.band_from != self.band_to

    @property
    def mgi_moved(self) -> bool:
        """The MGI value differs: a nonzero delta, or a value that appeared or vanished."""
        if self.mgi_delta is not None:
            return self.mgi_delta != 0
        return (self.previous_mgi is None) != (self.current_mgi is None)

    @property
    def mgi_freshness_changed(self) -> bool:
        return self.mgi_freshness_from != self.mgi_freshness_to

    @property
    def telemetry_freshness_changed(self) -> bool:
        return self.telemetry_freshness_from != self.telemetry_freshness_to

    @property
    def new_mgi_data(self) -> bool:
        """The current MGI was captured in the current round."""
        return self.mgi_freshness_to == "current_wake"

    @property
    def new_telemetry(self) -> bool:
        """The current telemetry was captured in the current round."""
        return self.telemetry_freshness_to == "current_wake"

    @property
    def went_stale(self) -> bool:
        """MGI was new or carried forward before and is stale or missing now."""
        return self.mgi_freshness_from in WITH_DATA and self.mgi_freshness_to in WITHOUT_DATA

    @property
    def came_back(self) -> bool:
        """MGI was stale or missing before and is new or carried forward now."""
        return self.mgi_freshness_from in WITHOUT_DATA and self.mgi_freshness_to in WITH_DATA

    @property
    def new_images(self) -> tuple[ImageView, ...]:
        """The images of the current round listed in the document (see ``image_count``)."""
        return self.now.images

    @property
    def image_count(self) -> int:
        return round_image_count(self.now)

    @property
    def new_alerts(self) -> tuple[AlertView, ...]:
        """The alerts triggered in the current round."""
        return self.now.alerts

    @property
    def alert_count(self) -> int:
        return len(self.now.alerts)

    @property
    def changed(self) -> bool:
        """Anything worth showing: band, MGI value, MGI or telemetry freshness, or new
        images or alerts in the round."""
        return (
            self.band_changed
            or self.mgi_moved
            or self.mgi_freshness_changed
            or self.telemetry_freshness_changed
            or self.image_count > 0
            or self.alert_count > 0
        )


@dataclass(frozen=True)
class SnapshotDiff:
    """A snapshot against the previous snapshot of its session (``None`` when first)."""

    current: SnapshotView
    previous: SnapshotView | None
    devices: tuple[DeviceChange, ...]
    """Devices in both snapshots, in the current snapshot's order."""
    added: tuple[DeviceView, ...]
    """Devices only in the current snapshot, in its order."""
    removed: tuple[DeviceView, ...]
    """Devices only in the previous snapshot, in its order."""

    def rows(self, changed_only: bool = True) -> tuple[DeviceChange, ...]:
        """The devices in both snapshots: only the changed ones, or all of them."""
        if not changed_only:
            return self.devices
        return tuple(c for c in self.devices if c.changed)

    @property
    def unchanged_count(self) -> int:
        """Devices in both snapshots with nothing changed (hidden by ``rows()``)."""
        return sum(1 for c in self.devices if not c.changed)

    @property
    def band_changes(self) -> tuple[DeviceChange, ...]:
        return tuple(c for c in self.devices if c.band_changed)

    def largest_moves(self, n: int) -> tuple[DeviceChange, ...]:
        """At most ``n`` devices whose MGI moved, by the size of the move (largest
        first; equal moves in the current snapshot's order). Devices without an MGI in
        either snapshot have no move and are left out."""
        if n < 0:
            raise ValueError(f"n must not be negative: {n}")
        moved = [c for c in self.devices if c.mgi_delta]  # None and 0.0: no move
        return tuple(sorted(moved, key=lambda c: -abs(c.mgi_delta or 0.0))[:n])

    @property
    def went_stale(self) -> tuple[DeviceChange, ...]:
        """Devices whose MGI went from new or carried to stale or no data."""
        return tuple(c for c in self.devices if c.went_stale)

    @property
    def came_back(self) -> tuple[DeviceChange, ...]:
        """Devices whose MGI went from stale or no data to new or carried."""
        return tuple(c for c in self.devices if c.came_back)

    @property
    def new_images(self) -> tuple[DeviceView, ...]:
        """Current devices (added ones too) with images in the round, in its order;
        count them with :func:`round_image_count`."""
        return tuple(d for d in self._current_devices() if round_image_count(d) > 0)

    @property
    def new_alerts(self) -> tuple[DeviceView, ...]:
        """Current devices (added ones too) with alerts in the round, in its order."""
        return tuple(d for d in self._current_devices() if d.alerts)

    @property
    def image_total(self) -> int:
        return sum(round_image_count(d) for d in self.new_images)

    @property
    def alert_total(self) -> int:
        return sum(len(d.alerts) for d in self.new_alerts)

    def _current_devices(self) -> tuple[DeviceView, ...]:
        """The current snapshot's devices, or none when there is nothing to compare."""
        return self.current.devices if self.previous is not None else ()


def diff_snapshots(current: SnapshotView, previous: SnapshotView | None) -> SnapshotDiff:
    """Compare ``current`` with ``previous`` (the session's snapshot before it, if any)."""
    if previous is None:
        return SnapshotDiff(current, None, (), (), ())
    before = {d.key: d for d in previous.devices}
    now_keys = {d.key for d in current.devices}
    return SnapshotDiff(
        current=current,
        previous=previous,
        devices=tuple(DeviceChange(before[d.key], d) for d in current.devices if d.key in before),
        added=tuple(d for d in current.devices if d.key not in before),
        removed=tuple(d for d in previous.devices if d.key not in now_keys),
    )
