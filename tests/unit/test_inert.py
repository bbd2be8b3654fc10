"""snapwatch.text.inert: platform text reaches a terminal inert, by one rule."""

from __future__ import annotations

import io
import json
import re

from hypothesis import given
from hypothesis import strategies as st

from snapwatch.text.inert import InertStream, inert_json, printable, printable_lines

RULE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def test_control_characters_become_visible_escapes() -> None:
    assert printable("Pier 4\x1b[2J\x1b]0;owned\x07") == "Pier 4\\x1b[2J\\x1b]0;owned\\x07"
    assert printable("a\tb\nc\x7f\x9b") == "a\\x09b\\x0ac\\x7f\\x9b"
    assert printable("Höhle [red]7[/red] →") == "Höhle [red]7[/red] →"


def test_bidirectional_controls_and_line_separators_become_visible_escapes() -> None:
    assert printable("abc\u202eexe.txt") == "abc\\u202eexe.txt"
    assert printable("a\u2028b\u2066c") == "a\\u2028b\\u2066c"


def test_printable_lines_keeps_line_breaks_only() -> None:
    assert printable_lines("a\x1b[2J\nb\tc\r\n") == "a\\x1b[2J\nb\\x09c\\x0d\n"


@given(st.text())
def test_nothing_that_drives_a_terminal_is_left(text: str) -> None:
    shown = printable(text)
    assert not RULE.search(shown)
    assert len(shown) >= len(text)
    assert printable(shown) == shown
    assert printable_lines(text).split("\n") == [printable(line) for line in text.split("\n")]


@given(
    st.recursive(
        st.none() | st.text(), lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner)
    )
)
def test_json_text_stays_exact_json_with_nothing_raw(value: object) -> None:
    text = inert_json(json.dumps(value, ensure_ascii=False))
    assert not RULE.search(text)
    assert json.loads(text) == value
    laid_out = inert_json(json.dumps(value, ensure_ascii=False, indent=2))
    assert not RULE.search(laid_out.replace("\n", ""))
    assert json.loads(laid_out) == value


def test_a_stream_writes_through_inert_and_keeps_its_lines() -> None:
    target = io.StringIO()
    stream = InertStream(target)
    text = "Pier\x1b]0;owned\x07\n4\x9b\n"
    assert stream.write(text) == len(text)
    stream.flush()
    assert target.getvalue() == "Pier\\x1b]0;owned\\x07\n4\\x9b\n"
    assert not stream.isatty()
