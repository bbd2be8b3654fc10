"""Short plain-text renderings of read-model values (terminal app and command line)."""

from __future__ import annotations

from datetime import datetime


def _number(value: float) -> str:
    """At most three significant digits, no trailing zeros: 15, 1.5, 2.25."""
    return f"{value:.3g}"


def cadence_text(hours: float | None) -> str:
    """``"15 min"``, ``"2 h"``, ``"1.5 h"``; ``"none"`` when the site has no cadence."""
    if hours is None:
        return "none"
    seconds = hours * 3600
    if seconds < 60:
        return f"{_number(seconds)} s"
    if seconds < 3600:
        return f"{_number(seconds / 60)} min"
    return f"{_number(hours)} h"


def age_text(at: datetime | None, now: datetime) -> str:
    """How long ago ``at`` was, in its largest whole unit: ``"5m ago"``, ``"never"``."""
    if at is None:
        return "never"
    seconds = int((now - at).total_seconds())
    if seconds < 0:
        return f"in {_span(-seconds)}"
    if seconds < 5:
        return "just now"
    return f"{_span(seconds)} ago"


def _span(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 48 * 3600:
        return f"{seconds // 3600}h"
    return f"{seconds // 86400}d"
