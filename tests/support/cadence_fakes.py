"""A fake session's snapshot rows, kept the way the writer keeps them (cadence tests)."""

from __future__ import annotations

from dataclasses import dataclass, field

from snapwatch.schedule.plan import PlannedSlot
from snapwatch.schedule.sessions import SessionState
from snapwatch.schedule.slots import Slot


@dataclass
class FakeSession:
    """The rows of one session's snapshots, kept the way the writer keeps them."""

    rows: dict[int, tuple[Slot, bool]] = field(default_factory=dict)  # wake -> (round, prov.)

    def state(self) -> SessionState:
        final = {w: s for w, (s, prov) in self.rows.items() if not prov}
        return SessionState(
            covered_from=min((s.start for s in final.values()), default=None),
            covered_until=max((s.end for s in final.values()), default=None),
            last_wake_number=max(final, default=0),
            provisional={s.start: w for w, (s, prov) in self.rows.items() if prov},
        )

    def write(self, planned: PlannedSlot) -> None:
        wake = planned.wake_number
        assert wake >= 1
        if wake in self.rows:
            old, old_provisional = self.rows[wake]
            # Only a provisional row of the same slot may be replaced.
            assert old_provisional and old.start == planned.slot.start, (wake, old, planned)
        self.rows[wake] = (planned.slot, planned.provisional)

    def final_wakes_by_end(self) -> list[int]:
        final = [(s.end, w) for w, (s, prov) in self.rows.items() if not prov]
        return [w for _, w in sorted(final)]
