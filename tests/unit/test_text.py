"""The shared texts: one set of words for times and reasons, in the app and on the CLI."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from snapwatch.schedule.cadence import Reason
from snapwatch.text.labels import REASON_LABELS, reason_label
from snapwatch.text.times import age_text, duration_text, relative, relative_text, utc_text

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("offset", "text"),
    [
        (timedelta(seconds=45), "in 45s"),
        (timedelta(seconds=0.2), "in 1s"),
        (timedelta(minutes=5, seconds=2), "in 5m"),
        (timedelta(hours=3, minutes=20), "in 3h 20m"),
        (timedelta(0), "just now"),
        (timedelta(seconds=-3), "just now"),
        (timedelta(seconds=-42), "42s ago"),
        (timedelta(minutes=-5, seconds=-59), "5m ago"),
        (timedelta(hours=-47), "47h ago"),
        (timedelta(days=-3), "3d ago"),
    ],
)
def test_one_relative_text_for_status_and_the_app(offset: timedelta, text: str) -> None:
    assert relative_text(NOW + offset, NOW) == text
    assert relative(NOW + offset, NOW)[0] == text  # what the panes show


def test_unknown_instants_and_durations_and_utc() -> None:
    assert relative_text(None, NOW) == "-"
    assert age_text(None, NOW) == "never"
    assert [duration_text(s) for s in (45, 480, 7380, 93600)] == ["45s", "8m", "2h 3m", "1d 2h"]
    assert utc_text(datetime(2026, 11, 28, 13, 0, tzinfo=UTC)) == "2026-11-28 13:00:00 UTC"


def test_every_reason_has_one_label() -> None:
    assert {str(r) for r in Reason} <= set(REASON_LABELS)
    assert reason_label(Reason.NO_OPEN_SESSION) == "no session"
    assert reason_label("something_new") == "something new"


def test_ranges_of_whole_numbers() -> None:
    from snapwatch.text.numbers import ranges

    assert ranges([5, 1, 2, 7, 8, 9, 2]) == "1-2, 5, 7-9"
    assert ranges([]) == "" and ranges([3]) == "3"
