"""What each kind of snapwatch process needs from the role it connects as: the one rule.

The role check (:mod:`snapwatch.infra.access.judge`) compares these needs with what the role
has; the GRANTs an owner runs once (:mod:`snapwatch.infra.access.grants`) are printed from the
same list, so the two can never disagree.

Platform tables are read whole (snapwatch selects rows with ``*`` in places, and the
platform adds columns), so SELECT is a table right. The only platform row snapwatch
changes besides its snapshots is ``sites.last_snapshot_at``: that one is a column right,
so the writer can never rename a site. Row-level security is judged for the same
commands as the rights (a SELECT need wants a SELECT policy, an INSERT need an INSERT
policy...).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from snapwatch.infra.migrations.own import SCHEMA
from snapwatch.infra.migrations.platform import PLATFORM_TABLES

PUBLIC = "public"
SNAPSHOTS = "session_wake_snapshots"


class Right(Enum):
    USAGE = "USAGE"
    SELECT = "SELECT"
    INSERT = "INSERT"
    UPDATE = "UPDATE"
    DELETE = "DELETE"


class Job(Enum):
    """The kinds of process, by what they do to the database."""

    VIEW = "view"
    """``status``, ``inspect``, the app (with ``--read-only`` it does nothing else)."""
    SCHEDULE = "schedule"
    """The daemon, the app's embedded scheduler, ``run-once``, ``force``."""
    PAUSE = "pause"
    """``pause`` and ``resume`` (the keys and the commands)."""
    BACKFILL = "backfill"
    """``backfill``: writes past slots like the scheduler and records its run."""
    REPLACE = "replace"
    """``backfill --replace`` and ``--restore``: also moves broken rows aside and back."""

    @property
    def doing(self) -> str:
        """What a refused role cannot do, as in ``role "x" cannot <doing>: ...``."""
        return _DOING[self]


_DOING = {
    Job.VIEW: "read snapshots",
    Job.SCHEDULE: "run the scheduler",
    Job.PAUSE: "pause or resume snapshots",
    Job.BACKFILL: "backfill snapshots",
    Job.REPLACE: "replace or restore snapshots",
}


@dataclass(frozen=True)
class Need:
    """One right on one object: a schema (``table`` None), a table, or one column."""

    right: Right
    schema: str
    table: str | None = None
    column: str | None = None

    @property
    def relation(self) -> str:
        """The table as messages name it: platform tables by their bare names, as the
        platform does (``session_wake_snapshots``), snapwatch's by schema
        (``snapwatch.runs``); ``schema snapwatch`` for a schema."""
        if self.table is None:
            return f"schema {self.schema}"
        return self.table if self.schema == PUBLIC else f"{self.schema}.{self.table}"

    @property
    def target(self) -> str:
        """The object of the right: the relation, or ``sites.last_snapshot_at``."""
        return self.relation if self.column is None else f"{self.relation}.{self.column}"


# snapwatch's own tables (a test holds this list to the migrated schema).
OWN_TABLES = (
    "schema_migrations",
    "runs",
    "run_sites",
    "scheduler_instances",
    "pauses",
    "provisional_snapshots",
    "clocks",
    "replaced_snapshots",
    "activity",
)


def _rights(schema: str, table: str, *rights: Right) -> tuple[Need, ...]:
    return tuple(Need(right, schema, table) for right in rights)


_VIEW = (
    Need(Right.USAGE, PUBLIC),
    Need(Right.USAGE, SCHEMA),
    *(Need(Right.SELECT, PUBLIC, table) for table in PLATFORM_TABLES),
    *(Need(Right.SELECT, SCHEMA, table) for table in OWN_TABLES),
)

_SCHEDULE = (
    *_rights(PUBLIC, SNAPSHOTS, Right.INSERT, Right.UPDATE),
    # The writer locks the site row (FOR UPDATE) and moves last_snapshot_at forward.
    Need(Right.UPDATE, PUBLIC, "sites", "last_snapshot_at"),
    *_rights(SCHEMA, "runs", Right.INSERT, Right.DELETE),  # DELETE: pruning old history
    *_rights(SCHEMA, "run_sites", Right.INSERT),
    *_rights(SCHEMA, "scheduler_instances", Right.INSERT, Right.UPDATE, Right.DELETE),
    *_rights(SCHEMA, "provisional_snapshots", Right.INSERT, Right.DELETE),
    *_rights(SCHEMA, "clocks", Right.INSERT, Right.UPDATE),  # shared accelerated clocks
    *_rights(SCHEMA, "activity", Right.INSERT),  # the trail of actions and events
)

_PAUSE = (
    *_rights(SCHEMA, "pauses", Right.INSERT, Right.UPDATE),
    *_rights(SCHEMA, "activity", Right.INSERT),
)

# A backfill updates its run as it goes (progress, counts).
_BACKFILL = _rights(SCHEMA, "runs", Right.UPDATE)

_REPLACE = (
    *_rights(PUBLIC, SNAPSHOTS, Right.DELETE),
    *_rights(SCHEMA, "replaced_snapshots", Right.INSERT, Right.UPDATE),
)

NEEDS: dict[Job, tuple[Need, ...]] = {
    Job.VIEW: _VIEW,
    Job.SCHEDULE: _VIEW + _SCHEDULE,
    Job.PAUSE: _VIEW + _PAUSE,
    Job.BACKFILL: _VIEW + _SCHEDULE + _BACKFILL,
    Job.REPLACE: _VIEW + _SCHEDULE + _BACKFILL + _REPLACE,
}

WRITER_JOBS = (Job.SCHEDULE, Job.PAUSE, Job.BACKFILL)
"""What the writer role (the daemon's) is granted: it also serves the operator's actions.
Not :attr:`Job.REPLACE`: no daemon deletes snapshots, so DELETE is granted by hand to the
role that runs ``backfill --replace`` or ``--restore``."""
READER_JOBS = (Job.VIEW,)


def needs_of(jobs: tuple[Job, ...]) -> tuple[Need, ...]:
    """The needs of several jobs, each once, in the rule's order."""
    return tuple(dict.fromkeys(need for job in jobs for need in NEEDS[job]))


ALL_NEEDS = needs_of(tuple(Job))
