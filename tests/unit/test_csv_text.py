"""CSV cells: full values, and text a spreadsheet would run as a formula neutralised."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from uuid import UUID

import pytest

from snapwatch.text.csvtext import cell, csv_text, record_table

ID = UUID("12345678-1234-5678-1234-567812345678")


class State(StrEnum):
    LATE = "late"


@dataclass
class Row:
    site_id: UUID
    name: str
    score: float | None
    late: State


@pytest.mark.parametrize("text", ["=cmd|' /C calc'!A0", "+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"])
def test_text_that_starts_a_formula_gets_a_leading_quote(text: str) -> None:
    assert cell(text) == "'" + text


def test_values_are_written_in_full() -> None:
    assert cell(0.1234567891234) == "0.1234567891234"
    assert cell(-0.05) == "-0.05"  # a number, never taken for a formula
    assert cell(ID) == str(ID)
    assert cell(datetime(2026, 6, 10, 3, 4, 5, 6, tzinfo=UTC)) == "2026-06-10T03:04:05.000006+00:00"
    assert (cell(None), cell(True), cell(7), cell(State.LATE)) == ("", "true", "7", "late")
    assert cell("Cold Room [North], a=b") == "Cold Room [North], a=b"


def test_a_table_parses_back_with_its_header_and_quoted_cells() -> None:
    header, rows = record_table(Row, [Row(ID, 'Barn "7",\nwest', 0.5, State.LATE)])
    text = csv_text(header, rows)
    assert list(csv.reader(io.StringIO(text, newline=""))) == [
        ["site_id", "name", "score", "late"],
        [str(ID), 'Barn "7",\nwest', "0.5", "late"],
    ]


def test_record_table_wants_a_dataclass() -> None:
    with pytest.raises(TypeError):
        record_table(dict, [])
