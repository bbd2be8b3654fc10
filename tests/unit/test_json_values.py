"""``status --json`` prints plain values, numbers rounded to what they mean."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from snapwatch.schedule.health import SiteState
from snapwatch.text.jsonvalues import json_values
from snapwatch.text.labels import words


def test_numbers_keep_six_significant_digits_and_the_rest_is_plain() -> None:
    got = json_values(
        {
            "last_duration_ms": 27.272000000000002,
            "cadence_hours": 1 / 3600,
            "count": 3,
            "at": datetime(2026, 12, 7, 12, tzinfo=UTC),
            "id": UUID(int=1),
            "state": SiteState.ON_TIME,
            "nan": float("nan"),
            "list": [0.1 + 0.2],
        }
    )
    assert got["last_duration_ms"] == 27.272 and got["cadence_hours"] == 0.000277778
    assert got["count"] == 3 and got["at"] == "2026-12-07T12:00:00+00:00"
    assert got["id"] == "00000000-0000-0000-0000-000000000001" and got["state"] == "on_time"
    assert got["list"] == [0.3] and got["nan"] != got["nan"]


def test_codes_read_as_words() -> None:
    assert words(SiteState.ON_TIME) == "on time" and words("in_progress") == "in progress"
