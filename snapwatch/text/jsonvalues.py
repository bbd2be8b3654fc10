"""Plain JSON values from what snapwatch holds: the one rule of ``--json`` output and JSON
log lines."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from enum import Enum
from typing import Any
from uuid import UUID


def json_values(value: Any) -> Any:
    """``value`` in plain JSON values: instants in ISO 8601 UTC, ids as text, enums by
    value, numbers to six significant digits (27.272, not 27.272000000000002), mappings
    and sequences item by item, anything else as its text."""
    if isinstance(value, bool) or value is None or isinstance(value, str | int):
        return value.value if isinstance(value, Enum) else value
    if isinstance(value, float):
        return float(f"{value:.6g}") if math.isfinite(value) else value
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(k): json_values(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_values(v) for v in value]
    return str(value)
