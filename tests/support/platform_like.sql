-- A database shaped like an existing platform database: the columns snapwatch reads plus
-- many it does not, the platform's type variants (integer snapshot_cadence_hours, an enum
-- site type), row-level security, a view over sites, no sites.last_snapshot_at, none of
-- snapwatch's indexes and no snapwatch schema. Some rows of data.

CREATE TYPE site_type_enum AS ENUM ('greenhouse', 'storage', 'production');

CREATE TABLE companies (
    company_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name text NOT NULL UNIQUE,
    created_at timestamptz DEFAULT now(),
    billing_email text,
    is_active boolean DEFAULT true
);

CREATE TABLE pilot_programs (
    program_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    company_id uuid REFERENCES companies,
    name text NOT NULL,
    description text,
    start_date date NOT NULL,
    end_date date NOT NULL,
    status text,
    phases jsonb DEFAULT '[]'
);

CREATE TABLE sites (
    site_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    program_id uuid NOT NULL REFERENCES pilot_programs,
    company_id uuid REFERENCES companies,
    name text NOT NULL,
    site_code bigint,
    type site_type_enum,
    length numeric,
    width numeric,
    height numeric,
    square_footage numeric,
    zones jsonb DEFAULT '[]',
    timezone text,
    snapshot_cadence_hours integer,
    snapshot_cadence_per_day integer,
    wall_details jsonb,
    created_by uuid,
    created_at timestamptz DEFAULT now(),
    updated_at timestamptz DEFAULT now()
);
ALTER TABLE sites ENABLE ROW LEVEL SECURITY;
CREATE VIEW site_overview AS SELECT site_id, name, snapshot_cadence_hours FROM sites;

CREATE TABLE devices (
    device_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    device_mac text NOT NULL UNIQUE,
    device_code text UNIQUE,
    device_name text,
    site_id uuid REFERENCES sites,
    program_id uuid REFERENCES pilot_programs,
    company_id uuid REFERENCES companies,
    x_position numeric,
    y_position numeric,
    zone_id uuid,
    zone_label text,
    is_active boolean DEFAULT true,
    provisioning_status text,
    battery_voltage numeric,
    battery_health_percent integer,
    wifi_rssi integer,
    last_seen_at timestamptz,
    last_wake_at timestamptz,
    wake_schedule_cron text,
    latest_mgi_score numeric,
    latest_mgi_velocity numeric,
    latest_mgi_at timestamptz,
    firmware_version text,
    hardware_version text,
    notes text,
    mapped_at timestamptz,
    mapped_by_user_id uuid
);

CREATE TABLE site_device_sessions (
    session_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    company_id uuid NOT NULL REFERENCES companies,
    program_id uuid NOT NULL REFERENCES pilot_programs,
    site_id uuid NOT NULL REFERENCES sites,
    session_date date NOT NULL,
    session_start_time timestamptz NOT NULL,
    session_end_time timestamptz NOT NULL,
    expected_wake_count integer NOT NULL,
    completed_wake_count integer DEFAULT 0,
    failed_wake_count integer DEFAULT 0,
    extra_wake_count integer DEFAULT 0,
    status text,
    locked_at timestamptz,
    config_changed_flag boolean DEFAULT false,
    UNIQUE (site_id, session_date)
);

CREATE TABLE device_images (
    image_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    device_id uuid NOT NULL,
    image_name text,
    image_url text,
    image_size integer,
    captured_at timestamptz NOT NULL,
    received_at timestamptz,
    status text,
    total_chunks integer,
    received_chunks integer,
    site_id uuid,
    site_device_session_id uuid,
    wake_payload_id uuid,
    mgi_score numeric CHECK (mgi_score >= 0 AND mgi_score <= 1),
    scored_at timestamptz,
    observation_type text
);

CREATE TABLE device_wake_payloads (
    payload_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    company_id uuid NOT NULL,
    program_id uuid NOT NULL,
    site_id uuid NOT NULL,
    site_device_session_id uuid,
    device_id uuid NOT NULL,
    captured_at timestamptz NOT NULL,
    received_at timestamptz,
    temperature numeric,
    humidity numeric,
    pressure numeric,
    gas_resistance numeric,
    battery_voltage numeric,
    wifi_rssi integer,
    image_id uuid REFERENCES device_images,
    payload_status text,
    wake_type text,
    wake_window_index integer,
    overage_flag boolean DEFAULT false,
    raw_payload jsonb
);

CREATE TABLE device_alerts (
    alert_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    device_id uuid,
    site_id uuid,
    company_id uuid,
    program_id uuid,
    alert_type text,
    alert_category text,
    severity text,
    message text,
    triggered_at timestamptz DEFAULT now(),
    resolved_at timestamptz,
    resolved_by_user_id uuid,
    metadata jsonb
);

