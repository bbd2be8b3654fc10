"""The headless service: the daemon, its metrics and health endpoints."""
