"""The domain of "when": cadence, sites as seen at an instant, ticks, the scheduler,
instances, health, the operator's actions, run history and pg_cron."""
