"""A device's MGI block: the chosen score (0–1), its history-based metrics and its band."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any
from uuid import UUID

from snapwatch.snapshot.inputs import DeviceObservations, ScoredImage
from snapwatch.snapshot.locf import Window, before_end, classify
from snapwatch.snapshot.model import Band, BandColor, Freshness, Problem
from snapwatch.snapshot.precision import MGI_DECIMALS, significant
from snapwatch.snapshot.quality import Issue, issue
from snapwatch.snapshot.timefmt import utc

# Upper edges (inclusive) of each band on the 0–1 scale; above the last one is "high".
BANDS: tuple[tuple[float, Band, BandColor], ...] = (
    (0.10, "low", "#10b981"),
    (0.25, "moderate", "#f59e0b"),
    (0.40, "elevated", "#f97316"),
)
HIGH: tuple[Band, BandColor] = ("high", "#ef4444")
UNKNOWN: tuple[Band, BandColor] = ("unknown", "#9ca3af")


def in_scale(score: float) -> bool:
    """Whether ``score`` is a usable MGI: finite and inside 0..1."""
    return math.isfinite(score) and 0.0 <= score <= 1.0


def band(score: float | None) -> tuple[Band, BandColor]:
    if score is None:
        return UNKNOWN
    for upper, name, color in BANDS:
        if score <= upper:
            return name, color
    return HIGH


def rejected_scores(device_id: UUID, obs: DeviceObservations, window: Window) -> list[Issue]:
    """Findings for every score outside 0..1 among the device's inputs, once per image.
    Such scores are never used and never rescaled."""
    candidates: list[tuple[UUID, float]] = [
        (s.image_id, s.mgi_score)
        for scored in (obs.rejected_mgi, obs.mgi)
        for s in before_end(scored, window, _at)
        if not in_scale(float(s.mgi_score))
    ]
    candidates += [
        (i.image_id, i.mgi_score)
        for i in obs.images
        if i.mgi_score is not None
        and not in_scale(float(i.mgi_score))
        and window.contains(i.captured_at)
    ]
    if not candidates:
        return []
    seen: set[UUID] = set()
    found: list[Issue] = []
    for image_id, score in candidates:
        if image_id in seen:
            continue
        seen.add(image_id)
        number = float(score)
        problem: Problem = "out_of_range" if math.isfinite(number) else "not_finite"
        found.append(issue(device_id, "mgi_score", number, problem))
    return found


def _at(image: ScoredImage) -> datetime:
    return image.captured_at


def mgi_state(
    obs: DeviceObservations, window: Window, max_age_hours: float, program_day: int
) -> dict[str, Any]:
    """The ``MgiState`` block as plain data: LOCF over the device's valid scores before
    the round end; metrics from the chosen score and the one just before it."""
    valid = [s for s in before_end(obs.mgi, window, _at) if in_scale(float(s.mgi_score))]
    chosen = valid[0] if valid else None
    locf = classify(chosen.captured_at if chosen else None, window, max_age_hours)
    if chosen is None or not locf.usable:
        return _empty(locf.freshness, locf.hours_since_last, chosen)
    current = float(chosen.mgi_score)
    previous = valid[1] if len(valid) > 1 else None
    delta = per_hour = None
    if previous is not None:
        delta = current - float(previous.mgi_score)
        gap_hours = (chosen.captured_at - previous.captured_at).total_seconds() / 3600
        per_hour = delta / gap_hours if gap_hours > 0 else None
    return {
        "current_mgi": current,
        "captured_at": utc(chosen.captured_at),
        "is_current": locf.is_current,
        "data_freshness": locf.freshness,
        "hours_since_last": locf.hours_since_last,
        "mgi_velocity": {"per_hour": significant(per_hour)},
        "image_id": chosen.image_id,
        "previous_mgi": float(previous.mgi_score) if previous else None,
        "previous_captured_at": utc(previous.captured_at) if previous else None,
        "delta": round(delta, MGI_DECIMALS) if delta is not None else None,
        "velocity_per_day": significant(per_hour * 24) if per_hour is not None else None,
        "speed_per_day": significant(current / max(1, program_day)),
        "band": band(current)[0],
    }


def _empty(freshness: Freshness, hours: float | None, chosen: ScoredImage | None) -> dict[str, Any]:
    return {
        "current_mgi": None,
        "captured_at": utc(chosen.captured_at) if chosen else None,
        "is_current": False,
        "data_freshness": freshness,
        "hours_since_last": hours,
        "mgi_velocity": {"per_hour": None},
        "image_id": None,
        "previous_mgi": None,
        "previous_captured_at": None,
        "delta": None,
        "velocity_per_day": None,
        "speed_per_day": None,
        "band": "unknown",
    }
