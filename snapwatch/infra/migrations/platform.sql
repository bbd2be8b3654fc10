-- The monitoring platform's tables, as snapwatch creates them in its own database
-- (the embedded default, the demo, the tests). Names and columns follow the platform
-- exactly (design/domain.md). On an existing platform database this file is never run:
-- snapwatch only adds its own schema, a few missing columns and missing indexes there.
--
-- Conventions: every id is uuid DEFAULT gen_random_uuid() (built in since PostgreSQL 13);
-- every *_at / *_time column is timestamptz; NOT NULL only where the platform has it
-- (plus keys); foreign keys only where the platform has them.
--
-- Statements are separated by ";" at the end of a line. Each CREATE INDEX stays on one
-- line: snapwatch reads the index list from this file to check existing databases.

CREATE TABLE companies (
    company_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name text NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE pilot_programs (
    program_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    company_id uuid REFERENCES companies (company_id),
    name text NOT NULL,
    start_date date NOT NULL,
    end_date date NOT NULL,
    status text DEFAULT 'active' CHECK (status IN ('active', 'inactive'))
);

CREATE TABLE sites (
    site_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    program_id uuid NOT NULL REFERENCES pilot_programs (program_id),
    company_id uuid REFERENCES companies (company_id),
    name text NOT NULL,
    site_code bigint,
    type text,
    -- Feet. length is the X extent of the 2D map, width the Y extent.
    length numeric,
    width numeric,
    height numeric,
    -- [{id, label, bounds{x1,y1,x2,y2}, risk_level}]
    zones jsonb NOT NULL DEFAULT '[]'::jsonb,
    -- IANA name; NULL on old rows means UTC.
    timezone text,
    -- The platform has this column as integer; snapwatch stores fractional hours.
    snapshot_cadence_hours numeric(6, 3)
        CONSTRAINT sites_snapshot_cadence_hours_check
        CHECK (snapshot_cadence_hours > 0 AND snapshot_cadence_hours <= 24),
    -- Older alternative, used only when snapshot_cadence_hours is NULL.
    snapshot_cadence_per_day integer
        CONSTRAINT sites_snapshot_cadence_per_day_check CHECK (snapshot_cadence_per_day > 0),
    last_snapshot_at timestamptz
);

CREATE TABLE devices (
    device_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    device_mac text NOT NULL UNIQUE,
    device_code text UNIQUE,
    device_name text,
    site_id uuid REFERENCES sites (site_id),
    program_id uuid REFERENCES pilot_programs (program_id),
    company_id uuid REFERENCES companies (company_id),
    -- Feet; NULL = not placed yet.
    x_position numeric CHECK (x_position >= 0),
    y_position numeric CHECK (y_position >= 0),
    zone_id uuid,
    zone_label text,
    is_active boolean DEFAULT true,
    provisioning_status text CHECK (
        provisioning_status IN (
            'pending_approval', 'pending_mapping', 'mapped', 'active', 'inactive',
            'decommissioned', 'system'
        )
    ),
    battery_voltage numeric,
    battery_health_percent integer
        CHECK (battery_health_percent >= 0 AND battery_health_percent <= 100),
    wifi_rssi integer,
    last_seen_at timestamptz,
    last_wake_at timestamptz,
    wake_schedule_cron text,
    latest_mgi_score numeric,
    latest_mgi_velocity numeric,
    latest_mgi_at timestamptz
);

-- One row per site per site-local day.
CREATE TABLE site_device_sessions (
    session_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    company_id uuid NOT NULL REFERENCES companies (company_id),
    program_id uuid NOT NULL REFERENCES pilot_programs (program_id),
    site_id uuid NOT NULL REFERENCES sites (site_id),
    session_date date NOT NULL,
    session_start_time timestamptz NOT NULL,
    session_end_time timestamptz NOT NULL,
    expected_wake_count integer NOT NULL,
    completed_wake_count integer DEFAULT 0,
    failed_wake_count integer DEFAULT 0,
    extra_wake_count integer DEFAULT 0,
    status text NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'in_progress', 'locked')),
    locked_at timestamptz,
    CONSTRAINT site_device_sessions_site_date_key UNIQUE (site_id, session_date),
    CONSTRAINT site_device_sessions_time_check CHECK (session_end_time > session_start_time)
);

