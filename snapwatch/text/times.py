"""Every time text a person reads, the same on the command line and in the app.

Ages (``just now``, ``12s ago``, ``5m ago``, ``3h ago``, ``2d ago``), countdowns (``in 45s``,
``in 14m``, ``in 3h 20m``), durations (``45s``, ``1h 30m``) and UTC instants
(``2026-11-28 12:00:00 UTC``). The app re-renders ages and countdowns as the clock moves,
so :func:`age` and :func:`countdown` also say how many seconds the text stays true.
(Instants inside JSON documents are ISO 8601: :func:`snapwatch.snapshot.timefmt.utc_text`.)
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from snapwatch.text.durations import format_duration

MINUTE = 60
HOUR = 3600
DAY = 86_400
JUST_NOW_SECONDS = 5
"""An age below this reads "just now"."""

NEVER = timedelta(days=3650)


def _until_boundary(value: float, unit: float) -> float:
    """For ``value`` growing in real time: seconds until ``value // unit`` changes."""
    return (math.floor(value / unit) + 1) * unit - value


def _until_floor(value: float, unit: float) -> float:
    """For ``value`` shrinking in real time: seconds until ``value // unit`` changes."""
    below = math.floor(value / unit) * unit
    gap = value - below
    return gap if gap > 0 else unit


def age(seconds: float) -> tuple[str, float]:
    """How long ago (``seconds`` ≥ 0 elapsed): the text and seconds until it changes."""
    if seconds < JUST_NOW_SECONDS:
        return "just now", JUST_NOW_SECONDS - seconds
    if seconds < MINUTE:
        return f"{int(seconds)}s ago", _until_boundary(seconds, 1)
    if seconds < HOUR:
        return f"{int(seconds // MINUTE)}m ago", _until_boundary(seconds, MINUTE)
    if seconds < 48 * HOUR:
        return f"{int(seconds // HOUR)}h ago", _until_boundary(seconds, HOUR)
    return f"{int(seconds // DAY)}d ago", _until_boundary(seconds, DAY)


def countdown(seconds: float) -> tuple[str, float]:
    """Time left (``seconds`` > 0): ``in 45s``, ``in 14m``, ``in 3h 20m``, and seconds
    until the text changes. Seconds show only in the last minute, minutes below an hour."""
    if seconds < MINUTE:
        whole = max(1, math.ceil(seconds))
        return f"in {whole}s", _until_floor(seconds, 1)
    if seconds < HOUR:
        return f"in {int(seconds // MINUTE)}m", _until_floor(seconds, MINUTE)
    return f"in {format_duration(seconds)}", _until_floor(seconds, MINUTE)


def relative(at: datetime | None, now: datetime, *, none: str = "—") -> tuple[str, datetime]:
    """``at`` relative to ``now`` (a countdown ahead, an age behind) and the instant the
    text next changes (far away for ``None``)."""
    if at is None:
        return none, now + NEVER
    seconds = (at - now).total_seconds()
    if seconds > 0:
        text, left = countdown(seconds)
    else:
        text, left = age(-seconds)
    return text, now + timedelta(seconds=max(left, 0.001))


def since(at: datetime | None, now: datetime, *, none: str = "never") -> tuple[str, datetime]:
    """An age (``at`` in the past; a future ``at`` reads as a countdown)."""
    return relative(at, now, none=none)


def relative_text(at: datetime | None, now: datetime, *, none: str = "-") -> str:
    """``at`` relative to ``now`` as plain text, the words :func:`relative` gives."""
    return relative(at, now, none=none)[0]


def age_text(at: datetime | None, now: datetime) -> str:
    """How long ago ``at`` was (``"never"`` for None), the words :func:`since` gives."""
    return since(at, now)[0]


def duration_text(seconds: float) -> str:
    """A duration: ``45s``, ``18m 30s``, ``2h 5m``, ``1d 2h`` (two largest units, rounded
    down; :func:`snapwatch.text.durations.format_duration`)."""
    return format_duration(seconds)


def hours_text(hours: float) -> str:
    """A data age given in hours, short enough for a table cell: ``0.5h``, ``12h``, ``3d``."""
    if hours < 10:
        return f"{hours:.1f}h"
    if hours < 48:
        return f"{hours:.0f}h"
    return f"{hours / 24:.0f}d"


def utc_text(at: datetime) -> str:
    """An instant as people read it: ``2026-11-28 12:00:00 UTC``."""
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def short_utc_text(at: datetime) -> str:
    """An instant in a table cell whose heading says UTC: ``11-28 14:05:03`` (the year and
    the zone are left to the heading and the detail, which uses :func:`utc_text`)."""
    return at.astimezone(UTC).strftime("%m-%d %H:%M:%S")
