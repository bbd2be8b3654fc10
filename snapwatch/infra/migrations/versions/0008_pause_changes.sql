-- who changed a pause last, and when
--
-- Pausing a scope that is already paused with a new reason or expiry changes that pause
-- (its author and start stay); the change is stamped here and shown with the pause.
ALTER TABLE snapwatch.pauses ADD COLUMN changed_at timestamptz;
ALTER TABLE snapwatch.pauses ADD COLUMN changed_by text;
