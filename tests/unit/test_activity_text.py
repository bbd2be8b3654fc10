"""An activity entry read by a person: kinds and keys in words, instants to the second in
UTC, numbers rounded, empty values left out."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from snapwatch.readmodels.activity import ActivityEntry


def entry(kind: str, detail: dict[str, object]) -> ActivityEntry:
    return ActivityEntry(
        activity_id=UUID(int=1),
        at=datetime(2026, 12, 7, tzinfo=UTC),
        actor="ops@harbor",
        process="app pid 7",
        kind=kind,
        site_id=None,
        site_name=None,
        scope="all sites",
        detail=detail,
        result="ok",
        age_seconds=60.0,
    )


def test_a_tick_entry_reads_as_words() -> None:
    e = entry(
        "tick_wrote",
        {
            "snapshots": 3,
            "sites_written": 3,
            "sites_failed": 0,
            "seconds": 0.093000000001,
            "as_of": "2026-12-09T23:33:09.822203+00:00",
            "error": None,
        },
    )
    assert e.what == "tick wrote"
    assert e.detail_text == (
        "snapshots 3, sites written 3, sites failed 0, seconds 0.093, as of 2026-12-09 23:33:09 UTC"
    )


def test_text_that_only_looks_like_a_date_stays_as_it_was() -> None:
    e = entry("pause", {"reason": "2026-12-09", "for": "2h", "sites": ["a", "b"], "note": ""})
    assert e.detail_text == "reason 2026-12-09, for 2h, sites [a, b]"