CREATE TABLE session_wake_snapshots (
    snapshot_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    company_id uuid NOT NULL REFERENCES companies ON DELETE CASCADE,
    program_id uuid NOT NULL REFERENCES pilot_programs ON DELETE CASCADE,
    site_id uuid NOT NULL REFERENCES sites ON DELETE CASCADE,
    session_id uuid NOT NULL REFERENCES site_device_sessions ON DELETE CASCADE,
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
    created_at timestamptz DEFAULT now(),
    UNIQUE (session_id, wake_number)
);

INSERT INTO companies (company_id, name) VALUES
    ('00000000-0000-0000-0000-0000000000c1', 'Acme Storage');
INSERT INTO pilot_programs (program_id, company_id, name, start_date, end_date, status) VALUES
    ('00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-0000000000c1',
     'Winter pilot', '2025-01-01', '2025-03-31', 'active');
INSERT INTO sites (site_id, program_id, company_id, name, type, length, width, timezone,
                   snapshot_cadence_hours, snapshot_cadence_per_day) VALUES
    ('00000000-0000-0000-0000-0000000000b1', '00000000-0000-0000-0000-0000000000a1',
     '00000000-0000-0000-0000-0000000000c1', 'North barn', 'storage', 120, 80,
     'America/Chicago', 3, NULL),
    ('00000000-0000-0000-0000-0000000000b2', '00000000-0000-0000-0000-0000000000a1',
     '00000000-0000-0000-0000-0000000000c1', 'Greenhouse 2', 'greenhouse', NULL, NULL,
     NULL, NULL, 6);
INSERT INTO devices (device_id, device_mac, device_code, site_id, x_position, y_position,
                     provisioning_status, firmware_version) VALUES
    ('00000000-0000-0000-0000-0000000000d1', 'AA:BB:CC:00:00:01', 'DEVICE-ESP32S3-001',
     '00000000-0000-0000-0000-0000000000b1', 10, 20, 'active', '1.2.0'),
    ('00000000-0000-0000-0000-0000000000d2', 'AA:BB:CC:00:00:02', 'DEVICE-ESP32S3-002',
     '00000000-0000-0000-0000-0000000000b1', NULL, NULL, 'pending_mapping', '1.2.0');
INSERT INTO site_device_sessions (session_id, company_id, program_id, site_id, session_date,
                                  session_start_time, session_end_time, expected_wake_count,
                                  status) VALUES
    ('00000000-0000-0000-0000-0000000000e1', '00000000-0000-0000-0000-0000000000c1',
     '00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-0000000000b1',
     '2025-01-15', '2025-01-15 06:00+00', '2025-01-16 06:00+00', 8, 'in_progress');
INSERT INTO device_images (image_id, device_id, captured_at, status, mgi_score) VALUES
    ('00000000-0000-0000-0000-0000000000f1', '00000000-0000-0000-0000-0000000000d1',
     '2025-01-15 08:00:30+00', 'complete', 0.42);
INSERT INTO device_wake_payloads (company_id, program_id, site_id, device_id, captured_at,
                                  temperature, humidity, image_id, payload_status) VALUES
    ('00000000-0000-0000-0000-0000000000c1', '00000000-0000-0000-0000-0000000000a1',
     '00000000-0000-0000-0000-0000000000b1', '00000000-0000-0000-0000-0000000000d1',
     '2025-01-15 08:00:00+00', 71.6, 48.5, '00000000-0000-0000-0000-0000000000f1',
     'complete'),
    ('00000000-0000-0000-0000-0000000000c1', '00000000-0000-0000-0000-0000000000a1',
     '00000000-0000-0000-0000-0000000000b1', '00000000-0000-0000-0000-0000000000d2',
     '2025-01-15 08:01:00+00', NULL, 51.0, NULL, 'complete');
INSERT INTO device_alerts (device_id, site_id, alert_type, severity, message) VALUES
    ('00000000-0000-0000-0000-0000000000d1', '00000000-0000-0000-0000-0000000000b1',
     'low_battery', 'warning', 'battery at 3.5 V');
INSERT INTO session_wake_snapshots (company_id, program_id, site_id, session_id, wake_number,
                                    wake_round_start, wake_round_end, site_state) VALUES
    ('00000000-0000-0000-0000-0000000000c1', '00000000-0000-0000-0000-0000000000a1',
     '00000000-0000-0000-0000-0000000000b1', '00000000-0000-0000-0000-0000000000e1', 1,
     '2025-01-15 06:00+00', '2025-01-15 09:00+00', '{"legacy": true}');
