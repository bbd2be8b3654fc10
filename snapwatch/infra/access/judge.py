"""Can this role do this job? Pure: the needs (:mod:`snapwatch.infra.access.needs`) against
the facts (:mod:`snapwatch.infra.access.facts`).

Refused, with one line, when:

- a right is missing (``role "x" cannot run the scheduler: no INSERT on ...``);
- row-level security applies to the role (enabled on the table; the role neither
  superuser nor BYPASSRLS; not the owner, or the owner under FORCE ROW LEVEL SECURITY)
  and no permissive policy for the command applies to it: PostgreSQL would hide every
  row, or refuse every write, without an error.

Where only conditional policies let the role through (``USING (company_id = ...)``) the
role may be meant to see part of the platform: that is allowed, with a warning naming
the policies, because refusing would stop a legitimate setup and the warning shows in
``status``, the app and the daemon's health. A policy counts as unconditional when its
expression is exactly ``true``.

For the jobs that write, a database that accepts no writes (a hot standby, or
``default_transaction_read_only`` set on the database or the role) is said apart: that
is a state of the database, not of the role.
"""

from __future__ import annotations

from dataclasses import dataclass

from snapwatch.infra.access.facts import AccessFacts, Policy, TableFacts
from snapwatch.infra.access.needs import NEEDS, READER_JOBS, WRITER_JOBS, Job, Need, Right
from snapwatch.text.inert import name, quoted

_COMMAND = {Right.SELECT: "r", Right.INSERT: "a", Right.UPDATE: "w", Right.DELETE: "d"}
_VERB = {
    Right.SELECT: "see",
    Right.INSERT: "insert",
    Right.UPDATE: "update",
    Right.DELETE: "delete",
}
_NOTHING = {
    Right.SELECT: "hides every row from role {role}",
    Right.INSERT: "refuses every row role {role} inserts",
    Right.UPDATE: "lets role {role} update no row",
    Right.DELETE: "lets role {role} delete no row",
}


@dataclass(frozen=True)
class Verdict:
    job: Job
    role: str
    missing: tuple[Need, ...] = ()
    """Rights the role lacks, in the rule's order."""
    hidden: tuple[str, ...] = ()
    """Row-level security that lets the role through nowhere, one line each."""
    warnings: tuple[str, ...] = ()
    """Row-level security that lets the role through only conditionally."""
    read_only: str | None = None
    """Why the database accepts no writes (writing jobs only)."""

    @property
    def refusal(self) -> str | None:
        """The one line that refuses the role, or None when it can do the job."""
        if self.missing:
            first = self.missing[0]
            same = [n for n in self.missing if n.target == first.target]
            rights = ", ".join(n.right.value for n in same)
            word = "of" if first.column is not None else "on"
            line = f"role {quoted(self.role)} cannot {self.job.doing}"
            line += f": no {rights} {word} {first.target}"
            more = len(self.missing) - len(same)
            also = f"and {more} more rights; " if more else ""
            if self.job not in WRITER_JOBS + READER_JOBS:
                return f"{line} ({also}grant them to {name(self.role)}, or run as the owner)"
            flag = "--writer" if self.job in WRITER_JOBS else "--reader"
            return (
                f"{line} ({also}the GRANTs: snapwatch migrate --print-owner-sql"
                f" {flag} {name(self.role)})"
            )
        if self.hidden:
            more = len(self.hidden) - 1
            return self.hidden[0] + (f" (and {more} more like it)" if more else "")
        return None

    @property
    def ok(self) -> bool:
        return self.refusal is None


