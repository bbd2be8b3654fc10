"""The webhook message's schema and its chat line; the ping's URL, body and rate; the
retry delay."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from snapwatch.infra.backoff import backoff_delay
from snapwatch.schedule.tick_report import SiteOutcome, TickReport
from snapwatch.schedule.tick_runner import TickOutcome
from snapwatch.service.alerts.message import SCHEMA, Alert, Subject, chat_line
from snapwatch.service.alerts.pings import PingPolicy, ping_url

AT = datetime(2026, 12, 7, 17, 0, tzinfo=UTC)


def test_a_message_has_the_documented_fields_and_is_ascii_json() -> None:
    alert = Alert(
        "site_late",
        Subject("site", "6f1c1c52-2f58-4a55-9a3e-4b8f0e5d2a10", "Kühlraum\x1b[2J"),
        "late",
        "on_time",
        AT,
        "site Kühlraum\x1b[2J (Cold chain) is late: wake 3 due 6m ago",
        {"late_by_seconds": 366.0, "last_snapshot_at": AT - timedelta(hours=1)},
    )
    body = alert.body({"host": "ops-1", "pid": 42})
    assert body.isascii()
    document = json.loads(body)
    assert document == {
        "schema": SCHEMA,
        "event": "site_late",
        "subject": {
            "kind": "site",
            "id": "6f1c1c52-2f58-4a55-9a3e-4b8f0e5d2a10",
            "name": "Kühlraum\x1b[2J",
        },
        "state": "late",
        "previous": "on_time",
        "at": "2026-12-07T17:00:00+00:00",
        "detail": {"late_by_seconds": 366.0, "last_snapshot_at": "2026-12-07T16:00:00+00:00"},
        "text": "snapwatch: site Kühlraum\\x1b[2J (Cold chain) is late: wake 3 due 6m ago",
        "source": {"host": "ops-1", "pid": 42},
    }


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("Room <!channel>", "Room &lt;!channel&gt;"),
        ("<https://evil.example|click> & co", "&lt;https://evil.example|click&gt; &amp; co"),
        ("@here and @channel", "@\u200bhere and @\u200bchannel"),
        ("two\nlines\u202e", "two lines\\u202e"),
        ("x" * 500, "x" * 399 + "…"),
    ],
)
def test_the_chat_line_never_becomes_markup_or_a_mention(text: str, line: str) -> None:
    assert chat_line(text) == line


@pytest.mark.parametrize(
    ("url", "kind", "expected"),
    [
        ("https://hc-ping.com/abc", "start", "https://hc-ping.com/abc/start"),
        ("https://hc-ping.com/abc/", "fail", "https://hc-ping.com/abc/fail"),
        ("https://hc-ping.com/abc", "success", "https://hc-ping.com/abc"),
        (
            "https://cronitor.link/p/k/job?env=prod",
            "fail",
            "https://cronitor.link/p/k/job/fail?env=prod",
        ),
    ],
)
def test_the_ping_url_of_each_kind(url: str, kind: str, expected: str) -> None:
    assert ping_url(url, kind) == expected  # type: ignore[arg-type]


def outcome(error: str | None = None, *, report: bool = True) -> TickOutcome:
    sites = [SiteOutcome(site_id=uuid4(), site_name="Room 1", outcome="written")]
    tick = TickReport(AT, sites, AT, AT) if report else None
    return TickOutcome(AT, AT + timedelta(seconds=0.125), tick, error)


def test_a_ping_like_the_last_waits_its_interval_and_a_change_goes_at_once() -> None:
    policy = PingPolicy(60.0)
    sent = []
    for now, tick in [
        (0, outcome()),
        (30, outcome()),
        (61, outcome()),
        (62, outcome("database unreachable", report=False)),
        (63, outcome("database unreachable", report=False)),
        (64, outcome()),
    ]:
        ping = policy.after_tick(tick, now)
        sent += [(now, ping.kind)] if ping else []
    assert sent == [(0, "success"), (61, "success"), (62, "fail"), (64, "success")]


def test_a_ping_body_is_the_tick_in_one_line() -> None:
    ok = PingPolicy(0).after_tick(outcome(), 0)
    assert ok is not None
    assert ok.body == "written 1, skipped 0, busy 0, failed 0 (0 snapshots); tick took 0.12 s"
    failed = PingPolicy(0).after_tick(outcome("database unreachable:\nrefused", report=False), 0)
    assert failed is not None and failed.body == "database unreachable: refused; tick took 0.12 s"


def test_the_retry_delay_doubles_up_to_its_cap_with_jitter_in_its_upper_half() -> None:
    assert [backoff_delay(n, 0.0, 2.0, 10.0) for n in (1, 2, 3, 4)] == [2, 4, 8, 10]
    assert [backoff_delay(n, 1.0, 2.0, 10.0) for n in (1, 2, 3, 4)] == [1, 2, 4, 5]
