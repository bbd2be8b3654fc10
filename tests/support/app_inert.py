"""What reaches the terminal from a running app: its lines of text and its bytes, for
tests that platform text stays inert (no escape sequence, no markup, no link, no action)."""

from __future__ import annotations

from typing import Any

from textual.app import App

RAW = ("\x1b]0;", "\x1b[2J", "\x07", "\x9b", "\x1b]8;")
"""What must never reach the terminal: the hostile sequences, and any hyperlink."""


def terminal(app: App[Any]) -> tuple[list[str], str]:
    """The screen as its lines of text, and the bytes Textual writes for it."""
    update: Any = app.screen._compositor.render_update(
        full=True, screen_stack=app._background_screens
    )
    lines = ["".join(seg.text for strip in line for seg in strip) for line in update.strips]
    return lines, update.render_segments(app.console)


def actions(app: App[Any]) -> list[str]:
    """Every click action and link on the screen."""
    update: Any = app.screen._compositor.render_update(
        full=True, screen_stack=app._background_screens
    )
    found = []
    for line in update.strips:
        for strip in line:
            for seg in strip:
                style = seg.style
                if style is not None and (style.link or "@click" in (style.meta or {})):
                    found.append(f"{seg.text!r}: {style.link or style.meta['@click']}")
    return found


def assert_inert(app: App[Any], *expected: str) -> None:
    """Nothing hostile reached the terminal, nothing is an action, the app runs, and each
    of ``expected`` shows on one line of the screen."""
    lines, raw = terminal(app)
    for sequence in RAW:
        assert sequence not in raw, sequence
    assert actions(app) == []
    assert app.is_running
    for text in expected:
        assert any(text in line for line in lines), (text, lines)
