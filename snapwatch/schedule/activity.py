"""The activity trail: every operator action and the schedulers' notable events, one row each.

:func:`record` writes one row of ``snapwatch.activity``: who (``user@host``), which
process (``app pid 1234``, ``cli pid 77``, ``daemon <instance id>``), what (``kind``), on
which site or scope, the ``detail`` (reason, duration, counts, file, error) and the
``result`` (``ok``, ``refused: ...``, ``failed: ...``), stamped by the database's clock.
Run it on the action's connection, inside the action's transaction where it has one, so
the trail says what happened exactly when it did. Each row recorded is also logged (event
``activity``): the app's log view and the daemon's log show it as a line.

A process says what it is once, at its start (:func:`set_process`); without that it is a
command (``cli pid N``), whose entries are logged at DEBUG only. Processes that only read
(``--read-only``) record nothing: their callers do not call :func:`record`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final
from uuid import UUID

from psycopg import AsyncConnection
from psycopg.types.json import Jsonb

from snapwatch.infra.logs import log_event
from snapwatch.schedule.instances import Identity
from snapwatch.text.jsonvalues import json_values
from snapwatch.text.labels import words

log = logging.getLogger(__name__)

# Operator actions.
FORCE: Final = "force"
FORCE_ALL: Final = "force_all"
PAUSE: Final = "pause"
RESUME: Final = "resume"
PAUSE_CHANGE: Final = "pause_change"
EXPORT: Final = "export"
BACKFILL: Final = "backfill"
RESTORE: Final = "restore"
REFRESH: Final = "refresh"
RUN_ONCE: Final = "run_once"
# The schedulers' events.
TICK_WROTE: Final = "tick_wrote"
TICK_FAILED: Final = "tick_failed"
OUTAGE: Final = "outage"
CONFLICT: Final = "conflict"

OK: Final = "ok"
ALL_SITES: Final = "all sites"
"""The scope of an action on every site."""


def refused(why: str) -> str:
    return f"refused: {why}"


def failed(why: str) -> str:
    return f"failed: {why}"


INSERT_SQL = """
INSERT INTO snapwatch.activity (actor, process, kind, site_id, scope, detail, result)
VALUES (%(actor)s, %(process)s, %(kind)s, %(site)s, %(scope)s, %(detail)s, %(result)s)
"""


@dataclass
class _ThisProcess:
    label: str
    logged: bool
    """Whether each entry recorded is also logged at INFO (else at DEBUG)."""


_THIS = _ThisProcess(f"cli pid {os.getpid()}", logged=False)


def set_process(label: str, *, logged: bool) -> None:
    """What this process is called in the trail from now on (``app pid 1234``), and
    whether the entries it records are its log's lines too: an app's log view and a
    daemon's log show them; a command says what it did on its own output."""
    _THIS.label = label
    _THIS.logged = logged


def pid_label(kind: str) -> str:
    """``app pid 1234``: a process known by its kind and pid."""
    return f"{kind} pid {os.getpid()}"


async def record(
    conn: AsyncConnection[Any],
    kind: str,
    *,
    site_id: UUID | None = None,
    scope: str = "",
    detail: Mapping[str, Any] | None = None,
    result: str = OK,
    actor: str | None = None,
    process: str | None = None,
) -> None:
    """Add one entry to the trail on ``conn`` (in its transaction, if one is open).
    ``actor`` defaults to this process's ``user@host``, ``process`` to
    what :func:`set_process` set; ``detail`` holds plain values (times, ids and numbers are
    made JSON by :func:`snapwatch.text.jsonvalues.json_values`)."""
    values = {
        "actor": actor or Identity.current().who,
        "process": process or _THIS.label,
        "kind": kind,
        "site": site_id,
        "scope": scope,
        "detail": json_values(dict(detail or {})),
        "result": result,
    }
    await conn.execute(INSERT_SQL, {**values, "detail": Jsonb(values["detail"])})
    level = logging.INFO if _THIS.logged else logging.DEBUG
    log_event(
        log,
        logging.WARNING if result.startswith("failed") and _THIS.logged else level,
        "activity",
        f"{words(kind)} {scope} by {values['actor']}: {result}".replace("  ", " "),
        **values,
    )
