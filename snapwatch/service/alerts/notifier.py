"""The daemon's notifications: pings after its ticks, webhook messages for what changed.

Everything here runs on the daemon's event loop and only queues; the sender's thread
does the HTTP (:mod:`.sender`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from uuid import UUID

from snapwatch import __version__
from snapwatch.infra.config import NotifySettings
from snapwatch.infra.dbsession import Conn, DbState
from snapwatch.schedule.health import SiteHealth, instance_health
from snapwatch.schedule.history.runs import recent_backfills
from snapwatch.schedule.instances import Identity, read_instances
from snapwatch.schedule.tick_runner import TickOutcome
from snapwatch.service.alerts.message import Alert
from snapwatch.service.alerts.pings import Ping, PingPolicy, ping_url
from snapwatch.service.alerts.sender import Delivery, Sender
from snapwatch.service.alerts.transitions import Transitions

BACKFILLS_READ = 20
"""The newest backfill runs looked at after each tick."""
JSON = "application/json"
TEXT = "text/plain; charset=utf-8"


class Notifier:
    def __init__(
        self,
        settings: NotifySettings,
        database: str,
        *,
        now: Callable[[], datetime],
        monotonic: Callable[[], float],
        sender: Sender | None = None,
    ) -> None:
        """``database``: the database as it may be shown; ``now``: the wall clock."""
        self._ping_url = settings.ping_url.get_secret_value() if settings.ping_url else None
        self._webhooks = [url.get_secret_value() for url in settings.webhook_urls]
        self._database = database
        self._now = now
        self._monotonic = monotonic
        self._sender = sender or Sender(settings)
        self._policy = PingPolicy(settings.ping_every_seconds)
        self._transitions = Transitions()
        me = Identity.current()
        self._source = {"host": me.host, "pid": me.pid}

    @property
    def wants_states(self) -> bool:
        """Whether :meth:`observe` needs the sites' health (webhooks are set)."""
        return bool(self._webhooks)

    def start(self) -> None:
        """The sender's thread, and the start ping."""
        self._sender.start()
        host, pid = self._source["host"], self._source["pid"]
        self._ping(Ping("start", f"snapwatch {__version__} daemon starting on {host}, pid {pid}"))

    def ticked(self, outcome: TickOutcome) -> None:
        ping = self._policy.after_tick(outcome, self._monotonic())
        if ping is not None:
            self._ping(ping)

    def database(self, state: DbState) -> None:
        self._send(self._transitions.database(state, self._database, self._now()))

    async def observe(
        self,
        conn: Conn,
        now: datetime,
        sites: Iterable[SiteHealth],
        conflict: str | None,
        own: UUID | None,
    ) -> None:
        """After a tick: the sites as the tick judged them at ``now``, the other
        instances, pg_cron's ``conflict`` warning, the backfills."""
        if not self._webhooks:
            return
        changes = self._transitions
        instances = [instance_health(row) for row in await read_instances(conn)]
        backfills = await recent_backfills(conn, now, limit=BACKFILLS_READ)
        self._send(
            changes.sites(sites, now)
            + changes.instances(instances, own, now)
            + changes.conflict(conflict, now)
            + changes.backfills(backfills, now)
        )

    def close(self) -> None:
        self._sender.close()

    def _ping(self, ping: Ping) -> None:
        if self._ping_url is None:
            return
        url = ping_url(self._ping_url, ping.kind)
        self._sender.put(Delivery(url, ping.body.encode(), TEXT, f"ping {ping.kind}"))

    def _send(self, alerts: list[Alert]) -> None:
        for alert in alerts:
            body = alert.body(self._source)
            for url in self._webhooks:
                self._sender.put(Delivery(url, body, JSON, alert.event))
