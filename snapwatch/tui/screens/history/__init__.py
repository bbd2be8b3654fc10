"""The history screen: a site's coverage by day, dry run and backfill."""
