"""One line of text from any text: the rule every error, cell and log field is cut by."""

from __future__ import annotations

ELLIPSIS = "…"


def one_line(text: str, limit: int | None = None) -> str:
    """``text`` with every run of white space (newlines and tabs included) as one space,
    and none at either end; longer than ``limit`` characters, cut to end in ``…``."""
    line = " ".join(text.split())
    if limit is None or len(line) <= limit:
        return line
    return line[: max(limit - 1, 0)] + ELLIPSIS


def sentences(text: str) -> str:
    """A message of several lines (libpq's ``Connection refused`` then ``Is the server
    running ...?``) as one line of sentences: each line cut by :func:`one_line`, a line
    that does not end a sentence closed with a full stop."""
    lines = [line for line in map(one_line, text.splitlines()) if line]
    return " ".join(
        line if i == len(lines) - 1 or line[-1] in ".:;!?" else f"{line}."
        for i, line in enumerate(lines)
    )
