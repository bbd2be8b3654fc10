"""What a tick reports: each site's outcome (written, skipped, failed) and the tick as a whole."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal
from uuid import UUID

from snapwatch.infra.locks import LockWait

Outcome = Literal["written", "skipped", "failed"]


@dataclass(frozen=True)
class Written:
    wake_number: int
    trigger: str
    snapshot_id: UUID
    start: datetime
    end: datetime
    late_by_seconds: float


@dataclass
class SiteOutcome:
    site_id: UUID
    site_name: str
    outcome: Outcome
    reason: str | None = None
    error: str | None = None
    written: list[Written] = field(default_factory=list)
    conflicts: int = 0
    skipped_slots: int = 0
    next_due_at: datetime | None = None
    lock_wait: str | None = None
    """Skipped busy: a lock another process held past lock_timeout ("lock wait on x")."""


@dataclass
class TickReport:
    as_of: datetime
    """The instant due-ness was judged at (the injected clock's now)."""
    outcomes: list[SiteOutcome]
    started_at: datetime
    """Wall-clock start and finish, apart from ``as_of`` (which may be simulated)."""
    finished_at: datetime
    duration_seconds: float = 0.0
    stopped: bool = False
    """Stopped early on request: the sites not reached are reported as skipped."""

    @property
    def failed(self) -> list[SiteOutcome]:
        return [o for o in self.outcomes if o.outcome == "failed"]

    @property
    def busy(self) -> list[SiteOutcome]:
        """The sites left for a lock another process held past lock_timeout."""
        return [o for o in self.outcomes if o.lock_wait is not None]

    def count(self, outcome: Outcome) -> int:
        return sum(1 for o in self.outcomes if o.outcome == outcome)


def busy_reason(wait: LockWait) -> str:
    return f"busy ({wait})"


def mark_busy(outcome: SiteOutcome, wait: LockWait) -> None:
    outcome.reason = busy_reason(wait)
    outcome.lock_wait = str(wait)
