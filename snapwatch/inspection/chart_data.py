"""One device's MGI over time, for the inspection screen's chart.

Two sources. The snapshots of a session (:func:`series_from_snapshots`): one point per
snapshot at its round end, with the value and freshness the document stored (a carried
value stays carried; nothing is chosen again). Or the device's scored images in a time
range (:func:`fetch_scored_images`): one point per image at its capture time.

Scores outside the 0–1 scale (another scorer's 37.5, NaN) are never plotted as if they
were MGI: they are left out and counted in :attr:`MgiSeries.rejected`. The chart's band
lines are :data:`snapwatch.snapshot.mgi.BANDS`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal
from uuid import UUID

from psycopg import AsyncConnection
from psycopg.rows import dict_row

from snapwatch.inspection.lenient import number
from snapwatch.inspection.view import SnapshotView
from snapwatch.snapshot.inputs import DeviceObservations, ScoredImage
from snapwatch.snapshot.locf import Window
from snapwatch.snapshot.mgi import in_scale, mgi_state

Source = Literal["session snapshots", "scored images"]

# The device's scored images captured in [since, until], oldest first, through
# device_images(device_id, captured_at DESC). Scores are read as float8; the range check
# is made in Python (the same in_scale as the generator's), so rejected ones are counted.
SCORED_IMAGES_SQL = """
SELECT i.image_id, i.captured_at, i.mgi_score::float8 AS mgi_score
  FROM device_images i
 WHERE i.device_id = %(device)s
   AND i.mgi_score IS NOT NULL
   AND i.captured_at >= %(since)s
   AND i.captured_at <= %(until)s
 ORDER BY i.captured_at, i.image_id
"""


@dataclass(frozen=True)
class MgiPoint:
    at: datetime
    """The snapshot's round end, or the image's capture time."""
    mgi: float | None
    """On the 0–1 scale; None when the snapshot has no value for the device."""
    freshness: str | None
    """The document's ``data_freshness`` (``current_wake``, ``carried_forward``,
    ``stale``, ``no_data``); None for a scored image, which is always new data."""

    @property
    def carried(self) -> bool:
        """A value carried forward from an earlier round, not measured in this one."""
        return self.freshness == "carried_forward"


@dataclass(frozen=True)
class MgiSeries:
    points: tuple[MgiPoint, ...]
    """Oldest first."""
    source: Source
    velocity_per_day: float | None
    """The latest MGI velocity per day, when known."""
    rejected: int = 0
    """Scores left out because they are outside 0–1."""

    @property
    def plotted(self) -> tuple[MgiPoint, ...]:
        """The points with a value."""
        return tuple(p for p in self.points if p.mgi is not None)


def series_from_snapshots(views: Sequence[SnapshotView], device_key: str) -> MgiSeries:
    """The device's MGI in each of ``views`` (a session's snapshots, in any order) that
    lists it, by round end; ``device_key`` is :attr:`DeviceView.key` (id, else code).
    The velocity is the newest such snapshot's."""
    points: list[MgiPoint] = []
    rejected = 0
    velocity: float | None = None
    for view in sorted(views, key=lambda v: v.wake_round_end):
        device = next((d for d in view.devices if d.key == device_key), None)
        if device is None:
            continue
        velocity = device.velocity_per_day
        if device.mgi is not None and not in_scale(device.mgi):
            rejected += 1
            continue
        points.append(MgiPoint(view.wake_round_end, device.mgi, device.mgi_freshness))
    return MgiSeries(tuple(points), "session snapshots", velocity, rejected)


async def fetch_scored_images(
    conn: AsyncConnection[Any], device_id: UUID, since: datetime, until: datetime
) -> MgiSeries:
    """The device's scored images captured in ``[since, until]``, oldest first. The
    velocity is the one a snapshot written just after the newest valid image would
    carry (from it and the valid one before it)."""
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(SCORED_IMAGES_SQL, {"device": device_id, "since": since, "until": until})
        rows = await cur.fetchall()
    valid: list[ScoredImage] = []
    for row in rows:
        score = number(row["mgi_score"])
        if score is not None and in_scale(score):
            valid.append(ScoredImage(row["image_id"], row["captured_at"], score))
    return MgiSeries(
        points=tuple(MgiPoint(i.captured_at, float(i.mgi_score), None) for i in valid),
        source="scored images",
        velocity_per_day=_velocity_per_day(valid),
        rejected=len(rows) - len(valid),
    )


def _velocity_per_day(valid: Sequence[ScoredImage]) -> float | None:
    """The generator's own rule (:func:`snapwatch.snapshot.mgi.mgi_state`) applied to a
    round that ends just after the newest image."""
    if len(valid) < 2:
        return None
    newest = valid[-1].captured_at
    window = Window(start=newest, end=newest + timedelta(microseconds=1))
    observations = DeviceObservations(mgi=(valid[-1], valid[-2]))
    state = mgi_state(observations, window, max_age_hours=math.inf, program_day=1)
    return number(state["velocity_per_day"])
