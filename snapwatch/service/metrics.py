"""Prometheus metrics and health checks for the daemon, served by one small WSGI app.

``/metrics`` is prometheus-client's exposition of the daemon's own registry (no process
or platform collectors: the figures are snapwatch's, and ``snapwatch_build_info`` names
the version and Python). Two health checks, each answering with one line saying why:

- ``/livez`` (liveness): 200 while the daemon's event loop runs, 503 when it is wedged
  (:mod:`snapwatch.service.liveness`); a database outage does not fail it;
- ``/readyz`` (readiness; ``/healthz`` is the same answer): 200 when the last tick
  succeeded within two tick intervals and the database is reachable, 503 otherwise (a
  role refused its rights fails every tick), with the role check's warnings appended,
  so a load balancer, a container runtime or a person with curl gets the same answer.

The server runs in a background thread; the event loop updates the figures after every
tick. Everything the thread reads is replaced whole (never mutated in place).
"""

from __future__ import annotations

import platform
import socket
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, make_wsgi_app

from snapwatch import __version__
from snapwatch.infra.clock import Clock, SystemClock, offset_warning
from snapwatch.infra.dbsession import DbState
from snapwatch.infra.errors import ConfigError
from snapwatch.schedule.tick_runner import TickOutcome
from snapwatch.service.liveness import Liveness
from snapwatch.snapshot.inputs import TRIGGERS

