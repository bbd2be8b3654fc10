"""The dead-man's-switch ping, in the convention of Healthchecks.io and Cronitor's
heartbeat monitors: ``<url>/start`` once when the daemon starts, ``<url>`` after a
successful tick, ``<url>/fail`` after a failed one (as ``/healthz`` judges a tick), each
a POST whose body is one line (the tick's counts, or its error).

A ping like the last one sent waits until ``ping_every_seconds`` have passed since it;
a ping of the other kind (the first failure after successes, the first success after
failures) goes at once. So a service outside snapwatch notices a silent daemon, and a
short tick interval does not mean as many requests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from snapwatch.schedule.tick_report import TickReport
from snapwatch.schedule.tick_runner import TickOutcome
from snapwatch.text.inert import printable
from snapwatch.text.lines import one_line

PingKind = Literal["start", "success", "fail"]
SUFFIXES: dict[PingKind, str] = {"start": "/start", "success": "", "fail": "/fail"}
BODY_LIMIT = 1000
"""Characters of a ping's body at most."""


@dataclass(frozen=True)
class Ping:
    kind: PingKind
    body: str


def ping_url(url: str, kind: PingKind) -> str:
    """``url`` with the kind's suffix at the end of its path (before any query)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + SUFFIXES[kind]))


def counts_line(report: TickReport) -> str:
    """``written 3, skipped 0, busy 0, failed 0 (12 snapshots)``."""
    snapshots = sum(len(o.written) for o in report.outcomes)
    return (
        f"written {report.count('written')}, skipped {report.count('skipped')},"
        f" busy {len(report.busy)}, failed {len(report.failed)} ({snapshots} snapshots)"
    )


class PingPolicy:
    """Which ping each tick sends, if any (times on a monotonic clock, in seconds)."""

    def __init__(self, every_seconds: float) -> None:
        self._every = every_seconds
        self._last: tuple[PingKind, float] | None = None

    def after_tick(self, outcome: TickOutcome, now: float) -> Ping | None:
        kind: PingKind = "success" if outcome.ok else "fail"
        if self._last is not None:
            last_kind, last_at = self._last
            if kind == last_kind and now - last_at < self._every:
                return None
        self._last = (kind, now)
        return Ping(kind, _body(outcome))


def _body(outcome: TickOutcome) -> str:
    """``written 3, skipped 0, busy 0, failed 0 (6 snapshots); tick took 0.12 s``, the
    error first when the tick failed."""
    parts = [] if outcome.error is None else [outcome.error]
    if outcome.report is not None:
        parts.append(counts_line(outcome.report))
    parts.append(f"tick took {outcome.duration_seconds:.2f} s")
    if outcome.paused:
        parts.append("snapshots paused")
    return printable(one_line("; ".join(parts), BODY_LIMIT))
