-- activity: the audit trail of operator actions and the schedulers' notable events
--
-- One row per operator action (force, pause, resume, a pause changed, export, backfill,
-- restore, refresh) and per notable scheduler event (a tick that wrote or failed
-- something, an outage seen by an instance once it was over, a conflict found): who
-- (user@host), which process, what, on which site, with what result. Stamped with the
-- database's clock (clock_timestamp(): rows written in one transaction keep their order).
-- Kinds are not checked here: the code names them (snapwatch.schedule.activity), and a
-- newer kind must not need a migration.
CREATE TABLE snapwatch.activity (
    activity_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    at timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor text NOT NULL,
    process text NOT NULL,
    kind text NOT NULL,
    site_id uuid,
    scope text NOT NULL DEFAULT '',
    detail jsonb NOT NULL DEFAULT '{}'::jsonb,
    result text NOT NULL DEFAULT 'ok'
);
CREATE INDEX idx_activity_at ON snapwatch.activity (at DESC);

-- A role that already records runs records activity too, and a role that reads runs
-- reads it: upgrading snapwatch must not stop a least-privilege writer role, granted
-- by an earlier `migrate --print-owner-sql`, from scheduling and pausing.
DO $$
DECLARE
    granted record;
BEGIN
    FOR granted IN
        SELECT DISTINCT a.privilege_type, a.grantee::regrole AS role
          FROM pg_class c, aclexplode(c.relacl) a
         WHERE c.oid = 'snapwatch.runs'::regclass
           AND a.privilege_type IN ('INSERT', 'SELECT')
           AND a.grantee <> 0
           AND a.grantee <> c.relowner
    LOOP
        EXECUTE format('GRANT %s ON snapwatch.activity TO %s', granted.privilege_type, granted.role);
    END LOOP;
END
$$;