def judge(job: Job, facts: AccessFacts) -> Verdict:
    """Whether the role can do ``job``; needs on objects that do not exist are skipped."""
    needs = [n for n in NEEDS[job] if n in facts.granted]
    missing = tuple(n for n in needs if not facts.granted[n])
    hidden: list[str] = []
    warnings: list[str] = []
    seen: set[tuple[str, str, Right]] = set()
    for need in needs:
        if need.table is None or need.right is Right.USAGE:
            continue
        key = (need.schema, need.table, need.right)
        table = facts.tables.get((need.schema, need.table))
        if key in seen or table is None:
            continue
        seen.add(key)
        if not row_security_applies(table, bypasses=facts.role.bypasses_rls):
            continue
        refused, warned = _policies_verdict(table, need, facts.role.name)
        hidden += refused
        warnings += warned
    read_only = read_only_reason(facts) if job in WRITER_JOBS else None
    return Verdict(job, facts.role.name, missing, tuple(hidden), tuple(warnings), read_only)


def row_security_applies(table: TableFacts, *, bypasses: bool) -> bool:
    """PostgreSQL's rule: enabled, the role does not bypass it, and it is not the owner
    (unless the table forces it on its owner too)."""
    return table.rls and not bypasses and (not table.owned or table.forced)


def read_only_reason(facts: AccessFacts) -> str | None:
    role = facts.role
    if role.in_recovery:
        return "the database is read-only (standby?): the server is a hot standby in recovery"
    if role.read_only_default is not None:
        where = _SOURCES.get(role.read_only_default, f"({role.read_only_default})")
        return f"the database is read-only (standby?): default_transaction_read_only is on {where}"
    return None


_SOURCES = {
    "database": "for this database",
    "user": "for this role",
    "database user": "for this role in this database",
    "configuration file": "in the server's configuration",
}


def _policies_verdict(table: TableFacts, need: Need, role: str) -> tuple[list[str], list[str]]:
    """(refusals, warnings) of the policies on ``table`` for the command of ``need``."""
    command = _COMMAND[need.right]
    applying = [p for p in table.policies if p.command in (command, "*")]
    permissive = [p for p in applying if p.permissive]
    restrictive = [p for p in applying if not p.permissive]
    relation = need.relation
    if not any(_lets_through(p, need.right) for p in permissive):
        what = _NOTHING[need.right].format(role=quoted(role))
        kind = "" if need.right is Right.SELECT else f"{need.right.value} "
        return [
            f"row-level security on {relation} {what} (no {kind}policy for it; "
            "grant BYPASSRLS or add a policy)"
        ], []
    conditional = [p for p in restrictive if not _unconditional(p, need.right)]
    if not any(_unconditional(p, need.right) for p in permissive):
        conditional = [p for p in permissive if _lets_through(p, need.right)] + conditional
    if not conditional:
        return [], []
    names = ", ".join(quoted(p.name) for p in conditional)
    policy = "policy" if len(conditional) == 1 else "policies"
    verb = _VERB[need.right]
    return [], [
        f"row-level security on {relation} limits what role {quoted(role)} can {verb}"
        f" to the rows {policy} {names} allow{'s' if len(conditional) == 1 else ''}"
    ]


def _expressions(policy: Policy, right: Right) -> tuple[str | None, ...]:
    """The expressions PostgreSQL applies for ``right``: USING for the rows read, WITH
    CHECK (or USING when a policy has none) for the rows written."""
    check = policy.check if policy.check is not None else policy.using
    if right is Right.INSERT:
        return (check,)
    if right is Right.UPDATE:
        return (policy.using, check)
    return (policy.using,)


def _lets_through(policy: Policy, right: Right) -> bool:
    """A permissive policy lets some rows through unless an expression it needs is absent
    (PostgreSQL then adds nothing for it, and nothing passes)."""
    return all(e is not None for e in _expressions(policy, right))


def _unconditional(policy: Policy, right: Right) -> bool:
    """Lets every row through: each expression is ``true`` (a restrictive policy without
    one restricts nothing)."""
    expressions = _expressions(policy, right)
    if policy.permissive:
        return all(e is not None and e.strip() == "true" for e in expressions)
    return all(e is None or e.strip() == "true" for e in expressions)
