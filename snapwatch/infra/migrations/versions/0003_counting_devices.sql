-- the counting-device rule as one view every query joins
--
-- A device counts for a site when it is active and not inactive or decommissioned
-- (a NULL provisioning_status counts). Migration 0004 drops this view again: the rule now
-- lives in snapwatch.schedule.sitestate.COUNTING_DEVICE, a condition on devices joined
-- into each query (a view would stop the platform from dropping or retyping columns).
CREATE VIEW snapwatch.counting_devices AS
SELECT d.*
  FROM public.devices d
 WHERE d.is_active IS TRUE
   AND (d.provisioning_status IS NULL
        OR d.provisioning_status NOT IN ('inactive', 'decommissioned'));
