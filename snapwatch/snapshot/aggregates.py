"""The aggregate columns of ``session_wake_snapshots``, taken from the document itself.

The columns are numeric(5,2): a statistic that does not fit (|x| ≥ 1000 once rounded to
cents) is null in the document's ``session_metrics`` and named in its ``data_quality``
(:func:`storable`), so writing a site never fails on a value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from snapwatch.snapshot.model import SnapshotDocument
from snapwatch.snapshot.quality import Issue, issue
from snapwatch.snapshot.stats import DeviceAverages

CENT = Decimal("0.01")
COLUMN_LIMIT = Decimal(1000)
"""numeric(5,2) holds -999.99 to 999.99."""


@dataclass(frozen=True)
class Aggregates:
    """Counts and numeric(5,2) values; a value is None (SQL NULL) when no device has one."""

    active_devices_count: int
    new_images_this_round: int
    new_alerts_this_round: int
    avg_temperature: Decimal | None
    avg_humidity: Decimal | None
    avg_mgi: Decimal | None
    max_mgi: Decimal | None


def to_cents(value: float | None) -> Decimal | None:
    """``value`` rounded half away from zero to 2 decimals, from its shortest decimal
    text (as PostgreSQL rounds the document's number into numeric(5,2))."""
    if value is None:
        return None
    return Decimal(repr(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def fits_column(value: float) -> bool:
    """Whether ``value``, rounded to cents as :func:`to_cents` does, fits numeric(5,2)."""
    exact = Decimal(repr(value))
    # Compared before rounding: quantize refuses a result of more than 28 digits.
    return (
        abs(exact) < COLUMN_LIMIT
        and abs(exact.quantize(CENT, rounding=ROUND_HALF_UP)) < COLUMN_LIMIT
    )


def storable(stats: DeviceAverages, issues: list[Issue]) -> DeviceAverages:
    """``stats`` with each one a column cannot hold set to null and named in the
    findings (a site-level finding: the statistic's name and its value)."""
    return DeviceAverages(
        avg_temperature=_storable("avg_temperature", stats["avg_temperature"], issues),
        avg_humidity=_storable("avg_humidity", stats["avg_humidity"], issues),
        avg_mgi=_storable("avg_mgi", stats["avg_mgi"], issues),
        max_mgi=_storable("max_mgi", stats["max_mgi"], issues),
    )


def _storable(name: str, value: float | None, issues: list[Issue]) -> float | None:
    if value is None or fits_column(value):
        return value
    issues.append(issue(None, name, value, "not_storable"))
    return None


def metrics_aggregates(m: Mapping[str, Any]) -> Aggregates:
    """From a document's ``session_metrics`` (plain data), which are computed from its
    devices' values."""
    return Aggregates(
        active_devices_count=m["active_devices_count"],
        new_images_this_round=m["new_images_this_round"],
        new_alerts_this_round=m["new_alerts_this_round"],
        avg_temperature=to_cents(m["avg_temperature"]),
        avg_humidity=to_cents(m["avg_humidity"]),
        avg_mgi=to_cents(m["avg_mgi"]),
        max_mgi=to_cents(m["max_mgi"]),
    )


def document_aggregates(data: Mapping[str, Any]) -> Aggregates:
    """The aggregates of a document built as plain data."""
    return metrics_aggregates(data["session_metrics"])


def aggregates(doc: SnapshotDocument) -> Aggregates:
    """The aggregates of a validated document (the same rule as for plain data)."""
    return metrics_aggregates(doc.session_metrics.model_dump())
