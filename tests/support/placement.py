"""Placement history in a test database, as the platform keeps it.

snapwatch's own database has no ``device_site_assignments``; a platform database does
(its migration 20251108120000_add_junction_tables_and_codes). This makes one of the same
shape: a row per stay of a device at a site, from ``assigned_at`` until ``unassigned_at``
(NULL while it is there), with the platform's checks and its indexes on device and site.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import psycopg

from support.overview_rows import Rows

PLACEMENT_HISTORY_DDL = """
CREATE TABLE public.device_site_assignments (
    assignment_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    device_id uuid NOT NULL REFERENCES devices (device_id) ON DELETE CASCADE,
    site_id uuid NOT NULL REFERENCES sites (site_id) ON DELETE CASCADE,
    program_id uuid NOT NULL REFERENCES pilot_programs (program_id) ON DELETE CASCADE,
    is_primary boolean DEFAULT false,
    is_active boolean DEFAULT true,
    assigned_at timestamptz NOT NULL DEFAULT now(),
    assigned_by_user_id uuid,
    unassigned_at timestamptz,
    unassigned_by_user_id uuid,
    reason text,
    notes text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT check_unassigned_after_assigned
        CHECK (unassigned_at IS NULL OR unassigned_at >= assigned_at),
    CONSTRAINT check_active_not_unassigned
        CHECK (NOT (is_active = true AND unassigned_at IS NOT NULL))
);
CREATE INDEX idx_device_site_assignments_device ON device_site_assignments (device_id);
CREATE INDEX idx_device_site_assignments_site ON device_site_assignments (site_id);
"""


def create_placement_history(dsn: str) -> None:
    """The platform's ``device_site_assignments`` table, empty, owned by the superuser the
    test DSNs connect as (no other role may read it until granted)."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(PLACEMENT_HISTORY_DDL.encode())


def assign(
    rows: Rows, device_id: UUID, site_id: UUID, since: datetime, until: datetime | None = None
) -> UUID:
    """``device_id`` placed at ``site_id`` from ``since`` until ``until`` (None: still)."""
    row = rows.conn.execute(
        """
        INSERT INTO device_site_assignments
               (device_id, site_id, program_id, is_primary, is_active, assigned_at,
                unassigned_at)
        SELECT %(device)s, s.site_id, s.program_id, true, %(until)s::timestamptz IS NULL,
               %(since)s, %(until)s::timestamptz
          FROM sites s
         WHERE s.site_id = %(site)s
        RETURNING assignment_id
        """,
        {"device": device_id, "site": site_id, "since": since, "until": until},
    ).fetchone()
    assert row is not None
    return UUID(str(row[0]))
