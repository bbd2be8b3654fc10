"""Parsing instants given on the command line."""

from __future__ import annotations

from datetime import UTC, datetime

from snapwatch.infra.errors import ConfigError


def parse_instant(text: str) -> datetime:
    """ISO 8601; without an offset the instant is taken as UTC."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(
            f"invalid time {text!r}: use ISO 8601, e.g. 2026-11-28T12:00:00+00:00"
        ) from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
