-- pauses, scheduler instances, runs and per-site run outcomes
--
-- snapwatch's own tables live in schema snapwatch, never in public. Site ids are not
-- foreign keys to public.sites: snapwatch's bookkeeping must not lock or constrain the
-- platform's tables, and a deleted site only leaves harmless history behind.

-- Snapshot pauses. site_id NULL = global pause. A pause is active while resumed_at is
-- NULL and expires_at is NULL or in the future.
CREATE TABLE snapwatch.pauses (
    pause_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    site_id uuid,
    paused_by text NOT NULL,
    paused_at timestamptz NOT NULL DEFAULT now(),
    reason text,
    expires_at timestamptz,
    resumed_at timestamptz,
    resumed_by text
);
CREATE INDEX idx_pauses_active ON snapwatch.pauses (site_id, expires_at) WHERE resumed_at IS NULL;

-- Every process that ticks (TUI with the embedded scheduler, daemon, run-once), with
-- its heartbeat and the figures the health pane shows.
CREATE TABLE snapwatch.scheduler_instances (
    instance_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    host text NOT NULL,
    pid integer NOT NULL,
    mode text NOT NULL CHECK (mode IN ('tui', 'daemon', 'once')),
    started_at timestamptz NOT NULL DEFAULT now(),
    heartbeat_at timestamptz NOT NULL DEFAULT now(),
    last_tick_at timestamptz,
    next_tick_at timestamptz,
    last_duration_ms double precision,
    last_success_at timestamptz,
    last_error text,
    paused boolean NOT NULL DEFAULT false,
    stopped_at timestamptz
);
CREATE INDEX idx_scheduler_instances_heartbeat ON snapwatch.scheduler_instances (heartbeat_at DESC);

-- One row per tick of one process.
CREATE TABLE snapwatch.runs (
    run_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    instance_id uuid,
    started_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    -- The instant the run evaluated due-ness at (the injected clock's now).
    as_of timestamptz,
    status text NOT NULL DEFAULT 'running'
        CHECK (status IN ('running', 'ok', 'partial', 'failed')),
    sites_written integer NOT NULL DEFAULT 0,
    sites_skipped integer NOT NULL DEFAULT 0,
    sites_failed integer NOT NULL DEFAULT 0,
    error text
);
CREATE INDEX idx_runs_started ON snapwatch.runs (started_at DESC);
CREATE INDEX idx_runs_instance_started ON snapwatch.runs (instance_id, started_at DESC);

-- What a run did with each site, and why. A site can appear several times in one run
-- (catch-up writes several slots).
CREATE TABLE snapwatch.run_sites (
    run_site_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    run_id uuid NOT NULL REFERENCES snapwatch.runs (run_id) ON DELETE CASCADE,
    site_id uuid NOT NULL,
    outcome text NOT NULL CHECK (outcome IN ('written', 'skipped', 'failed', 'conflict')),
    reason text,
    wake_number integer,
    trigger text CHECK (trigger IN ('schedule', 'catch_up', 'force')),
    snapshot_id uuid,
    error text,
    recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_run_sites_site_recorded ON snapwatch.run_sites (site_id, recorded_at DESC);
CREATE INDEX idx_run_sites_run ON snapwatch.run_sites (run_id);
