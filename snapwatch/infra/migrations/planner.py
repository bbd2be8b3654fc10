"""From what a database has (a :class:`Catalog`) to what must change (a plan).

Pure: no database access here, so every rule can be read and tested on plain values.
"""

from __future__ import annotations

from snapwatch.infra.errors import SchemaError
from snapwatch.infra.migrations.catalog import Catalog, ExistingIndex
from snapwatch.infra.migrations.own import BOOTSTRAP_SQL, LATEST_VERSION, SCHEMA, VERSIONS
from snapwatch.infra.migrations.platform import (
    ADDED_COLUMNS,
    PLATFORM_INDEXES,
    PLATFORM_SQL,
    PLATFORM_TABLES,
    REQUIRED_COLUMNS,
    REQUIRED_UNIQUE_KEYS,
    IndexSpec,
)
from snapwatch.infra.migrations.steps import MigrationPlan, Requirement, Step

_CREATE_IN_DATABASE = Requirement("CREATE", "database")
_OWN_SCHEMA = Requirement("owner", "schema", SCHEMA)


def _owner_of(table: str) -> Requirement:
    return Requirement("owner", "table", f"public.{table}")


def build_plan(catalog: Catalog) -> MigrationPlan:
    """The steps, in order: platform tables or columns, snapwatch schema, then indexes.

    Raises :class:`SchemaError` when the database is something snapwatch must not repair:
    part of the platform missing, or a snapwatch schema newer than this version.
    """
    steps: list[Step] = []
    if "sites" not in catalog.public_tables:
        _refuse_partial_platform(catalog)
        steps.append(
            Step(
                "create the platform tables and their indexes",
                PLATFORM_SQL,
                requires=Requirement("CREATE", "schema", "public"),
            )
        )
        steps.extend(_own_steps(catalog))
        return MigrationPlan(steps)
    _check_platform(catalog)
    steps.extend(_column_steps(catalog))
    steps.extend(_own_steps(catalog))
    steps.extend(_index_steps(catalog))
    return MigrationPlan(steps)


def _refuse_partial_platform(catalog: Catalog) -> None:
    present = sorted(catalog.public_tables.intersection(PLATFORM_TABLES))
    if present:
        raise SchemaError(
            "database has platform tables (" + ", ".join(present) + ") but no sites table:"
            " snapwatch creates the platform tables only in an empty database"
        )


def _check_platform(catalog: Catalog) -> None:
    missing_tables = [t for t in PLATFORM_TABLES if t not in catalog.public_tables]
    if missing_tables:
        raise SchemaError(
            "existing platform database lacks table(s) " + ", ".join(missing_tables) + ":"
            " snapwatch does not create platform tables beside existing ones"
        )
    missing_columns = [
        f"{table}.{column}"
        for table, columns in REQUIRED_COLUMNS.items()
        for column in columns
        if column not in catalog.columns.get(table, frozenset())
    ]
    if missing_columns:
        raise SchemaError(
            "existing platform database lacks column(s) snapwatch reads: "
            + ", ".join(missing_columns)
        )
    for table, key in REQUIRED_UNIQUE_KEYS:
        if not any(_is_unique_key(index, table, key) for index in catalog.indexes):
            raise SchemaError(
                f"existing platform database has no unique key on {table} ({', '.join(key)})"
            )


def _is_unique_key(index: ExistingIndex, table: str, key: tuple[str, ...]) -> bool:
    return (
        index.table == table
        and index.unique
        and index.valid
        and index.predicate is None
        and sorted(c or "" for c in index.columns) == sorted(key)
    )


def _column_steps(catalog: Catalog) -> list[Step]:
    return [
        Step(
            f"add column {column.table}.{column.name} ({column.definition})",
            column.add_sql(),
            requires=_owner_of(column.table),
        )
        for column in ADDED_COLUMNS
        if column.name not in catalog.columns.get(column.table, frozenset())
    ]


def _own_steps(catalog: Catalog) -> list[Step]:
    newer = [v for v in catalog.applied_versions if v > LATEST_VERSION]
    if newer:
        raise SchemaError(
            f"database schema version {max(newer)} is newer than this snapwatch"
            f" (version {LATEST_VERSION}): upgrade snapwatch"
        )
    steps = []
    # Versions need the owner of schema snapwatch; a role that creates it owns it.
    versions_require: Requirement | None = _OWN_SCHEMA
    if "schema_migrations" not in catalog.own_tables:
        steps.append(
            Step(
                "create schema snapwatch and snapwatch.schema_migrations",
                BOOTSTRAP_SQL,
                requires=_CREATE_IN_DATABASE,
            )
        )
        versions_require = None
    steps.extend(
        Step(
            f"snapwatch schema version {v.number}: {v.summary}",
            v.apply_sql(),
            requires=versions_require,
        )
        for v in VERSIONS
        if v.number not in catalog.applied_versions
    )
    return steps


def _index_steps(catalog: Catalog) -> list[Step]:
    steps = []
    for spec in PLATFORM_INDEXES:
        if any(_serves(index, spec) for index in catalog.indexes):
            continue
        if any(i.table == spec.table and i.name == spec.name for i in catalog.indexes):
            # Ours, left invalid by an interrupted concurrent build: build it again.
            steps.append(
                Step(
                    f"drop invalid index {spec.name}",
                    spec.drop_sql(),
                    True,
                    _owner_of(spec.table),
                )
            )
        description = f"create index {spec.name} on {spec.table} ({spec.columns})"
        steps.append(Step(description, spec.create_sql(), True, _owner_of(spec.table)))
    return steps


def _serves(index: ExistingIndex, spec: IndexSpec) -> bool:
    """An existing valid index does the job of ``spec`` when it has the same name, or when
    its key starts with the same columns (either direction scans both ways) and it is not
    partial. Partial indexes under other names are not compared (their predicates are too
    varied to judge), so at worst a similar index is created beside them."""
    if index.table != spec.table or not index.valid:
        return False
    if index.name == spec.name:
        return True
    wanted = spec.key_columns
    return index.predicate is None and index.columns[: len(wanted)] == wanted
