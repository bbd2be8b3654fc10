"""Unit tests are pure: no database. A unit test that asks for one (directly or through
``migrated_dsn``, ``rows``, ``cfg``...) fails and says where it belongs."""

from __future__ import annotations

from typing import NoReturn

import pytest


@pytest.fixture(scope="session")
def pg_server() -> NoReturn:
    pytest.fail("a unit test has no database: tests that need one live in tests/db")
