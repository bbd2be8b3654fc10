"""The Activity table's columns and rows, and the selected entry's words in full.

Names, scopes, actors and details are platform or operator text: cells and the detail
panel show them as plain text (:class:`snapwatch.tui.panes.table.Cell`,
:func:`snapwatch.tui.plain.plain_lines`).
"""

from __future__ import annotations

from rich.text import Text

from snapwatch.readmodels.activity import ActivityEntry
from snapwatch.tui.columns import ColumnSpec
from snapwatch.tui.panes.table import Cell, Row
from snapwatch.tui.plain import plain_lines

SPECS: tuple[ColumnSpec, ...] = (
    ColumnSpec("when", "When", "UTC", stable_width=14, shrink_rank=9),
    ColumnSpec("who", "Who", min_width=6, max_width=24, shrink_rank=3, hideable=True),
    ColumnSpec("process", "Process", "Proc", min_width=6, max_width=22, shrink_rank=1,
               hideable=True),
    ColumnSpec("what", "What", stable_width=8, shrink_rank=8),
    ColumnSpec("site", "Site", min_width=8, max_width=30, shrink_rank=6, middle=True),
    ColumnSpec("result", "Result", min_width=6, max_width=30, shrink_rank=7),
    ColumnSpec("detail", "Detail", min_width=4, shrink_rank=2, grow=True, hideable=True),
)  # fmt: skip


def result_style(result: str) -> str:
    if result.startswith("failed"):
        return "bold red"
    if result.startswith(("refused", "warning")):
        return "yellow"
    return ""


def entry_row(entry: ActivityEntry) -> Row:
    return (
        Cell(entry.at.strftime("%m-%d %H:%M:%S")),
        Cell(entry.actor),
        Cell(entry.process, "dim"),
        Cell(entry.what, "bold"),
        Cell(entry.where),
        Cell(entry.result, result_style(entry.result)),
        Cell(entry.detail_text, "dim"),
    )


def entry_text(entry: ActivityEntry) -> Text:
    """Every column of the selected entry, whole: what a narrow table cuts."""
    return plain_lines(
        [
            f"{entry.at:%Y-%m-%d %H:%M:%S} UTC · {entry.actor} · {entry.process}",
            f"{entry.what} · {entry.where} · {entry.result}",
            entry.detail_text or "(no detail)",
        ]
    )
