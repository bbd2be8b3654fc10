"""Tables as CSV text: the one rule for what a cell holds.

Values are written in full (never shortened for display): ids as text, instants in ISO
8601 UTC, enums by value, floats as Python writes them back exactly, booleans as
``true``/``false``, None as an empty cell. The csv module quotes what needs quoting, so a
comma, a quote or a line break in a name stays inside its cell.

Text read from the database is data, and it is fine in CSV, but a spreadsheet opening
the file would run a cell that starts with ``=``, ``+``, ``-`` or ``@`` (or with a tab or
carriage return, which some take as the same) as a formula: CSV (formula) injection. Such
text cells get a leading ``'``, which spreadsheets show as text and do not evaluate.
Numbers are written by this module, never taken from text, so a negative number stays a
number.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import fields, is_dataclass
from typing import Any

from snapwatch.text.jsonvalues import json_values

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What a spreadsheet may take for the start of a formula."""


def cell(value: Any) -> str:
    """One cell's text, as the module docstring says."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, int):
        return str(int(value))
    shown = json_values(value)
    text = shown if isinstance(shown, str) else str(shown)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A header line and one line per row (``\\r\\n`` line ends, as RFC 4180 says)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([cell(h) for h in header])
    writer.writerows([cell(v) for v in row] for row in rows)
    return out.getvalue()


def record_table(kind: type[Any], records: Iterable[Any]) -> tuple[list[str], list[list[Any]]]:
    """Every field of a dataclass ``kind`` as a column, named by the field, one row per
    record: all of it, not only what a table shows."""
    if not is_dataclass(kind):
        raise TypeError(f"{kind!r} is not a dataclass")
    names = [f.name for f in fields(kind)]
    return names, [[getattr(r, n) for n in names] for r in records]
