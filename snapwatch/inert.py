"""Names from the database made safe to print: no escape sequence reaches a terminal."""

from __future__ import annotations

import re


def printable(text: str) -> str:
    """``text`` with every unprintable character escaped (an ESC is shown as ``\\x1b``,
    never sent to the terminal): for what the database says, which may quote names."""
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)


def quoted(name: str) -> str:
    """``"name"``, with quotes, backslashes and every unprintable character escaped."""
    return '"' + printable(name.replace("\\", "\\\\").replace('"', '\\"')) + '"'


def name(text: str) -> str:
    """A plain identifier (``postgres``, ``snapwatch_ro``) as it is; anything else
    :func:`quoted`."""
    return text if _PLAIN.fullmatch(text) else quoted(text)


_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
