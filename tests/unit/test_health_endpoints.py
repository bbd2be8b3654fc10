"""The daemon's HTTP answers, in process: /livez follows the event loop's heartbeat on a
clock the test moves, /readyz (and /healthz, the same answer) the ticks and the database,
/metrics names the build."""

from __future__ import annotations

import asyncio
import platform
import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from snapwatch import __version__
from snapwatch.infra.clock import FixedClock
from snapwatch.infra.dbsession import DbState
from snapwatch.schedule.tick_runner import TickOutcome
from snapwatch.service import liveness as liveness_module
from snapwatch.service.liveness import MIN_LIMIT_SECONDS, Liveness
from snapwatch.service.metrics import Health, Metrics, wsgi_app

T0 = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


class Monotonic:
    def __init__(self) -> None:
        self.t = 500.0

    def __call__(self) -> float:
        return self.t


class Endpoints:
    """The WSGI app with a heartbeat and a wall clock the test controls."""

    def __init__(self, tick_seconds: float = 10) -> None:
        self.mono = Monotonic()
        self.wall = FixedClock(T0)
        self.metrics = Metrics()
        self.health = Health(tick_seconds, wall=self.wall)
        self.liveness = Liveness(tick_seconds, missed_ticks=3, monotonic=self.mono)
        self.app = wsgi_app(self.metrics, self.health, self.liveness)

    def get(self, path: str) -> tuple[int, str]:
        seen: list[str] = []

        def start_response(status: str, headers: list[tuple[str, str]], *_: Any) -> None:
            seen.append(status)

        body: Iterable[bytes] = self.app(
            {"PATH_INFO": path, "REQUEST_METHOD": "GET"}, start_response
        )
        return int(seen[0].split()[0]), b"".join(body).decode()

    def ticked(self, error: str | None = None) -> None:
        now = self.wall.now()
        self.health.tick(TickOutcome(now - timedelta(seconds=0.2), now, None, error))

    def ready_and_alias(self) -> tuple[int, str]:
        ready = self.get("/readyz")
        assert self.get("/healthz") == ready  # the same code and body
        return ready


def test_livez_stays_200_while_the_loop_beats_through_an_outage_and_readyz_fails() -> None:
    e = Endpoints()
    e.health.database(DbState(up=True))
    e.ticked()
    assert e.ready_and_alias()[0] == 200
    e.health.database(DbState(up=False, error="connection lost: server closed the connection"))
    for _ in range(120):  # two minutes of outage: failing ticks, beats every second
        e.mono.t += 1
        e.wall.advance(timedelta(seconds=1))
        e.liveness.beat()
        if e.mono.t % 10 == 0:
            e.ticked("database unreachable (connection refused)")
        assert e.get("/livez") == (200, "ok: event loop alive, last heartbeat 0.0 s ago\n")
        assert e.ready_and_alias() == (
            503,
            "last tick failed: database unreachable (connection refused)\n"
            if e.mono.t >= 510
            else "database down since the last tick: connection lost: server closed the "
            "connection\n",
        )
    e.health.database(DbState(up=True, down_seconds=120))
    assert e.ready_and_alias()[0] == 503  # no tick has succeeded since
    e.ticked()
    code, body = e.ready_and_alias()
    assert (code, body) == (200, "ok: last tick 0.0 s ago\n")
    assert e.get("/livez")[0] == 200


def test_a_database_lost_after_a_good_tick_makes_readyz_503_at_once() -> None:
    e = Endpoints()
    e.ticked()
    e.health.database(DbState(up=False, error="connection lost: terminating connection"))
    assert e.ready_and_alias() == (
        503,
        "database down since the last tick: connection lost: terminating connection\n",
    )
    assert e.get("/livez")[0] == 200


def test_livez_is_503_once_the_loop_missed_three_tick_intervals() -> None:
    e = Endpoints(tick_seconds=10)
    e.ticked()
    assert e.liveness.limit_seconds == 30
    e.mono.t += 30
    assert e.get("/livez")[0] == 200
    e.mono.t += 0.5
    assert e.get("/livez") == (
        503,
        "event loop stalled: no heartbeat for 30.5 s (limit 30 s)\n",
    )
    e.liveness.beat()  # the loop runs again
    assert e.get("/livez")[0] == 200


def test_a_short_tick_interval_does_not_make_the_limit_shorter_than_five_seconds() -> None:
    mono = Monotonic()
    live = Liveness(0.5, missed_ticks=3, monotonic=mono)
    assert live.limit_seconds == MIN_LIMIT_SECONDS == 5
    live.set_tick_seconds(60)  # the scheduler's interval, once known
    assert live.limit_seconds == 180
    mono.t += 179
    assert live.check()[0]
    mono.t += 2
    assert not live.check()[0]


async def test_the_heartbeat_task_beats_until_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(liveness_module, "BEAT_SECONDS", 0.01)
    mono = Monotonic()
    live = Liveness(1, monotonic=mono)
    stop = asyncio.Event()
    task = asyncio.create_task(live.run(stop))
    mono.t += 100
    await asyncio.sleep(0.05)
    assert live.check()[0]  # beaten again after the clock moved on
    stop.set()
    await asyncio.wait_for(task, timeout=1)
    mono.t += 100
    assert not live.check()[0]


def test_unknown_paths_name_the_four() -> None:
    assert Endpoints().get("/health") == (
        404,
        "not found: try /livez, /readyz, /healthz, /metrics\n",
    )


def test_build_info_names_the_version_and_python() -> None:
    code, body = Endpoints().get("/metrics")
    assert code == 200
    [line] = [x for x in body.splitlines() if x.startswith("snapwatch_build_info")]
    labels = dict(re.findall(r'(\w+)="([^"]*)"', line))
    assert labels == {"version": __version__, "python": platform.python_version()}
    assert re.fullmatch(r"\d+\.\d+\.\d+", labels["python"])
    assert line.endswith(" 1.0")
