"""The daemon's log of the activity trail: what other processes record (an operator's
force or pause from the app or the command line, another instance's outage) becomes a
log line (event ``activity``), read after each tick. This process's own entries are
logged as it records them (:func:`snapwatch.schedule.activity.record`), so they are
skipped here; so are the entries from before the daemon started.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from snapwatch.infra.dbsession import Conn
from snapwatch.infra.logs import log_event
from snapwatch.readmodels.activity import read_activity

log = logging.getLogger(__name__)


class ActivityFollower:
    def __init__(self, own: Callable[[], str | None]) -> None:
        """``own``: this process's name in the trail (None while it has none yet)."""
        self._own = own
        self._seen: datetime | None = None

    async def follow(self, conn: Conn) -> None:
        """Log the entries recorded since the last call (the first call only notes where
        the trail is)."""
        if self._seen is None:
            newest = await read_activity(conn, limit=1)
            self._seen = newest[0].at if newest else datetime.min.replace(tzinfo=UTC)
            return
        entries = await read_activity(conn, after=self._seen)
        own = self._own()
        for entry in reversed(entries):
            if entry.process == own:
                continue
            log_event(
                log,
                logging.WARNING if entry.result.startswith("failed") else logging.INFO,
                "activity",
                f"{entry.what} {entry.where} by {entry.actor} ({entry.process}): {entry.result}",
                kind=entry.kind,
                actor=entry.actor,
                process=entry.process,
                site_id=entry.site_id,
                site=entry.where,
                result=entry.result,
                detail=entry.detail,
                at=entry.at,
            )
        if entries:
            self._seen = entries[0].at
