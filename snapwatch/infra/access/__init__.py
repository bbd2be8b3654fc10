"""Can the connected role do what this process is about to do?

Every process checks before it reads or writes (:func:`require_access`): the rights its
kind of work needs (:mod:`~snapwatch.infra.access.needs`, the one rule), and row-level
security that would hide rows from it or refuse its writes without an error
(:mod:`~snapwatch.infra.access.judge`). A role that cannot do the job is one line and exit 2,
never an empty result; a database that accepts no writes is exit 3.

``status``, ``migrate --check``, the app's health pane and the daemon's health show
the whole answer (:func:`check_access`): what the role can do, and the warnings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from psycopg import AsyncConnection

from snapwatch.infra.access.facts import read_facts
from snapwatch.infra.access.judge import Verdict, judge
from snapwatch.infra.access.needs import ALL_NEEDS, NEEDS, Job
from snapwatch.infra.config import Settings
from snapwatch.infra.db import Target, connect
from snapwatch.infra.errors import AccessRefused, DatabaseReadOnly
from snapwatch.infra.migrations import require_current
from snapwatch.text.inert import quoted

__all__ = ["AccessReport", "Job", "Verdict", "check_access", "connect_for", "require_access"]


@dataclass(frozen=True)
class AccessReport:
    """Every job judged for one role."""

    role: str
    verdicts: dict[Job, Verdict]

    @property
    def warnings(self) -> tuple[str, ...]:
        """Each warning once, whichever jobs it concerns."""
        return tuple(dict.fromkeys(w for v in self.verdicts.values() for w in v.warnings))

    @property
    def read_only(self) -> str | None:
        return next((v.read_only for v in self.verdicts.values() if v.read_only), None)

    def summary(self) -> str:
        """``role "x" can read snapshots, run the scheduler, pause or resume snapshots``
        (or which it cannot)."""
        can = [job.doing for job, v in self.verdicts.items() if v.ok]
        cannot = [job.doing for job, v in self.verdicts.items() if not v.ok]
        parts = []
        if can:
            parts.append("can " + ", ".join(can))
        if cannot:
            parts.append("cannot " + ", ".join(cannot))
        return f"role {quoted(self.role)} " + "; ".join(parts)

    def refusals(self) -> list[str]:
        """The refusal line of each job the role cannot do, each once."""
        lines = (v.refusal for v in self.verdicts.values())
        return list(dict.fromkeys(line for line in lines if line))


async def check_access(conn: AsyncConnection[Any]) -> AccessReport:
    """What the connected role can do, job by job (two catalog queries)."""
    facts = await read_facts(conn, ALL_NEEDS)
    return AccessReport(facts.role.name, {job: judge(job, facts) for job in Job})


async def require_access(conn: AsyncConnection[Any], job: Job) -> Verdict:
    """The verdict for ``job`` (its warnings to show); raises :class:`AccessRefused` when
    the role cannot do it and :class:`DatabaseReadOnly` when the job writes and the
    database accepts no writes."""
    verdict = judge(job, await read_facts(conn, NEEDS[job]))
    refusal = verdict.refusal
    if refusal is not None:
        raise AccessRefused(refusal)
    if verdict.read_only is not None:
        raise DatabaseReadOnly(verdict.read_only)
    return verdict


async def connect_for(
    target: Target, settings: Settings, job: Job, *, read_only: bool = False
) -> tuple[AsyncConnection[dict[str, Any]], Verdict]:
    """A connection for a one-shot command that does ``job``: the role checked first
    (a role that may not read the schema's version gets its line, not a permission
    error), then the schema. The caller closes the connection."""
    conn = await connect(target, settings, read_only=read_only)
    try:
        verdict = await require_access(conn, job)
        await require_current(conn)
    except BaseException:
        await conn.close()
        raise
    return conn, verdict
