"""snapwatch.printable: database text reaches a terminal inert."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from snapwatch.printable import printable


def test_control_characters_become_visible_escapes() -> None:
    assert printable("Pier 4\x1b[2J\x1b]0;owned\x07") == "Pier 4\\x1b[2J\\x1b]0;owned\\x07"
    assert printable("a\tb\nc\x7f\x9b") == "a\\x09b\\x0ac\\x7f\\x9b"
    assert printable("Höhle [red]7[/red] →") == "Höhle [red]7[/red] →"


@given(st.text())
def test_nothing_that_drives_a_terminal_is_left(text: str) -> None:
    shown = printable(text)
    assert not re.search(r"[\x00-\x1f\x7f-\x9f]", shown)
    assert len(shown) >= len(text)
