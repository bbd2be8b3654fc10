"""Instants in the document: timezone-aware, stored and written as UTC with an offset."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, PlainSerializer, WithJsonSchema

UTC_PATTERN = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?\+00:00$"


def to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def utc(value: datetime | None) -> datetime | None:
    """``value`` on a zero UTC offset, for the document's plain data (its JSON writer
    prints such an instant with ``+00:00``). Instants already on a zero offset, the usual
    case for rows read from PostgreSQL, are returned as they are; naive ones too, so
    that validating the document still refuses them."""
    if value is None:
        return None
    offset = value.utcoffset()
    return value.astimezone(UTC) if offset else value


def utc_text(value: datetime) -> str:
    """``2026-11-28T12:00:00+00:00``: ISO 8601, UTC, explicit offset (never ``Z``)."""
    return to_utc(value).isoformat()


UtcDatetime = Annotated[
    AwareDatetime,
    AfterValidator(to_utc),
    PlainSerializer(utc_text, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time", "pattern": UTC_PATTERN}),
]
"""A timezone-aware instant; naive values are rejected, others are converted to UTC."""
