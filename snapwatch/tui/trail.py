"""The app's own actions in the activity trail: the export of a file, a refresh asked for.

The actions that change the database (force, pause, resume, backfill) are recorded by
the core in their own transactions (:mod:`snapwatch.schedule.activity`); the ones that
change nothing there are recorded here, in a worker, through the app's database session.
With ``--read-only`` nothing is recorded; a failure to record (a role that may only read,
an outage) is logged, never the action's failure.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any
from uuid import UUID

from textual.dom import DOMNode

from snapwatch.infra.logs import log_event
from snapwatch.schedule import activity
from snapwatch.tui.data import AppData, error_line

log = logging.getLogger(__name__)


def note_soon(
    node: DOMNode,
    data: AppData,
    kind: str,
    *,
    site_id: UUID | None = None,
    scope: str = "",
    detail: Mapping[str, Any] | None = None,
    result: str = activity.OK,
) -> None:
    """Record one of the app's actions in a worker of ``node`` (the action goes on at
    once; nothing with ``--read-only``)."""
    if data.read_only:
        return

    async def record() -> None:
        try:
            await data.run(
                lambda conn: activity.record(
                    conn, kind, site_id=site_id, scope=scope, detail=detail, result=result
                )
            )
        except Exception as exc:
            line = error_line(exc, data.target)
            log_event(log, logging.WARNING, "activity_unrecorded", f"{kind} not recorded: {line}")

    node.run_worker(record(), group="activity", exit_on_error=False)
