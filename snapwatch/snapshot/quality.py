"""Data-quality findings: inputs that were rejected or are suspicious, and why."""

from __future__ import annotations

import math
from uuid import UUID

from snapwatch.snapshot.model import DataQualityIssue, Problem

MAX_TEXT = 200


def issue(
    device_id: UUID | None, field: str, value: float | str | None, problem: Problem
) -> DataQualityIssue:
    """A finding; non-finite numbers are written as text, long text is shortened."""
    if isinstance(value, float) and not math.isfinite(value):
        value = str(value)
    if isinstance(value, str) and len(value) > MAX_TEXT:
        value = value[: MAX_TEXT - 1] + "…"
    return DataQualityIssue(device_id=device_id, field=field, value=value, problem=problem)


def finite(value: float | None) -> float | None:
    """``value`` as a float, or None when missing or not finite (NaN, ±inf)."""
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def checked(
    device_id: UUID | None,
    field: str,
    value: float | None,
    issues: list[DataQualityIssue],
    *,
    low: float | None = None,
    high: float | None = None,
) -> float | None:
    """``value`` when finite and inside ``[low, high]``; else None, with a finding."""
    if value is None:
        return None
    number = finite(value)
    if number is None:
        issues.append(issue(device_id, field, float(value), "not_finite"))
        return None
    if (low is not None and number < low) or (high is not None and number > high):
        issues.append(issue(device_id, field, number, "out_of_range"))
        return None
    return number
