"""Data-quality findings: inputs that were rejected or are suspicious, and why.

A finding is plain data (a ``DataQualityIssue`` of the document model, as a dict)."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any
from uuid import UUID

from snapwatch.snapshot.model import Problem

MAX_TEXT = 200

Issue = dict[str, Any]


def issue(device_id: UUID | None, field: str, value: float | str | None, problem: Problem) -> Issue:
    """A finding; non-finite numbers are written as text, long text is shortened."""
    if isinstance(value, float) and not math.isfinite(value):
        value = str(value)
    if isinstance(value, str) and len(value) > MAX_TEXT:
        value = value[: MAX_TEXT - 1] + "…"
    return {"device_id": device_id, "field": field, "value": value, "problem": problem}


def finite(value: Any) -> float | None:
    """``value`` as a float when it is a finite number (int, float or Decimal, never a
    bool); None when missing, not a number or not finite (NaN, ±inf)."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def checked(
    device_id: UUID | None, field: str, value: float | None, issues: list[Issue]
) -> float | None:
    """``value`` as a float when finite; else None, with a ``not_finite`` finding."""
    if value is None:
        return None
    number = float(value)
    if not math.isfinite(number):
        issues.append(issue(device_id, field, number, "not_finite"))
        return None
    return number
