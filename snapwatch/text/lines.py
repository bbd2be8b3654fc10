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
