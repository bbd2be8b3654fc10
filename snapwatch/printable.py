"""Text from the database made inert for a terminal.

Names, codes, messages and SQL read from the platform may hold escape sequences or other
control characters that would move the cursor, clear the screen or retitle the window.
:func:`printable` shows each of them as a visible escape (``ESC`` becomes ``\\x1b``), so
what reaches the terminal is exactly the characters that were stored, made visible.
"""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
"""C0 controls (newline and tab among them), DEL and C1 controls."""


def printable(text: str) -> str:
    """``text`` with every control character as ``\\xNN``; one line stays one line."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
