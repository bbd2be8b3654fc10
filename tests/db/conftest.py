"""Database tests: each gets a fresh database (``fresh_dsn``, ``migrated_dsn``) from the
session's embedded server (tests/conftest.py); nothing here only they need yet."""
