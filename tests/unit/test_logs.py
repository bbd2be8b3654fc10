"""Log events: JSON lines (time in UTC, level, event, fields), text lines with key=value
pairs, and no password ever, in the message or in a field."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from uuid import UUID

import pytest

from snapwatch.infra.logs import configure_logging, log_event

SITE = UUID("6f1c1c52-2f58-4a55-9a3e-4b8f0e5d2a10")
AS_OF = datetime(2026, 6, 10, 14, 0, tzinfo=timezone(timedelta(hours=2)))


@pytest.fixture
def capture() -> Iterator[Any]:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)

    def configure(fmt: str, *secrets: str) -> io.StringIO:
        stream = io.StringIO()
        configure_logging("info", fmt, *secrets, stream=stream)
        return stream

    yield configure
    root.handlers[:], level = saved
    root.setLevel(level)


def lines(stream: io.StringIO) -> list[str]:
    return stream.getvalue().splitlines()


def test_an_event_is_one_json_object_per_line_with_time_level_event_and_fields(
    capture: Any,
) -> None:
    stream = capture("json")
    log = logging.getLogger("snapwatch.test")
    log_event(log, logging.INFO, "tick", as_of=AS_OF, written=2, site_id=SITE, next_tick=None)
    log_event(log, logging.WARNING, "db_unreachable", "database unreachable: refused")
    first, second = (json.loads(line) for line in lines(stream))
    assert first["event"] == "tick" and first["level"] == "info" and first["message"] == "tick"
    assert first["as_of"] == "2026-06-10T12:00:00+00:00"  # instants in UTC
    assert (first["written"], first["site_id"], first["next_tick"]) == (2, str(SITE), None)
    logged_at = datetime.fromisoformat(first["time"])
    assert logged_at.utcoffset() == timedelta(0) and first["time"].endswith("Z")
    assert abs(logged_at - datetime.fromtimestamp(logged_at.timestamp(), UTC)) < timedelta(1)
    assert (second["event"], second["level"]) == ("db_unreachable", "warning")
    assert second["message"] == "database unreachable: refused"


def test_plain_records_are_json_lines_too_and_fields_never_replace_the_envelope(
    capture: Any,
) -> None:
    stream = capture("json")
    log = logging.getLogger("snapwatch.test")
    log.warning("skipped: %d", 3)
    log_event(log, logging.INFO, "odd", exception="mine", time=1)
    plain, odd = (json.loads(line) for line in lines(stream))
    assert (plain["event"], plain["message"], plain["level"]) == ("log", "skipped: 3", "warning")
    assert (odd["field_exception"], odd["field_time"]) == ("mine", 1)
    assert "exception" not in odd and odd["time"] != 1


def test_an_exception_is_kept_in_the_json_line(capture: Any) -> None:
    stream = capture("json")
    try:
        raise RuntimeError("boom")
    except RuntimeError as exc:
        log_event(logging.getLogger("t"), logging.ERROR, "tick_failed", exc_info=exc, error="x")
    [line] = lines(stream)
    entry = json.loads(line)
    assert entry["event"] == "tick_failed" and "RuntimeError: boom" in entry["exception"]


def test_text_lines_carry_fields_as_key_value_pairs(capture: Any) -> None:
    stream = capture("text")
    log = logging.getLogger("snapwatch.test")
    log_event(
        log,
        logging.INFO,
        "tick",
        as_of=AS_OF,
        written=2,
        paused=False,
        next_tick=None,
        reason="not due yet",
    )
    [line] = lines(stream)
    assert line.endswith(
        "INFO snapwatch.test: tick as_of=2026-06-10T12:00:00+00:00 written=2 paused=false "
        'next_tick= reason="not due yet"'
    )


def test_text_lines_say_each_fact_once(capture: Any) -> None:
    stream = capture("text")
    log_event(
        logging.getLogger("snapwatch.test"),
        logging.WARNING,
        "site_failed",
        "site Pier 4 failed: write: boom",
        site="Pier 4",
        error="write: boom",
        site_id=SITE,
    )
    [line] = lines(stream)
    assert line.endswith(f"site Pier 4 failed: write: boom site_id={SITE}")


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_no_password_is_logged_in_a_message_or_a_field(capture: Any, fmt: str) -> None:
    stream = capture(fmt, "pl41n-secret")
    log = logging.getLogger("snapwatch.test")
    log_event(
        log,
        logging.WARNING,
        "db_unreachable",
        "database unreachable (postgresql://app:hunter22@db/x)",
        error="password=hunter22 host=db",
        tried=["postgresql://app:hunter22@db/x", {"dsn": "pl41n-secret"}],
    )
    log.error("connect to %s failed", "postgresql://app:hunter22@db/x")
    text = stream.getvalue()
    assert "hunter22" not in text and "pl41n-secret" not in text
    assert "****" in text
