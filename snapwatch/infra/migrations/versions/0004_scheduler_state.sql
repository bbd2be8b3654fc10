-- scheduler instances' version, clock and tick; shared accelerated clocks; no view over devices
--
-- Instances record what they run (snapwatch version, clock, tick interval) so that health
-- can judge a missed heartbeat from the database alone.
ALTER TABLE snapwatch.scheduler_instances
    ADD COLUMN version text NOT NULL DEFAULT '',
    ADD COLUMN clock text NOT NULL DEFAULT 'system',
    ADD COLUMN tick_seconds double precision NOT NULL DEFAULT 60 CHECK (tick_seconds > 0),
    ADD COLUMN os_user text;

-- An accelerated clock shared by every process that names it (the demo, tests): simulated
-- time runs at `speed` from (anchor_sim at anchor_wall). Processes record how far it got
-- (reached_sim at reached_wall); a restart after everyone stopped continues from there.
CREATE TABLE snapwatch.clocks (
    name text PRIMARY KEY,
    speed double precision NOT NULL CHECK (speed > 0),
    anchor_sim timestamptz NOT NULL,
    anchor_wall timestamptz NOT NULL,
    reached_sim timestamptz NOT NULL,
    reached_wall timestamptz NOT NULL
);

-- The counting-device rule is a predicate inside snapwatch's queries
-- (snapwatch.sitestate.COUNTING_DEVICE): a view over public.devices would forbid the
-- platform to drop or retype the columns it names.
DROP VIEW snapwatch.counting_devices;