CREATE TABLE device_images (
    image_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    device_id uuid NOT NULL,
    image_url text,
    captured_at timestamptz NOT NULL,
    status text CHECK (status IN ('pending', 'receiving', 'complete', 'failed')),
    site_id uuid,
    site_device_session_id uuid,
    wake_payload_id uuid,
    -- The platform constrains this to 0..1. snapwatch's own database deliberately does
    -- not: scores from other scorers (e.g. 37.5 on a 0-100 scale) must be storable so
    -- that snapshot generation can reject them into data_quality instead of rescaling.
    mgi_score numeric,
    scored_at timestamptz,
    observation_type text CHECK (observation_type IN ('petri', 'gasifier'))
);

-- One row per device wake. Telemetry fields may be NULL on any row; values are stored
-- as sent (temperature in °F), range problems are reported by the snapshot generator.
CREATE TABLE device_wake_payloads (
    payload_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    company_id uuid NOT NULL,
    program_id uuid NOT NULL,
    site_id uuid NOT NULL,
    site_device_session_id uuid,
    device_id uuid NOT NULL,
    -- Device clock: decides which window a wake belongs to.
    captured_at timestamptz NOT NULL,
    received_at timestamptz,
    temperature numeric,
    humidity numeric,
    pressure numeric,
    gas_resistance numeric,
    battery_voltage numeric,
    wifi_rssi integer,
    image_id uuid REFERENCES device_images (image_id),
    payload_status text CHECK (payload_status IN ('pending', 'complete', 'failed')),
    wake_type text CHECK (wake_type IN ('image_wake', 'telemetry_only', 'hello', 'retry'))
);

CREATE TABLE device_alerts (
    alert_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    device_id uuid,
    site_id uuid,
    company_id uuid,
    program_id uuid,
    alert_type text,
    severity text CHECK (severity IN ('info', 'warning', 'error', 'critical')),
    message text,
    triggered_at timestamptz DEFAULT now(),
    resolved_at timestamptz,
    session_id uuid,
    snapshot_id uuid,
    wake_number integer
);

-- The output table: one snapshot document per (session, wake number).
CREATE TABLE session_wake_snapshots (
    snapshot_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    company_id uuid NOT NULL REFERENCES companies (company_id) ON DELETE CASCADE,
    program_id uuid NOT NULL REFERENCES pilot_programs (program_id) ON DELETE CASCADE,
    site_id uuid NOT NULL REFERENCES sites (site_id) ON DELETE CASCADE,
    session_id uuid NOT NULL REFERENCES site_device_sessions (session_id) ON DELETE CASCADE,
    wake_number integer NOT NULL CHECK (wake_number > 0),
    wake_round_start timestamptz NOT NULL,
    wake_round_end timestamptz NOT NULL,
    site_state jsonb NOT NULL,
    active_devices_count integer DEFAULT 0,
    new_images_this_round integer DEFAULT 0,
    new_alerts_this_round integer DEFAULT 0,
    avg_temperature numeric(5, 2),
    avg_humidity numeric(5, 2),
    avg_mgi numeric(5, 2),
    max_mgi numeric(5, 2),
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT session_wake_snapshots_session_wake_key UNIQUE (session_id, wake_number),
    CONSTRAINT session_wake_snapshots_round_check CHECK (wake_round_end > wake_round_start)
);

-- Indexes snapwatch relies on: generation costs O(devices), not O(history).
-- On an existing platform database the missing ones are created CONCURRENTLY.
CREATE INDEX idx_devices_site ON devices (site_id);
CREATE INDEX idx_site_device_sessions_site_start ON site_device_sessions (site_id, session_start_time);
CREATE INDEX idx_site_device_sessions_open ON site_device_sessions (session_end_time, session_start_time) WHERE status IN ('pending', 'in_progress');
CREATE INDEX idx_device_wake_payloads_device_captured ON device_wake_payloads (device_id, captured_at DESC);
CREATE INDEX idx_device_wake_payloads_image ON device_wake_payloads (image_id);
CREATE INDEX idx_device_images_device_captured ON device_images (device_id, captured_at DESC);
CREATE INDEX idx_device_images_device_scored ON device_images (device_id, captured_at DESC) WHERE mgi_score IS NOT NULL;
CREATE INDEX idx_device_alerts_site_triggered ON device_alerts (site_id, triggered_at);
CREATE INDEX idx_session_wake_snapshots_site_round ON session_wake_snapshots (site_id, wake_round_start DESC);
CREATE INDEX idx_session_wake_snapshots_created ON session_wake_snapshots (created_at DESC);
CREATE INDEX idx_session_wake_snapshots_coverage ON session_wake_snapshots (session_id, wake_round_end, wake_round_start, wake_number);
