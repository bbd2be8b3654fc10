"""One exception → one redacted line (infra/errors.py), the rule every layer uses."""

from __future__ import annotations

import psycopg
import pytest

from snapwatch.infra.errors import (
    ConfigError,
    InternalError,
    error_line,
    error_words,
    known_error,
    named_line,
)
from snapwatch.infra.redact import MASK
from snapwatch.text.lines import one_line


def test_one_line_folds_every_kind_of_white_space() -> None:
    assert one_line("  a\n\tb \r\n  c  ") == "a b c"
    assert one_line("\n\n") == ""


def test_error_words_are_one_line_without_the_password_or_a_given_secret() -> None:
    exc = OSError("connect postgresql://ops:hunter2@db/x failed\n\tis it up? token=s3cr3t")
    line = error_words(exc, "s3cr3t")
    assert "\n" not in line and "hunter2" not in line and "s3cr3t" not in line
    assert line == f"connect postgresql://ops:{MASK}@db/x failed. is it up? token={MASK}"


def test_an_exception_that_says_nothing_reads_as_its_kind() -> None:
    assert error_words(TimeoutError()) == "TimeoutError"
    assert named_line(TimeoutError()) == "TimeoutError"
    assert error_line(KeyError("site")) == "KeyError: 'site'"


def test_what_the_user_acts_on_reads_in_its_own_words() -> None:
    assert error_line(ConfigError("bad cadence")) == "bad cadence"
    refused = psycopg.errors.InsufficientPrivilege("permission denied for table sites")
    assert known_error(refused) is not None
    assert error_line(refused).startswith("permission denied for table sites (the role lacks")
    # a failed statement of no known kind is named like a bug
    assert error_line(psycopg.errors.UniqueViolation("duplicate key")) == (
        "UniqueViolation: duplicate key"
    )


@pytest.mark.parametrize("secret", ["pa55word", "postgresql://u:pa55word@h/db"])
def test_an_internal_error_says_where_and_never_the_secret(secret: str) -> None:
    bug = InternalError.of(ValueError(f"oops {secret}\nmore"), "rerun with --debug", "pa55word")
    assert "pa55word" not in str(bug) and "\n" not in str(bug)
    assert str(bug).startswith("internal error: ValueError: oops ")
    assert str(bug).endswith("more (rerun with --debug)")


def test_libpq_lines_read_as_sentences() -> None:
    said = (
        'connection failed: connection to server at "127.0.0.1", port 9 failed: Connection'
        " refused\n\tIs the server running on that host and accepting TCP/IP connections?"
    )
    assert error_words(OSError(said)) == (
        'connection failed: connection to server at "127.0.0.1", port 9 failed: Connection'
        " refused. Is the server running on that host and accepting TCP/IP connections?"
    )
