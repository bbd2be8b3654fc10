"""Platform text made inert: the one rule for what may reach a terminal.

Names, codes, messages and SQL read from the platform may hold escape sequences or other
control characters that would move the cursor, clear the screen, retitle the window or
reorder what follows. The rule: the C0 controls (newline and tab among them), DEL, the C1
controls, the Unicode line and paragraph separators and the bidirectional embedding,
override and isolate controls are never shown as themselves.

- :func:`printable` shows each of them as a visible escape (ESC as ``\\x1b``, U+202E as
  ``\\u202e``), so what reaches the screen is exactly the characters that were stored,
  made visible; one line stays one line.
- :func:`printable_lines` does the same but keeps line breaks: text already laid out.
- :func:`inert_json` writes them as JSON escapes in JSON text, which stays exact JSON.
- :class:`InertStream` applies :func:`printable_lines` to everything written to a stream:
  the command line's stdout and stderr pass through it, whatever built the text.

Markup is not this module's concern: the app shows platform text as plain text objects
(``snapwatch.tui.plain``), never as markup.
"""

from __future__ import annotations

import io
import re
from typing import TextIO

_OTHERS = r"\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069"
"""DEL, C1, line and paragraph separators, bidirectional controls."""
_CONTROL = re.compile(rf"[\x00-\x1f{_OTHERS}]")
_CONTROL_BUT_NEWLINE = re.compile(rf"[\x00-\x09\x0b-\x1f{_OTHERS}]")
_JSON_RAW = re.compile(rf"[{_OTHERS}]")
"""What ``json.dumps`` leaves raw: it escapes the C0 controls in strings itself, and the
only ones outside strings are its own line breaks and indentation."""
_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with every character of the rule as a visible escape (``\\x1b``, ``\\x0a``,
    ``\\u202e``)."""
    if _CONTROL.search(text) is None:  # the common case, without building a new string
        return text
    return _CONTROL.sub(_visible, text)


def printable_lines(text: str) -> str:
    """Like :func:`printable`, but line breaks (``\\n``) stay: lines already laid out."""
    if _CONTROL_BUT_NEWLINE.search(text) is None:
        return text
    return _CONTROL_BUT_NEWLINE.sub(_visible, text)


def inert_json(text: str) -> str:
    """JSON text (as ``json.dumps`` writes it) with every character of the rule as a JSON
    escape: ``json.dumps`` escapes the C0 controls itself, but with ``ensure_ascii=False``
    it leaves DEL, C1 and the others raw, and only in strings; so the document means
    exactly what it meant."""
    return _JSON_RAW.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def quoted(name: str) -> str:
    """``"name"``, with quotes, backslashes and every character of the rule escaped."""
    return '"' + printable(name.replace("\\", "\\\\").replace('"', '\\"')) + '"'


def name(text: str) -> str:
    """A plain identifier (``postgres``, ``snapwatch_ro``) as it is; anything else
    :func:`quoted`."""
    return text if _PLAIN.fullmatch(text) else quoted(text)


class InertStream(io.TextIOBase):
    """A text stream that writes through to ``stream`` with :func:`printable_lines`
    applied: whatever a command prints, no character of the rule reaches the terminal
    (or the pipe) raw."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__()
        self.stream = stream

    def write(self, text: str) -> int:
        self.stream.write(printable_lines(text))
        return len(text)

    def flush(self) -> None:
        self.stream.flush()

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return self.stream.isatty()

    def fileno(self) -> int:
        return self.stream.fileno()
