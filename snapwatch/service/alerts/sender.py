"""Delivery: a bounded queue and one thread that POSTs it, so a tick never waits for a
receiver.

Each request has a timeout; a request that failed for a reason that may pass (no
connection, a timeout, HTTP 408, 429 or 5xx) is retried after ``infra.backoff.backoff_delay``
(exponential with jitter), up to ``retries`` times, then dropped; another HTTP status is
dropped at once. A dropped message is one log line (``notify_dropped``). When the queue
is full the oldest message waiting makes room (one ``notify_queue_full`` line until the
queue has emptied again). At a stop, what is due within a second is still tried.

URLs are secrets (a ping URL's key, a chat webhook's token): a log line shows only their
scheme and host (:func:`snapwatch.infra.redact.redact_url`).
"""

from __future__ import annotations

import http.client
import logging
import random
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

from snapwatch import __version__
from snapwatch.infra.backoff import backoff_delay
from snapwatch.infra.config import NotifySettings
from snapwatch.infra.logs import log_event
from snapwatch.infra.redact import redact, redact_url
from snapwatch.text.lines import one_line

log = logging.getLogger(__name__)

RETRY_CAP_SECONDS = 300.0
RETRY_STATUSES = frozenset({408, 429})
"""Besides 5xx: the HTTP statuses worth asking again."""
READ_LIMIT = 64 * 1024
USER_AGENT = f"snapwatch/{__version__}"


@dataclass(frozen=True)
class Failure:
    reason: str
    retry: bool


@dataclass
class Delivery:
    url: str
    body: bytes
    content_type: str
    what: str
    """What it is, for a log line: ``ping fail``, ``site_late``."""
    retries: int = 0
    due: float = 0.0


Post = Callable[[str, bytes, str, float], "Failure | None"]


def post_once(url: str, body: bytes, content_type: str, timeout: float) -> Failure | None:
    """One POST; None when the receiver answered 2xx (or 3xx)."""
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Content-Type": content_type, "User-Agent": USER_AGENT},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read(READ_LIMIT)
    except urllib.error.HTTPError as err:
        return Failure(f"HTTP {err.code}", err.code >= 500 or err.code in RETRY_STATUSES)
    except urllib.error.URLError as err:
        return Failure(one_line(str(err.reason)), True)
    except (OSError, http.client.HTTPException) as err:
        return Failure(one_line(str(err)) or type(err).__name__, True)
    return None


class Sender:
    def __init__(
        self,
        settings: NotifySettings,
        *,
        post: Post = post_once,
        monotonic: Callable[[], float] = time.monotonic,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self._settings = settings
        self._post = post
        self._monotonic = monotonic
        self._rand = rand
        self._cond = threading.Condition()
        self._waiting: list[Delivery] = []
        """In the order they were queued (a retry goes to the end)."""
        self._closing_at: float | None = None
        self._overflowing = False
        self._thread = threading.Thread(target=self._run, name="snapwatch-notify", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def put(self, delivery: Delivery) -> None:
        """Queue a message (never blocks on the network)."""
        with self._cond:
            if len(self._waiting) >= self._settings.queue_size:
                oldest = self._waiting.pop(0)
                if not self._overflowing:
                    self._overflowing = True
                    log_event(
                        log,
                        logging.WARNING,
                        "notify_queue_full",
                        f"notification queue full ({self._settings.queue_size}): dropping the"
                        f" oldest ({oldest.what}) and those after it until it empties",
                        size=self._settings.queue_size,
                    )
            self._waiting.append(delivery)
            self._cond.notify()

    def close(self, grace: float = 1.0) -> None:
        """Stop: what is due within ``grace`` seconds is still tried, the rest dropped."""
        with self._cond:
            self._closing_at = self._monotonic() + grace
            self._cond.notify()
        if self._thread.is_alive():
            self._thread.join(grace + 0.5)

    def _run(self) -> None:
        while (delivery := self._next()) is not None:
            failure = self._post(
                delivery.url, delivery.body, delivery.content_type, self._settings.timeout_seconds
            )
            if failure is None:
                continue
            if failure.retry and delivery.retries < self._settings.retries:
                delivery.retries += 1
                delay = backoff_delay(
                    delivery.retries, self._rand(), self._settings.retry_seconds, RETRY_CAP_SECONDS
                )
                delivery.due = self._monotonic() + delay
                self.put(delivery)
                continue
            self._dropped(delivery, failure)

    def _next(self) -> Delivery | None:
        """The next delivery that is due, waiting for it; None once closed."""
        with self._cond:
            while True:
                now = self._monotonic()
                if self._closing_at is not None and now >= self._closing_at and self._waiting:
                    self._unsent(len(self._waiting))
                    return None
                if not self._waiting:
                    self._overflowing = False
                    if self._closing_at is not None:
                        return None
                    self._cond.wait()
                    continue
                first = min(self._waiting, key=lambda d: d.due)
                if first.due <= now:
                    self._waiting.remove(first)
                    return first
                if self._closing_at is not None and first.due > self._closing_at:
                    self._unsent(len(self._waiting))
                    return None
                self._cond.wait(first.due - now)

    def _unsent(self, count: int) -> None:
        self._waiting.clear()
        log_event(
            log,
            logging.WARNING,
            "notify_unsent",
            f"{count} notification(s) not sent: stopping",
            count=count,
        )

    def _dropped(self, delivery: Delivery, failure: Failure) -> None:
        attempts = delivery.retries + 1
        shown = redact_url(delivery.url)
        reason = redact(failure.reason, delivery.url)
        log_event(
            log,
            logging.WARNING,
            "notify_dropped",
            f"{delivery.what} to {shown} dropped after {attempts} attempt(s): {reason}",
            what=delivery.what,
            url=shown,
            attempts=attempts,
            reason=reason,
        )
