"""Login roles made for one test (the ``make_role`` fixture of tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Role:
    """A login role made for one test, and the DSN of its database as that role (the test
    server trusts local connections: no password)."""

    name: str
    dsn: str


MakeRole = Callable[..., Role]
