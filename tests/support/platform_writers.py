"""SQL functions shaped like the platform's own writers of snapshots, and look-alikes.

The platform generated snapshots from SQL before snapwatch: a pg_cron job ran
``generate_scheduled_snapshots()``, which loops over the sites and calls
``generate_session_wake_snapshot(...)``, which inserts the row. Beside it, a report job
``generate_scheduled_report_snapshots()`` writes *report* snapshots to another table; a
trigger on wake payloads generated a snapshot when a wake completed; and the web app could
call a function that rewrites one. These are small stand-ins with the same shapes (the
comments, string literals and log rows that mention ``session_wake_snapshots`` without
writing it included), not the platform's code.

:data:`FUNCTIONS` is PL/pgSQL only, so it installs in a database without the platform's
tables (PL/pgSQL bodies are checked when they run, not when they are created): the pg_cron
cluster's. :data:`TRIGGER_AND_RPC` needs the platform's tables (a trigger on
``device_wake_payloads``, a SQL-standard body) and goes on a migrated database.
"""

from __future__ import annotations

from typing import Any

import psycopg

FUNCTIONS = """
CREATE TABLE IF NOT EXISTS report_snapshots (
    report_snapshot_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    report_id bigint NOT NULL,
    data jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS async_error_logs (
    table_name text,
    function_name text,
    error_message text
);

-- Writes one snapshot row: the old generator.
CREATE OR REPLACE FUNCTION generate_session_wake_snapshot(
    p_session_id uuid, p_wake_number integer, p_start timestamptz, p_end timestamptz
) RETURNS uuid LANGUAGE plpgsql AS $fn$
DECLARE
    v_id uuid;
BEGIN
    INSERT INTO public.session_wake_snapshots (
        company_id, program_id, site_id, session_id, wake_number,
        wake_round_start, wake_round_end, site_state
    )
    SELECT s.company_id, s.program_id, s.site_id, s.session_id, p_wake_number,
           p_start, p_end, '{}'::jsonb
    FROM site_device_sessions AS s
    WHERE s.session_id = p_session_id
    RETURNING snapshot_id INTO v_id;
    RETURN v_id;
END
$fn$;

-- The cron entry point: decides which sites are due and delegates the write.
CREATE OR REPLACE FUNCTION generate_scheduled_snapshots() RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER AS $fn$
DECLARE
    v_site record;
    v_session uuid;
    v_snapshot uuid;
    v_written integer := 0;
BEGIN
    -- Every due site gets a row in session_wake_snapshots (through the generator below).
    FOR v_site IN SELECT site_id, snapshot_cadence_per_day FROM sites LOOP
        BEGIN
            SELECT session_id INTO v_session
            FROM site_device_sessions
            WHERE site_id = v_site.site_id AND status = 'in_progress'
            LIMIT 1;
            CONTINUE WHEN v_session IS NULL;
            v_snapshot := generate_session_wake_snapshot(
                v_session, 1, now() - interval '1 hour', now()
            );
            v_written := v_written + 1;
        EXCEPTION WHEN OTHERS THEN
            INSERT INTO async_error_logs (table_name, function_name, error_message)
            VALUES ('session_wake_snapshots', 'generate_scheduled_snapshots', SQLERRM);
        END;
    END LOOP;
    RETURN jsonb_build_object('generated', v_written);
END
$fn$;

-- The report job: named like a snapshot generator, writes report snapshots only.
CREATE OR REPLACE FUNCTION generate_scheduled_report_snapshots() RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER AS $fn$
DECLARE
    v_rows jsonb;
BEGIN
    /* Reads wake data (not session_wake_snapshots) and stores a report snapshot:
       INSERT INTO session_wake_snapshots is never done here. */
    SELECT coalesce(jsonb_agg(to_jsonb(p)), '[]'::jsonb) INTO v_rows
    FROM (SELECT 1 AS x) AS p;
    INSERT INTO report_snapshots (report_id, data) VALUES (1, v_rows);
    INSERT INTO async_error_logs (table_name, function_name, error_message)
    VALUES ('report_snapshots', 'generate_scheduled_report_snapshots',
            'wrote a report, not INSERT INTO session_wake_snapshots');
    RETURN jsonb_build_object('generated', 1);
END
$fn$;

-- Builds its statement at run time: what it writes cannot be read from its code.
CREATE OR REPLACE FUNCTION rebuild_snapshot_partitions(p_table text DEFAULT 'report_snapshots')
RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
    EXECUTE format('DELETE FROM %I WHERE created_at < now() - interval %L', p_table, '90 days');
END
$fn$;
"""

TRIGGER_AND_RPC = """
-- Generates a snapshot when a wake payload completes.
CREATE OR REPLACE FUNCTION auto_snapshot_on_wake_complete() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    IF NEW.payload_status = 'complete' AND NEW.site_device_session_id IS NOT NULL THEN
        PERFORM generate_session_wake_snapshot(
            NEW.site_device_session_id, 1,
            NEW.captured_at - interval '30 minutes', NEW.captured_at + interval '30 minutes'
        );
    END IF;
    RETURN NEW;
END
$fn$;
CREATE TRIGGER trigger_auto_generate_snapshot
AFTER UPDATE ON device_wake_payloads
FOR EACH ROW EXECUTE FUNCTION auto_snapshot_on_wake_complete();

-- The same trigger function, disabled on another table: not a writer while disabled.
CREATE TRIGGER trigger_session_snapshot_disabled
AFTER UPDATE ON site_device_sessions
FOR EACH ROW EXECUTE FUNCTION auto_snapshot_on_wake_complete();
ALTER TABLE site_device_sessions DISABLE TRIGGER trigger_session_snapshot_disabled;

-- An RPC the web app calls, with a SQL-standard body (read with pg_get_functiondef).
CREATE OR REPLACE FUNCTION recompute_wake_snapshot(p_snapshot_id uuid) RETURNS void
LANGUAGE sql
BEGIN ATOMIC
    UPDATE session_wake_snapshots SET created_at = now() WHERE snapshot_id = p_snapshot_id;
END;
REVOKE EXECUTE ON FUNCTION recompute_wake_snapshot(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION recompute_wake_snapshot(uuid) TO authenticated;

-- The cron entry point is not for the web app.
REVOKE EXECUTE ON FUNCTION generate_scheduled_snapshots() FROM PUBLIC;
"""

DROP = """
DROP TABLE IF EXISTS report_snapshots, async_error_logs;
DROP FUNCTION IF EXISTS generate_session_wake_snapshot(uuid, integer, timestamptz, timestamptz),
    generate_scheduled_snapshots(), generate_scheduled_report_snapshots(),
    rebuild_snapshot_partitions(text);
"""

WEB_ROLES_SQL = """
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'anon') THEN
        CREATE ROLE anon NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'authenticated') THEN
        CREATE ROLE authenticated NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object THEN
    NULL;  -- created meanwhile by another session: what was wanted
END
$$
"""
"""The web app's roles, created when the cluster lacks them (roles are cluster-wide: they
are never dropped, other databases of the cluster may use them)."""


async def schedule(
    conn: psycopg.AsyncConnection[dict[str, Any]], name: str, when: str, cmd: str
) -> int:
    """``cron.schedule`` a job; its jobid."""
    cur = await conn.execute("SELECT cron.schedule(%s, %s, %s) AS jobid", (name, when, cmd))
    row = await cur.fetchone()
    assert row is not None
    return int(row["jobid"])
