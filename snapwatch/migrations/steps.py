"""A migration plan: the ordered steps that bring a database to what snapwatch needs."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Step:
    """One change. ``concurrently`` steps cannot run inside a transaction."""

    description: str
    sql: str
    concurrently: bool = False


@dataclass
class MigrationPlan:
    steps: list[Step] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not self.steps

    def render(self) -> str:
        """One line per step, or "nothing to do"."""
        if self.is_empty:
            return "nothing to do"
        return "\n".join(
            f"- {step.description}" + (" (concurrently)" if step.concurrently else "")
            for step in self.steps
        )
