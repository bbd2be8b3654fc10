"""The sender against a receiver on 127.0.0.1: retried while the failure may pass,
dropped with one log line, the queue bounded, a stop that does not wait; URLs (secrets)
never logged beyond scheme and host."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator

import pytest
from support.receiver import Receiver

from snapwatch.infra.config import NotifySettings
from snapwatch.infra.logs import EVENT_ATTR, FIELDS_ATTR
from snapwatch.service.alerts.sender import Delivery, Sender

TOKEN = "T000/B000/s3cr3t"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    statuses = {"/ok": 200, "/gone": 404, "/broken": 503}
    server = Receiver(lambda path: (statuses[path.split("/" + TOKEN)[0]], 0.0))
    yield server
    server.close()


def settings(**values: float) -> NotifySettings:
    return NotifySettings.model_validate({"retry_seconds": 0.05, "timeout_seconds": 2} | values)


def delivery(url: str, what: str = "site_late") -> Delivery:
    return Delivery(url, b'{"x": 1}', "application/json", what)


def events(caplog: pytest.LogCaptureFixture, name: str) -> list[dict[str, object]]:
    return [
        getattr(r, FIELDS_ATTR) | {"message": r.getMessage()}
        for r in caplog.records
        if getattr(r, EVENT_ATTR, None) == name
    ]


def wait_until(predicate: Callable[[], object], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.01)


def test_a_failure_that_may_pass_is_retried_then_dropped_with_one_line(
    receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    sender = Sender(settings(retries=3))
    sender.start()
    sender.put(delivery(receiver.url(f"/broken/{TOKEN}")))
    wait_until(lambda: events(caplog, "notify_dropped"))
    sender.close()
    attempts = receiver.under("/broken/")
    assert len(attempts) == 4
    waits = [b.arrived - a.answered for a, b in itertools.pairwise(attempts)]
    for n, wait in enumerate(waits):  # 0.05 s doubling, jittered into its upper half
        assert 0.05 * 2**n / 2 - 0.005 <= wait <= 0.05 * 2**n + 0.2
    [dropped] = events(caplog, "notify_dropped")
    assert dropped["attempts"] == 4 and dropped["reason"] == "HTTP 503"
    assert dropped["url"] == f"http://127.0.0.1:{receiver.port}/…"
    assert TOKEN not in caplog.text and "s3cr3t" not in caplog.text


def test_a_refusal_is_dropped_at_once_and_a_success_says_nothing(
    receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    sender = Sender(settings(retries=3))
    sender.start()
    sender.put(delivery(receiver.url(f"/gone/{TOKEN}"), "ping fail"))
    sender.put(delivery(receiver.url(f"/ok/{TOKEN}")))
    wait_until(lambda: receiver.under("/ok/"))
    sender.close()
    assert len(receiver.under("/gone/")) == 1
    assert [d["message"] for d in events(caplog, "notify_dropped")] == [
        f"ping fail to http://127.0.0.1:{receiver.port}/… dropped after 1 attempt(s): HTTP 404"
    ]
    assert receiver.under("/ok/")[0].body == b'{"x": 1}'


def test_a_receiver_that_is_not_there_is_retried_like_a_failure(
    caplog: pytest.LogCaptureFixture,
) -> None:
    closed = Receiver()
    closed.close()  # nothing listens on its port any more
    sender = Sender(settings(retries=1))
    sender.start()
    sender.put(delivery(closed.url(f"/ok/{TOKEN}")))
    wait_until(lambda: events(caplog, "notify_dropped"))
    sender.close()
    [dropped] = events(caplog, "notify_dropped")
    assert dropped["attempts"] == 2 and "refused" in str(dropped["reason"]).lower()
    assert TOKEN not in caplog.text


def test_a_full_queue_drops_the_oldest_with_one_line(
    receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    sender = Sender(settings(queue_size=3))
    for n in range(6):  # not started: nothing leaves the queue yet
        sender.put(delivery(receiver.url(f"/ok/{TOKEN}/{n}")))
    assert len(events(caplog, "notify_queue_full")) == 1
    sender.start()
    wait_until(lambda: len(receiver.under("/ok/")) == 3)
    sender.close()
    assert [r.path.rsplit("/", 1)[1] for r in receiver.under("/ok/")] == ["3", "4", "5"]


def test_a_stop_drops_what_waits_for_a_retry_with_one_line(
    receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    sender = Sender(settings(retries=5, retry_seconds=30))
    sender.start()
    sender.put(delivery(receiver.url(f"/broken/{TOKEN}")))
    wait_until(lambda: receiver.under("/broken/"))
    started = time.monotonic()
    sender.close()
    assert time.monotonic() - started < 1.5
    assert [e["count"] for e in events(caplog, "notify_unsent")] == [1]
    assert events(caplog, "notify_dropped") == []
