"""The devices of one site as its latest snapshot shows them, with an MGI sparkline each.

The document is final (``snapshot-v1.md``: LOCF happens when it is written and only
then), so this reads stored documents and never chooses values again: a device's current
MGI, freshness and velocity are the latest document's, and its series holds, for each of
the site's ``history`` most recent snapshots, the ``current_mgi`` that document stored (a
carried value is shown as the document carried it; a device absent from an older document,
or without a value there, is None).

One query: the site's newest snapshots through ``session_wake_snapshots(site_id,
wake_round_start DESC)``, and from each document only the small values needed, picked in
SQL. Those values are type-checked in Python, so a document of another shape (an older
generator's array, missing keys, wrong types) reads as None where it lacks something.

Sparklines draw on the fixed 0–1 scale by default rather than each series' own range, so
a flat 0.2 and a flat 0.8 look different and two devices can be compared at a glance; or on
one range fitted to all of the site's devices (:meth:`SiteDevices.fitted_scale`), which
keeps them comparable while spreading out low values (:mod:`snapwatch.inspection.scale`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection
from psycopg.rows import dict_row

from snapwatch.inspection.lenient import dig, number, text
from snapwatch.inspection.scale import FIXED, MgiScale, fitted_scale
from snapwatch.snapshot.mgi import band as mgi_band

BLOCKS = "▁▂▃▄▅▆▇█"
"""Eight levels, each an eighth of the scale."""
NO_VALUE = "·"
"""A snapshot without a value for the device."""
NO_SNAPSHOT = " "
"""Padding where the site has fewer snapshots than the sparkline is wide."""

# The newest `history` snapshots of the site (at least the newest one); for each, its
# devices' key and MGI, and the newest one's details. Entries that are not objects are not
# devices; a snapshot without any comes back once, with NULL device values.
DEVICES_SQL = """
SELECT h.n, h.snapshot_id, h.session_id, h.wake_number, h.wake_round_start,
       h.wake_round_end, h.created_at, e.i,
       e.v -> 'device_id' AS device_id, e.v -> 'device_code' AS device_code,
       e.v #> '{mgi_state,current_mgi}' AS mgi,
       CASE WHEN h.n = 1 THEN jsonb_build_object(
            'name', e.v -> 'device_name',
            'position', e.v -> 'position',
            'velocity_per_day', e.v #> '{mgi_state,velocity_per_day}',
            'mgi_freshness', e.v #> '{mgi_state,data_freshness}',
            'mgi_hours', e.v #> '{mgi_state,hours_since_last}',
            'telemetry_freshness', e.v #> '{telemetry,data_freshness}',
            'telemetry_hours', e.v #> '{telemetry,hours_since_last}')
       END AS detail
  FROM (SELECT x.*, row_number() OVER (ORDER BY x.wake_round_start DESC,
                                               x.wake_round_end DESC, x.created_at DESC) AS n
          FROM (SELECT w.snapshot_id, w.session_id, w.wake_number, w.wake_round_start,
                       w.wake_round_end, w.created_at, w.site_state
                  FROM session_wake_snapshots w
                 WHERE w.site_id = %(site)s
                 ORDER BY w.wake_round_start DESC, w.wake_round_end DESC, w.created_at DESC
                 LIMIT %(limit)s) x) h
  LEFT JOIN LATERAL jsonb_array_elements(
         CASE WHEN jsonb_typeof(h.site_state -> 'devices') = 'array'
              THEN h.site_state -> 'devices' ELSE '[]'::jsonb END) WITH ORDINALITY AS e(v, i)
    ON jsonb_typeof(e.v) = 'object'
 ORDER BY h.n, e.i
"""


@dataclass(frozen=True, slots=True)
class DeviceRow:
    device_id: str | None
    code: str | None
    name: str | None
    position: tuple[float, float] | None
    """Feet on the site map; None when the device is not placed."""
    mgi: float | None
    """``current_mgi`` of the latest document (current or carried; None when stale or
    without data)."""
    band: str
    """low / moderate / elevated / high / unknown (:func:`snapwatch.snapshot.mgi.band`)."""
    velocity_per_day: float | None
    mgi_freshness: str | None
    """current_wake / carried_forward / stale / no_data, as the document says."""
    mgi_age_hours: float | None
    """Hours from the MGI's capture to the round end (``hours_since_last``)."""
    telemetry_freshness: str | None
    telemetry_age_hours: float | None
    series: tuple[float | None, ...]
    """MGI in each of the site's recent snapshots, oldest first (aligned with
    :attr:`SiteDevices.series_at`)."""

    @property
    def label(self) -> str:
        """The code, else the name, else the id: always something to show."""
        return self.code or self.name or self.device_id or "?"


@dataclass(frozen=True, slots=True)
class SiteDevices:
    site_id: UUID
    snapshot_id: UUID | None
    """The latest snapshot the devices come from; None when the site has none."""
    session_id: UUID | None
    wake_number: int | None
    wake_round_start: datetime | None
    wake_round_end: datetime | None
    created_at: datetime | None
    devices: tuple[DeviceRow, ...]
    """In the document's order (by ``device_code``)."""
    series_at: tuple[datetime, ...]
    """Round start of each snapshot of the series, oldest first."""

    def fitted_scale(self) -> MgiScale:
        """One range fitted to every value of every device's series, so the devices'
        sparklines stay comparable with each other."""
        return fitted_scale(v for d in self.devices for v in d.series)


async def site_devices(
    conn: AsyncConnection[Any], site_id: UUID, *, history: int = 24
) -> SiteDevices:
    """The devices of the site's latest snapshot and their MGI over its ``history`` most
    recent snapshots (the latest included)."""
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(DEVICES_SQL, {"site": site_id, "limit": max(1, history)})
        rows = await cur.fetchall()
    if not rows:
        return SiteDevices(site_id, None, None, None, None, None, None, (), ())
    snapshots = sorted({r["n"]: r["wake_round_start"] for r in rows}.items(), reverse=True)
    kept = [n for n, _ in snapshots if n <= history]  # oldest first
    position = {n: i for i, n in enumerate(kept)}
    values: dict[str, list[float | None]] = {}
    for r in rows:
        key = _key(r)
        if key is None or r["n"] not in position:
            continue
        values.setdefault(key, [None] * len(kept))[position[r["n"]]] = number(r["mgi"])
    newest = rows[0]
    devices = tuple(
        _device(r, tuple(values.get(_key(r) or "", [None] * len(kept))))
        for r in rows
        if r["n"] == 1 and r["i"] is not None
    )
    return SiteDevices(
        site_id=site_id,
        snapshot_id=newest["snapshot_id"],
        session_id=newest["session_id"],
        wake_number=newest["wake_number"],
        wake_round_start=newest["wake_round_start"],
        wake_round_end=newest["wake_round_end"],
        created_at=newest["created_at"],
        devices=devices,
        series_at=tuple(at for n, at in snapshots if n <= history),
    )


def _key(r: dict[str, Any]) -> str | None:
    """What identifies a device across documents: its id, else its code."""
    return text(r["device_id"]) or text(r["device_code"])


def _device(r: dict[str, Any], series: tuple[float | None, ...]) -> DeviceRow:
    detail = r["detail"]
    mgi = number(r["mgi"])
    x, y = number(dig(detail, "position", "x")), number(dig(detail, "position", "y"))
    return DeviceRow(
        device_id=text(r["device_id"]),
        code=text(r["device_code"]),
        name=text(dig(detail, "name")),
        position=(x, y) if x is not None and y is not None else None,
        mgi=mgi,
        band=mgi_band(mgi)[0],
        velocity_per_day=number(dig(detail, "velocity_per_day")),
        mgi_freshness=_word(dig(detail, "mgi_freshness")),
        mgi_age_hours=number(dig(detail, "mgi_hours")),
        telemetry_freshness=_word(dig(detail, "telemetry_freshness")),
        telemetry_age_hours=number(dig(detail, "telemetry_hours")),
        series=series,
    )


def _word(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def sparkline(values: Sequence[float | None], width: int, scale: MgiScale = FIXED) -> str:
    """``width`` characters on ``scale`` (the fixed 0–1 unless told), newest at the right:
    one block per value (▁ for the scale's lowest eighth up to █ for its highest; outside
    the scale is clamped), ``·`` for a missing value, and spaces on the left when there
    are fewer values than ``width``."""
    if width <= 0:
        return ""
    shown = list(values)[-width:]
    cells = []
    for value in shown:
        number_ = number(value)
        if number_ is None:
            cells.append(NO_VALUE)
            continue
        share = scale.share(number_)
        cells.append(BLOCKS[min(len(BLOCKS) - 1, int(share * len(BLOCKS)))])
    return NO_SNAPSHOT * (width - len(shown)) + "".join(cells)
