-- history: backfill runs in the run history, and the rows a backfill replaced
--
-- A backfill is recorded like a tick (kind 'backfill'), with who started it and what it
-- covers in detail (range, sites, counts, rate); its per-site rows carry trigger
-- 'backfill'. A row a backfill replaces (asked for with --replace) is first copied here
-- whole, in the transaction that replaces it, and `snapwatch backfill --restore` puts it
-- back.
ALTER TABLE snapwatch.runs ADD COLUMN kind text NOT NULL DEFAULT 'tick'
    CHECK (kind IN ('tick', 'backfill'));
ALTER TABLE snapwatch.runs ADD COLUMN started_by text;
ALTER TABLE snapwatch.runs ADD COLUMN detail jsonb;
ALTER TABLE snapwatch.run_sites DROP CONSTRAINT run_sites_trigger_check;
ALTER TABLE snapwatch.run_sites ADD CONSTRAINT run_sites_trigger_check
    CHECK (trigger IN ('schedule', 'catch_up', 'force', 'backfill'));
CREATE TABLE snapwatch.replaced_snapshots (
    replaced_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    snapshot_id uuid NOT NULL,
    site_id uuid NOT NULL,
    session_id uuid NOT NULL,
    wake_number integer NOT NULL,
    wake_round_start timestamptz,
    wake_round_end timestamptz,
    -- other_shape, invalid_v1, off_grid: why the audit called it broken
    kind text NOT NULL,
    -- the whole row, every column the platform has (to_jsonb of the row)
    row_data jsonb NOT NULL,
    replaced_at timestamptz NOT NULL,
    replaced_by text NOT NULL,
    reason text NOT NULL,
    run_id uuid,
    replacement_id uuid,
    restored_at timestamptz,
    restored_by text
);
CREATE INDEX idx_replaced_snapshots_site ON snapwatch.replaced_snapshots (site_id, replaced_at DESC);
