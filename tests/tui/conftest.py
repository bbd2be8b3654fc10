"""Terminal app tests (Textual's Pilot, and SVG snapshots compared by ``snap_compare``
against tests/tui/__snapshots__: regenerate with ``--snapshot-update`` after a deliberate
change and look at the SVGs). Every test here is marked ``tui``."""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.tui)
