"""Messages from the app's workers and background services to its screens.

Workers and callbacks (the scheduler's ``on_tick``, the database session's
``on_change``, the LISTEN connection) never touch widgets: they post one of these, and
the handler on the event loop updates what shows.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal
from uuid import UUID

from textual.message import Message

from snapwatch.infra.dbsession import DbState
from snapwatch.schedule.tick_runner import TickOutcome

Severity = Literal["information", "warning", "error"]


class DbChanged(Message):
    """The app's database session lost or regained the database."""

    def __init__(self, state: DbState) -> None:
        super().__init__()
        self.state = state


class Ticked(Message):
    """The embedded scheduler finished a tick (or failed one)."""

    def __init__(self, outcome: TickOutcome) -> None:
        super().__init__()
        self.outcome = outcome


class SnapshotsWritten(Message):
    """Snapshots were written by some process (LISTEN/NOTIFY); ``sites`` are theirs
    (empty when the notification did not say)."""

    def __init__(self, sites: Iterable[UUID]) -> None:
        super().__init__()
        self.sites = frozenset(sites)


class UpdatesChanged(Message):
    """How snapshot writes reach the app: ``live`` (LISTEN) or polling, with why."""

    def __init__(self, live: bool, detail: str) -> None:
        super().__init__()
        self.live = live
        self.detail = detail


class ActionDone(Message):
    """An operator's action finished: the line to show, and whether to read again."""

    def __init__(self, text: str, severity: Severity = "information") -> None:
        super().__init__()
        self.text = text
        self.severity = severity
