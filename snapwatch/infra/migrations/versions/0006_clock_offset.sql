-- each scheduler instance's clock offset from the database
--
-- Every process measures how far its host's clock is from the database's at every tick
-- (it uses the database's time either way); status and the app show the instances whose
-- hosts are off by more than scheduler.max_clock_offset_seconds.
ALTER TABLE snapwatch.scheduler_instances ADD COLUMN clock_offset_seconds double precision;
