"""The aggregate columns of ``session_wake_snapshots``, taken from the document itself."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from snapwatch.snapshot.model import SnapshotDocument

CENT = Decimal("0.01")


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
