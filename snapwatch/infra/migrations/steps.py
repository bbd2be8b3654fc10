"""A migration plan: the ordered steps that bring a database to what snapwatch needs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True)
class Requirement:
    """What the migrating role must have for a step: to own a table or a schema (``owner``),
    or the CREATE right on a schema or on the database."""

    right: Literal["owner", "CREATE"]
    kind: Literal["table", "schema", "database"]
    name: str = ""
    """``public.sites``, ``snapwatch``; empty for the database connected to."""


@dataclass(frozen=True)
class Step:
    """One change. ``concurrently`` steps cannot run inside a transaction."""

    description: str
    sql: str
    concurrently: bool = False
    requires: Requirement | None = None
    """None: the role that runs the plan's earlier steps has what this one needs (it
    owns the schema it created)."""


@dataclass
class MigrationPlan:
    steps: list[Step] = field(default_factory=list)
    schema_version: int = 0
    """snapwatch's own schema version in the database when planned (0: none yet)."""
    latest_version: int = 0
    """The version this snapwatch brings the schema to."""

    @property
    def is_empty(self) -> bool:
        return not self.steps

    def version_line(self) -> str:
        """``schema version 3 of 4`` (or ``no snapwatch schema yet``)."""
        if self.schema_version == 0:
            return f"no snapwatch schema yet (this snapwatch brings version {self.latest_version})"
        return f"schema version {self.schema_version} of {self.latest_version}"

    def render(self) -> str:
        """One line per step, or "nothing to do"."""
        if self.is_empty:
            return "nothing to do"
        return "\n".join(
            f"- {step.description}" + (" (concurrently)" if step.concurrently else "")
            for step in self.steps
        )
