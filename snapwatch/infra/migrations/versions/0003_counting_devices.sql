-- the counting-device rule as one view every query joins
--
-- A device counts for a site when it is active and not inactive or decommissioned
-- (a NULL provisioning_status counts). snapwatch.cadence.is_counting_device states the
-- same rule for plain values; a test holds the two together.
CREATE VIEW snapwatch.counting_devices AS
SELECT d.*
  FROM public.devices d
 WHERE d.is_active IS TRUE
   AND (d.provisioning_status IS NULL
        OR d.provisioning_status NOT IN ('inactive', 'decommissioned'));
