"""History: what past sessions should have, what they hold, and the repair (audit, backfill)."""
