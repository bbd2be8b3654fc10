"""The platform's tables as snapwatch needs them.

On its own database snapwatch runs ``platform.sql``. On an existing platform database it
only checks that the tables and columns it reads are there, adds the few columns it owns
when they are missing, and creates the indexes it relies on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

from psycopg import sql

PLATFORM_SQL = resources.files(__package__).joinpath("platform.sql").read_text(encoding="utf-8")

# The columns snapwatch reads, per table (design/domain.md). Columns the platform marks
# optional (sites.site_code, sites.type, device_alerts.session_id/snapshot_id/wake_number)
# are not required; neither are the ones in ADDED_COLUMNS, which snapwatch adds itself.
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "companies": ("company_id", "name"),
    "pilot_programs": ("program_id", "company_id", "name", "start_date", "end_date", "status"),
    "sites": (
        "site_id", "program_id", "company_id", "name", "length", "width", "height", "zones",
        "timezone",
    ),
    "devices": (
        "device_id", "device_mac", "device_code", "device_name", "site_id", "program_id",
        "company_id", "x_position", "y_position", "zone_id", "zone_label", "is_active",
        "provisioning_status", "battery_voltage", "battery_health_percent", "wifi_rssi",
        "last_seen_at", "last_wake_at", "wake_schedule_cron", "latest_mgi_score",
        "latest_mgi_velocity", "latest_mgi_at",
    ),
    "site_device_sessions": (
        "session_id", "company_id", "program_id", "site_id", "session_date",
        "session_start_time", "session_end_time", "expected_wake_count",
        "completed_wake_count", "failed_wake_count", "extra_wake_count", "status", "locked_at",
    ),
    "device_images": (
        "image_id", "device_id", "image_url", "captured_at", "status", "site_id",
        "site_device_session_id", "wake_payload_id", "mgi_score", "scored_at",
        "observation_type",
    ),
    "device_wake_payloads": (
        "payload_id", "company_id", "program_id", "site_id", "site_device_session_id",
        "device_id", "captured_at", "received_at", "temperature", "humidity", "pressure",
        "gas_resistance", "battery_voltage", "wifi_rssi", "image_id", "payload_status",
        "wake_type",
    ),
    "device_alerts": (
        "alert_id", "device_id", "site_id", "company_id", "program_id", "alert_type",
        "severity", "message", "triggered_at", "resolved_at",
    ),
    "session_wake_snapshots": (
        "snapshot_id", "company_id", "program_id", "site_id", "session_id", "wake_number",
        "wake_round_start", "wake_round_end", "site_state", "active_devices_count",
        "new_images_this_round", "new_alerts_this_round", "avg_temperature", "avg_humidity",
        "avg_mgi", "max_mgi", "created_at",
    ),
}  # fmt: skip

PLATFORM_TABLES = tuple(REQUIRED_COLUMNS)

# Unique keys snapwatch's writes depend on (ON CONFLICT targets).
REQUIRED_UNIQUE_KEYS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("session_wake_snapshots", ("session_id", "wake_number")),
)


@dataclass(frozen=True)
class AddedColumn:
    """A column snapwatch adds to an existing platform table when it is missing.

    Always nullable without a default, so adding it never rewrites the table.
    """

    table: str
    name: str
    definition: str

    def add_sql(self) -> str:
        return (
            sql.SQL("ALTER TABLE {} ADD COLUMN IF NOT EXISTS {} {}")
            .format(
                sql.Identifier("public", self.table),
                sql.Identifier(self.name),
                sql.SQL(self.definition),  # static text defined below
            )
            .as_string()
        )


ADDED_COLUMNS: tuple[AddedColumn, ...] = (
    AddedColumn(
        "sites",
        "snapshot_cadence_hours",
        "numeric(6, 3) CONSTRAINT sites_snapshot_cadence_hours_check"
        " CHECK (snapshot_cadence_hours > 0 AND snapshot_cadence_hours <= 24)",
    ),
    AddedColumn("sites", "snapshot_cadence_per_day", "integer"),
    AddedColumn("sites", "last_snapshot_at", "timestamptz"),
)


_INDEX_LINE = re.compile(
    r"CREATE INDEX (?P<name>\w+) ON (?P<table>\w+) \((?P<columns>[^)]*)\)"
    r"(?: WHERE (?P<where>.+))?;"
)


@dataclass(frozen=True)
class IndexSpec:
    """An index snapwatch relies on, as written in ``platform.sql``."""

    name: str
    table: str
    columns: str
    where: str | None

    @property
    def key_columns(self) -> tuple[str, ...]:
        """Column names in key order, without ASC/DESC."""
        return tuple(part.split()[0] for part in self.columns.split(","))

    def create_sql(self) -> str:
        where = sql.SQL(" WHERE " + self.where) if self.where else sql.SQL("")
        return (
            sql.SQL("CREATE INDEX CONCURRENTLY IF NOT EXISTS {} ON {} ({}){}")
            .format(
                sql.Identifier(self.name),
                sql.Identifier("public", self.table),
                sql.SQL(self.columns),  # static text from platform.sql
                where,
            )
            .as_string()
        )

    def drop_sql(self) -> str:
        return (
            sql.SQL("DROP INDEX CONCURRENTLY IF EXISTS {}")
            .format(sql.Identifier("public", self.name))
            .as_string()
        )


def parse_indexes(text: str) -> tuple[IndexSpec, ...]:
    """The CREATE INDEX lines of ``platform.sql``; each must be one line in the known form."""
    specs = []
    for line in text.splitlines():
        if not line.startswith("CREATE INDEX"):
            continue
        match = _INDEX_LINE.fullmatch(line.strip())
        if match is None:
            raise ValueError(f"platform.sql: index not in the one-line form: {line}")
        specs.append(
            IndexSpec(match["name"], match["table"], match["columns"], match["where"] or None)
        )
    return tuple(specs)


PLATFORM_INDEXES = parse_indexes(PLATFORM_SQL)
