"""Durations as operators type and read them: ``90m``, ``1h30m``, ``2d``."""

from __future__ import annotations

import re
from datetime import timedelta

from snapwatch.infra.errors import ConfigError

ACCEPTED = "a number and a unit, combined largest first: 45s, 90m, 2h, 1h30m, 1d"

_UNITS = {"d": 86_400, "h": 3_600, "m": 60, "s": 1}
MAX_DURATION = timedelta(days=366)
"""The longest duration accepted (a pause for longer is a mistake or a resume-never)."""
_PART = re.compile(r"(\d+)([dhms])")
_WHOLE = re.compile(r"(?:\d+[dhms])+")


class DurationError(ConfigError):
    """A duration that is not in one of the accepted forms (usage error, exit 2)."""


def parse_duration(text: str) -> timedelta:
    """``"2h"``, ``"90m"``, ``"1h30m"``, ``"45s"``, ``"1d"`` as a positive timedelta.

    Units appear at most once each, largest first; the total must be above zero and at
    most :data:`MAX_DURATION`."""
    cleaned = text.strip().lower().replace(" ", "")
    if not _WHOLE.fullmatch(cleaned):
        raise DurationError(f"not a duration: {text!r} (use {ACCEPTED})")
    parts = _PART.findall(cleaned)
    units = [unit for _, unit in parts]
    order = list(_UNITS)
    if len(set(units)) != len(units) or units != sorted(units, key=order.index):
        raise DurationError(f"not a duration: {text!r} (use {ACCEPTED})")
    seconds = sum(int(n) * _UNITS[unit] for n, unit in parts)
    if seconds <= 0:
        raise DurationError(f"duration must be above zero: {text!r}")
    if seconds > MAX_DURATION.total_seconds():
        raise DurationError(f"duration must be at most {MAX_DURATION.days}d: {text!r}")
    return timedelta(seconds=seconds)


def format_duration(value: timedelta | float) -> str:
    """A short, rounded reading of a duration: ``45s``, ``5m``, ``1h 30m``, ``2d 3h``.

    The two largest non-zero units, rounded down; negative durations read as their size."""
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    left = int(abs(seconds))
    if left < 60:
        return f"{left}s"
    pieces: list[str] = []
    for unit, size in _UNITS.items():
        count, left = divmod(left, size)
        if count or pieces:
            pieces.append(f"{count}{unit}")
        if len(pieces) == 2:
            break
    while len(pieces) > 1 and pieces[-1].startswith("0"):
        pieces.pop()
    return " ".join(pieces)
