"""``snapwatch --daemon``: the scheduler without a terminal, for systemd and containers.

What it promises:

- it logs events, as human lines or JSON lines (:mod:`snapwatch.infra.logs`);
- SIGTERM or SIGINT stop it: the site in hand is finished, or, when its statement still
  runs a second later (waiting for a lock), cancelled on the server and rolled back; the
  instance row is marked stopped, and it exits 0 within 5 s (1.1-1.6 s measured while
  waiting for a lock); a second signal exits at once (whatever a site was writing rolls
  back: a snapshot is one transaction);
- a lock another process holds past ``lock_timeout`` leaves the sites it blocks busy:
  they are logged each tick (``sites_busy``) and tried again on the next;
- it never exits because the database went away, at start or later: the schedule keeps
  running, the database session reconnects with backoff (the outage is logged once when
  it starts and once when it ends), and missed slots are caught up by the normal due
  rules. What it cannot fix by waiting ends it at once: bad configuration or DSN syntax,
  a schema that needs ``snapwatch migrate``, a role without the rights the scheduler
  needs or hidden by row-level security (exit 2, :mod:`snapwatch.infra.access`), refused
  credentials (exit 3). A database that accepts no writes (a standby) is waited out
  like an outage: each tick fails with that reason, logged once;
- a right revoked while it runs fails the ticks with the role check's line (``/healthz``
  says it), and it keeps running until the right is back;
- with a metrics port, Prometheus metrics on ``/metrics``, liveness on ``/livez`` (the
  event loop runs, outage or not) and readiness on ``/readyz`` (alias ``/healthz``);
- with ``[notify]`` URLs, a ping after its ticks and a webhook message for each change
  of state (:mod:`snapwatch.service.alerts`), sent from a thread: a tick never waits.

No Textual here: the daemon imports the core only.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import time
from dataclasses import dataclass
from datetime import datetime

import psycopg
from psycopg.conninfo import conninfo_to_dict

from snapwatch import __version__
from snapwatch.infra.access import Job, require_access
from snapwatch.infra.clock import Clock, DatabaseClock, open_shared_clock
from snapwatch.infra.config import Settings, refuse_read_only
from snapwatch.infra.db import Target, resolve_target, translate
from snapwatch.infra.dbsession import Conn, DbSession, DbState
from snapwatch.infra.errors import EXIT_OK, ConfigError, DatabaseReadOnly
from snapwatch.infra.logs import log_event
from snapwatch.schedule.conflict_events import ConflictWatch
from snapwatch.schedule.health import count_states
from snapwatch.schedule.instances import Identity
from snapwatch.schedule.judging import read_site_health
from snapwatch.schedule.scheduler import Scheduler
from snapwatch.schedule.tick_events import instance_process
from snapwatch.schedule.tick_report import TickReport
from snapwatch.schedule.tick_runner import AfterTick, TickOutcome
from snapwatch.service.activity_log import ActivityFollower
from snapwatch.service.alerts.notifier import Notifier
from snapwatch.service.liveness import Liveness
from snapwatch.service.metrics import Health, Metrics, MetricsServer, wsgi_app

log = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
BUSY_NAMES_SHOWN = 5
"""A ``sites_busy`` line names this many sites; its JSON ``sites`` up to BUSY_NAMES_LOGGED."""
BUSY_NAMES_LOGGED = 100


@dataclass(frozen=True)
class DaemonOptions:
    """What the command line adds to the settings."""

    tick_seconds: float | None = None
    """Overrides ``scheduler.tick_seconds``."""
    metrics_port: int | None = None
    """Overrides ``daemon.metrics_port``."""
    metrics_host: str | None = None
    """Overrides ``daemon.metrics_host``."""
    speed: float | None = None
    """Run on the shared accelerated clock ``clock_name`` at this speed (None: system)."""
    clock_name: str = "default"
    clock_start: datetime | None = None
    """Where a new shared clock starts (default: now)."""


def run_daemon(settings: Settings, options: DaemonOptions) -> int:
    """Run until a stop signal; returns the exit code. Raises
    :class:`~snapwatch.infra.errors.SnapwatchError` for what waiting cannot fix."""
    refuse_read_only("--daemon", settings)
    if settings.dsn_value():
        check_dsn(Target(dsn=settings.dsn_value() or ""))
    target = resolve_target(settings)
    try:
        return asyncio.run(Daemon(target, settings, options).run())
    finally:
        target.release()


def check_dsn(target: Target) -> None:
    """Refuse a DSN that can never connect (bad syntax, unknown option, non-numeric
    port) before anything starts: that is configuration, not an outage to wait out."""
    try:
        params = conninfo_to_dict(target.dsn)
    except psycopg.ProgrammingError as exc:
        raise translate(exc, target) from None
    ports = str(params.get("port") or "").split(",")
    if any(p.strip() and not p.strip().isdigit() for p in ports):
        raise ConfigError(f"invalid DSN: port {params.get('port')!r} is not a number")


class Daemon:
    def __init__(self, target: Target, settings: Settings, options: DaemonOptions) -> None:
        self.target = target
        self.settings = settings
        self.options = options
        self.wall = DatabaseClock()
        """The database's clock as seen from this host: every tick measures it again."""
        self.tick_seconds = options.tick_seconds or settings.scheduler.tick_seconds
        self.metrics = Metrics()
        self.health: Health | None = None
        self.liveness: Liveness | None = None
        self.scheduler: Scheduler | None = None
        self.stop = asyncio.Event()
        notify = settings.notify
        self.alerts = (
            Notifier(notify, target.display, now=self.wall.now, monotonic=time.monotonic)
            if notify.ping_url is not None or notify.webhook_urls
            else None
        )
        self._signals = 0

    async def run(self) -> int:
        self._install_signals()
        me = Identity.current()
        server = self._metrics_server()
        log_event(
            log,
            logging.INFO,
            "starting",
            f"snapwatch {__version__} daemon starting on {self.target.display}",
            version=__version__,
            pid=me.pid,
            host=me.host,
            database=self.target.display,
        )
        if server is not None:
            server.start()
            log_event(
                log,
                logging.INFO,
                "metrics_listening",
                f"metrics on http://{_hostport(server.host, server.port)}/metrics",
                host=server.host,
                port=server.port,
            )
        beating = (
            None if self.liveness is None else asyncio.create_task(self.liveness.run(self.stop))
        )
        if self.alerts is not None:
            self.alerts.start()
        db = DbSession(self.target, self.settings, on_change=self._db_changed)
        try:
            scheduler = await self._start(db)
            if scheduler is not None:
                await self.stop.wait()
                await scheduler.stop()
        finally:
            await db.close()
            if beating is not None:
                beating.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await beating
            if server is not None:
                server.stop()
            if self.alerts is not None:
                await asyncio.to_thread(self.alerts.close)
        log_event(log, logging.INFO, "stopped", "stopped")
        return EXIT_OK

    async def _start(self, db: DbSession) -> Scheduler | None:
        """Wait for the database (logged once), choose the clock, start ticking. None
        when a stop was asked for first."""
        clock: Clock | None = None
        while clock is None:
            conn = await db.wait_connected(self.stop)
            if conn is None:
                return None
            try:
                await self._check_role(conn)
                clock = await self._clock(conn)
            except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
                await db.lost(exc)
        scheduler = Scheduler(
            db,
            self.settings,
            clock,
            mode="daemon",
            wall=self.wall,
            on_tick=self._ticked,
            tick_seconds=self.tick_seconds,
            after_tick=self._after_tick(),
        )
        self.scheduler = scheduler
        if self.health is not None:
            self.health.limit_seconds = 2 * scheduler.tick_seconds + scheduler.jitter_seconds
        if self.liveness is not None:
            self.liveness.set_tick_seconds(scheduler.tick_seconds)
        if self.stop.is_set():
            return None
        await scheduler.start()
        pooler = self.target.pooler
        assert pooler is not None  # settled by the first connection
        log_event(
            log,
            logging.INFO,
            "started",
            f"ticking every {scheduler.tick_seconds:g} s on the {clock.describe()} clock, "
            f"{pooler.describe()}",
            tick_seconds=scheduler.tick_seconds,
            clock=clock.describe(),
            as_of=clock.now(),
            pooler=pooler.mode,
            pooler_reason=pooler.reason,
        )
        return scheduler

    async def _check_role(self, conn: Conn) -> None:
        """Refuse to start (exit 2) a role that cannot run the scheduler; a read-only
        database is left to the ticks, which report it until it accepts writes."""
        with contextlib.suppress(DatabaseReadOnly):
            await require_access(conn, Job.SCHEDULE)

    async def _clock(self, conn: Conn) -> Clock:
        await self.wall.measure(conn)
        if self.options.speed is None:
            return self.wall
        return await open_shared_clock(
            conn,
            self.options.clock_name,
            start=self.options.clock_start or self.wall.now(),
            speed=self.options.speed,
            wall=self.wall,
        )

    # -- metrics and health ----------------------------------------------------------

    def _metrics_server(self) -> MetricsServer | None:
        port = self.options.metrics_port or self.settings.daemon.metrics_port
        if port is None:
            return None
        host = self.options.metrics_host or self.settings.daemon.metrics_host
        self.health = Health(
            self.tick_seconds,
            wall=self.wall,
            max_clock_offset_seconds=self.settings.scheduler.max_clock_offset_seconds,
        )
        self.liveness = Liveness(self.tick_seconds, self.settings.daemon.liveness_missed_ticks)
        return MetricsServer(wsgi_app(self.metrics, self.health, self.liveness), host, port)

    def _after_tick(self) -> AfterTick:
        """After each tick: the trail's new entries logged, a pg_cron conflict recorded
        (hourly) and counted in ``snapwatch_pg_cron_conflicts``; the sites by health state for
        ``snapwatch_sites`` when metrics are served and for the webhooks when they are set (it
        costs one read of every site); what changed, for the webhooks."""
        settings, metrics, health, alerts = self.settings, self.metrics, self.health, self.alerts
        judge = health is not None or (alerts is not None and alerts.wants_states)

        def own() -> str | None:
            instance = self.scheduler.instance_id if self.scheduler is not None else None
            return instance_process("daemon", instance) if instance is not None else None

        follower = ActivityFollower(own)
        conflicts = ConflictWatch(
            "daemon", lambda: self.scheduler.instance_id if self.scheduler else None
        )

        async def after_tick(conn: Conn, now: datetime) -> None:
            await follower.follow(conn)
            await conflicts.look(conn, now)
            if conflicts.jobs is not None:
                metrics.pg_cron_conflicts.set(len(conflicts.jobs))
            sites = await read_site_health(conn, now, settings) if judge else []
            if health is not None:
                metrics.site_states(count_states(sites))
            if alerts is not None:
                instance = self.scheduler.instance_id if self.scheduler else None
                await alerts.observe(conn, now, sites, conflicts.warning, instance)

        return after_tick

    def _db_changed(self, state: DbState) -> None:
        self.metrics.database(state)
        if self.alerts is not None:
            self.alerts.database(state)
        if self.health is not None:
            self.health.database(state)

    # -- each tick ---------------------------------------------------------------------

    def _ticked(self, outcome: TickOutcome) -> None:
        self.metrics.tick(outcome)
        if self.alerts is not None:
            self.alerts.ticked(outcome)
        if self.health is not None:
            self.health.tick(outcome)
        report = outcome.report
        if report is None:
            return  # an outage is logged by the session, a raising tick by the scheduler
        for site in report.failed:
            log_event(
                log,
                logging.WARNING,
                "site_failed",
                f"site {site.site_name} failed: {site.error}",
                site_id=site.site_id,
                site=site.site_name,
                error=site.error,
            )
        self._log_busy(report)
        log_event(
            log,
            logging.WARNING if report.failed or report.busy else logging.INFO,
            "tick",
            as_of=report.as_of,
            written=report.count("written"),
            skipped=report.count("skipped"),
            busy=len(report.busy),
            failed=len(report.failed),
            snapshots=sum(len(o.written) for o in report.outcomes),
            duration_seconds=round(outcome.duration_seconds, 3),
            next_tick=outcome.next_tick_at,
            paused=outcome.paused,
            stopped=report.stopped,
        )

    def _log_busy(self, report: TickReport) -> None:
        """One line per lock that left sites busy in this tick, naming them."""
        waits: dict[str, list[str]] = {}
        for site in report.busy:
            waits.setdefault(site.lock_wait or "lock wait", []).append(site.site_name)
        for wait, names in waits.items():
            shown = ", ".join(names[:BUSY_NAMES_SHOWN])
            more = (
                f" and {len(names) - BUSY_NAMES_SHOWN} more"
                if len(names) > BUSY_NAMES_SHOWN
                else ""
            )
            log_event(
                log,
                logging.WARNING,
                "sites_busy",
                f"{len(names)} site(s) busy ({wait}), left for the next tick: {shown}{more}",
                lock_wait=wait,
                count=len(names),
                sites=names[:BUSY_NAMES_LOGGED],
            )

    # -- signals -------------------------------------------------------------------------

    def _install_signals(self) -> None:
        loop = asyncio.get_running_loop()
        for signum in STOP_SIGNALS:
            loop.add_signal_handler(signum, self._on_signal, signum)

    def _on_signal(self, signum: int) -> None:
        self._signals += 1
        name = signal.Signals(signum).name
        if self._signals == 1:
            log_event(
                log,
                logging.INFO,
                "stopping",
                f"{name}: stopping (the site in hand finishes, or a wait is cancelled)",
                signal=name,
            )
            self.stop.set()
            return
        log_event(log, logging.WARNING, "exiting_now", f"second {name}: exiting now", signal=name)
        for handler in logging.getLogger().handlers:
            handler.flush()
        sys.stderr.flush()
        os._exit(128 + signum)


def _hostport(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
