-- an index for each site's latest decisive run outcome (health reads it every refresh)
--
-- Health asks, per site, for the newest outcome that was a write or a failure; with a row
-- per site and tick for weeks, that must be an index probe, not a walk of the history.
CREATE INDEX idx_run_sites_site_decisive ON snapwatch.run_sites (site_id, recorded_at DESC)
    WHERE outcome IN ('written', 'failed');
