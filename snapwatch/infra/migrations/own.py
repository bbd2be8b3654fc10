"""snapwatch's own schema: numbered versions, each applied once and recorded."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

from psycopg import sql

SCHEMA = "snapwatch"

BOOTSTRAP_SQL = """\
CREATE SCHEMA IF NOT EXISTS snapwatch;
CREATE TABLE IF NOT EXISTS snapwatch.schema_migrations (
    version integer PRIMARY KEY,
    name text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)"""

_FILE_NAME = re.compile(r"(?P<number>\d{4})_(?P<name>\w+)\.sql")


@dataclass(frozen=True)
class Version:
    number: int
    name: str
    summary: str
    sql: str

    def apply_sql(self) -> str:
        """The version's DDL followed by its row in schema_migrations."""
        record = sql.SQL(
            "INSERT INTO snapwatch.schema_migrations (version, name) VALUES ({}, {})"
        ).format(sql.Literal(self.number), sql.Literal(self.name))
        return f"{self.sql.rstrip().rstrip(';')};\n{record.as_string()}"


def load_versions() -> tuple[Version, ...]:
    """Every ``versions/NNNN_name.sql`` in order; the first line (a comment) summarises it."""
    folder = resources.files(__package__).joinpath("versions")
    found = []
    for entry in folder.iterdir():
        match = _FILE_NAME.fullmatch(entry.name)
        if match is None:
            continue
        text = entry.read_text(encoding="utf-8")
        first = text.splitlines()[0] if text else ""
        summary = first.removeprefix("--").strip() if first.startswith("--") else match["name"]
        found.append(Version(int(match["number"]), match["name"], summary, text))
    found.sort(key=lambda v: v.number)
    numbers = [v.number for v in found]
    if numbers != list(range(1, len(found) + 1)):
        raise ValueError(f"snapwatch schema versions must be numbered 1, 2, ...: {numbers}")
    return tuple(found)


VERSIONS = load_versions()
LATEST_VERSION = VERSIONS[-1].number
