"""The run history screens: recent runs, one run's per-site outcomes, a site's failures."""