TICK_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class Metrics:
    """The daemon's figures, in a registry of their own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.last_success = Gauge(
            "snapwatch_last_successful_tick_timestamp_seconds",
            "Unix time at which the last successful tick finished",
            registry=r,
        )
        self.tick_duration = Histogram(
            "snapwatch_tick_duration_seconds",
            "Wall-clock duration of each tick",
            buckets=TICK_BUCKETS,
            registry=r,
        )
        self.ticks = Counter(
            "snapwatch_ticks", "Ticks by result (ok or failed)", ["result"], registry=r
        )
        self.snapshots = Counter(
            "snapwatch_snapshots_written",
            "Snapshots written by this process, by trigger",
            ["trigger"],
            registry=r,
        )
        self.site_failures = Counter(
            "snapwatch_site_failures", "Site writes that failed (the site rolled back)", registry=r
        )
        self.sites = Gauge("snapwatch_sites", "Sites by health state", ["state"], registry=r)
        self.instance_up = Gauge(
            "snapwatch_instance_up",
            "1 while ticks complete and are recorded, 0 while they cannot (outage, error)",
            registry=r,
        )
        self.pg_cron_conflicts = Gauge(
            "snapwatch_pg_cron_conflicts",
            "Active pg_cron jobs shown to write snapshots while this daemon schedules them"
            " (looked for after the first tick, then hourly)",
            registry=r,
        )
        self.database_up = Gauge(
            "snapwatch_database_up", "1 while the database is reachable", registry=r
        )
        self.clock_offset = Gauge(
            "snapwatch_clock_offset_seconds",
            "The database's clock minus this host's, measured at the last tick",
            registry=r,
        )
        build = Gauge(
            "snapwatch_build_info",
            "Always 1; the labels name this daemon's snapwatch version and Python",
            ["version", "python"],
            registry=r,
        )
        build.labels(__version__, platform.python_version()).set(1)
        for trigger in TRIGGERS:
            self.snapshots.labels(trigger)
        for result in ("ok", "failed"):
            self.ticks.labels(result)
        self._states: set[str] = set()

    def tick(self, outcome: TickOutcome) -> None:
        self.tick_duration.observe(outcome.duration_seconds)
        self.ticks.labels("ok" if outcome.ok else "failed").inc()
        if outcome.ok:
            self.last_success.set(outcome.finished_at.timestamp())
        if outcome.clock_offset_seconds is not None:
            self.clock_offset.set(outcome.clock_offset_seconds)
        report = outcome.report
        self.instance_up.set(1 if report is not None else 0)
        if outcome.db_down:
            self.database_up.set(0)
        if report is None:
            return
        self.database_up.set(1)
        for site in report.outcomes:
            for written in site.written:
                self.snapshots.labels(written.trigger).inc()
        self.site_failures.inc(len(report.failed))

    def database(self, state: DbState) -> None:
        self.database_up.set(1 if state.up else 0)
        if not state.up:
            self.instance_up.set(0)

    def site_states(self, counts: Mapping[str, int]) -> None:
        """Sites by state; a state no site is in any more drops to 0."""
        for state in self._states - set(counts):
            self.sites.labels(state).set(0)
        for state, n in counts.items():
            self.sites.labels(state).set(n)
        self._states |= set(counts)


@dataclass(frozen=True)
class _Seen:
    last: TickOutcome | None = None
    last_success: TickOutcome | None = None
    db_error: str | None = None


class Health:
    """The answer of ``/readyz`` and ``/healthz``: ready when the last tick succeeded,
    the database has stayed reachable since, and the last success is at most two tick
    intervals (plus jitter) old."""

    def __init__(
        self,
        tick_seconds: float,
        jitter_seconds: float = 0.0,
        wall: Clock | None = None,
        *,
        max_clock_offset_seconds: float = 2.0,
    ):
        self.limit_seconds = 2 * tick_seconds + jitter_seconds
        self.max_clock_offset_seconds = max_clock_offset_seconds
        self._wall: Clock = wall or SystemClock()
        self._seen = _Seen()

    def tick(self, outcome: TickOutcome) -> None:
        seen = self._seen
        self._seen = _Seen(outcome, outcome if outcome.ok else seen.last_success, seen.db_error)

    def database(self, state: DbState) -> None:
        seen = self._seen
        self._seen = _Seen(seen.last, seen.last_success, None if state.up else state.error)

    def check(self) -> tuple[bool, str]:
        seen, now = self._seen, self._wall.now()
        if seen.last is None:
            if seen.db_error is not None:
                return False, f"no tick yet: {seen.db_error}"
            return False, "no tick yet"
        if not seen.last.ok:
            return False, f"last tick failed: {seen.last.error}"
        if seen.db_error is not None:
            return False, f"database down since the last tick: {seen.db_error}"
        assert seen.last_success is not None
        age = (now - seen.last_success.finished_at).total_seconds()
        if age > self.limit_seconds:
            return False, f"no tick for {age:.1f} s (limit {self.limit_seconds:g} s)"
        paused = " (snapshots paused)" if seen.last.paused else ""
        off = offset_warning(seen.last.clock_offset_seconds, self.max_clock_offset_seconds)
        clock = "" if off is None else f"; {off} (its time is used)"
        warnings = "".join(f"; warning: {w}" for w in seen.last.warnings)
        return True, f"ok: last tick {age:.1f} s ago{paused}{clock}{warnings}"


PATHS = ("/livez", "/readyz", "/healthz", "/metrics")


def wsgi_app(metrics: Metrics, health: Health, liveness: Liveness) -> WsgiApp:
    """``/livez``, ``/readyz`` (and its alias ``/healthz``) and ``/metrics`` (``/`` is
    ``/metrics``)."""
    exposition = make_wsgi_app(metrics.registry)
    checks = {"/livez": liveness.check, "/readyz": health.check, "/healthz": health.check}

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "/")
        check = checks.get(path)
        if check is not None:
            ok, text = check()
            return _text(start_response, "200 OK" if ok else "503 Service Unavailable", text)
        if path in ("/", "/metrics"):
            result: Iterable[bytes] = exposition(environ, start_response)
            return result
        return _text(start_response, "404 Not Found", "not found: try " + ", ".join(PATHS))

    return app


def _text(start_response: StartResponse, status: str, line: str) -> list[bytes]:
    body = (line + "\n").encode()
    start_response(
        status, [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))]
    )
    return [body]


class _QuietHandler(WSGIRequestHandler):
    """No access log on stderr: the daemon's log is its events."""

    def log_message(self, format: str, *args: Any) -> None:
        return None


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class _Server6(_Server):
    address_family = socket.AF_INET6


class MetricsServer:
    """Serves a WSGI app on host:port from a daemon thread until :meth:`stop`."""

    def __init__(self, app: WsgiApp, host: str, port: int) -> None:
        server_class = _Server6 if ":" in host else _Server
        try:
            self._server = make_server(
                host, port, app, server_class=server_class, handler_class=_QuietHandler
            )
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise ConfigError(f"cannot serve metrics on {host}:{port}: {reason}") from None
        self.host = host
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},  # how fast stop() returns
            name="snapwatch-metrics",
            daemon=True,
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(timeout=2)
        self._server.server_close()
