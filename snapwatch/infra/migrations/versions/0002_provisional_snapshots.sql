-- provisional (forced) snapshots, so due-ness never reads the documents
--
-- A forced snapshot covers the current, incomplete slot; the regular run later replaces
-- it in place. Which rows are provisional is kept here, keyed like the snapshot row, so
-- that deciding due-ness reads a few small rows instead of decompressing every document
-- of the session. The document keeps its own snapshot_metadata.provisional flag.
CREATE TABLE snapwatch.provisional_snapshots (
    session_id uuid NOT NULL,
    wake_number integer NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (session_id, wake_number)
);
