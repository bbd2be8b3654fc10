"""One line of text from any text: the rule every error, cell and log field is cut by."""

from __future__ import annotations


def one_line(text: str) -> str:
    """``text`` with every run of white space (newlines and tabs included) as one space,
    and none at either end."""
    return " ".join(text.split())
