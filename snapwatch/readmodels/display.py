"""Short plain-text renderings of read-model values (terminal app and command line)."""

from __future__ import annotations


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
