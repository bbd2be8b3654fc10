"""``snapwatch audit`` and ``snapwatch backfill`` on the command line: output, exit codes,
one-line errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from support.history import history
from support.overview_rows import Rows
from support.roles import MakeRole

from snapwatch.cli import main


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def site(rows: Rows, isolated_env: Path) -> UUID:
    return history(rows)


RANGE = ("--since", "2026-03-02", "--until", "2026-03-03")


def test_audit_exits_1_while_slots_are_missing_and_0_once_backfilled(
    capsys: pytest.CaptureFixture[str], migrated_dsn: str, site: UUID
) -> None:
    code, out, _ = run(capsys, "audit", "--all", *RANGE, "--dsn", migrated_dsn)
    assert code == 1
    assert "SITE Pier 4" in out and "missing wakes 1-24" in out
    assert "48 expected, 0 present, 48 missing" in out
    code, out, _ = run(capsys, "backfill", "--all", *RANGE, "--dsn", migrated_dsn, "--dry-run")
    assert code == 0 and "dry run: nothing is written" in out and "48 snapshots to write" in out
    code, out, _ = run(capsys, "backfill", "--site", "pier 4", *RANGE, "--dsn", migrated_dsn)
    assert code == 0
    events = [json.loads(line) for line in out.splitlines()]
    assert events[-1]["event"] == "done" and events[-1]["written"] == 48
    code, out, _ = run(capsys, "status", "--dsn", migrated_dsn)
    said = " ".join(out[out.index("BACKFILLS 1") :].split())
    assert "ok, finished just now: 48 of 48 snapshots, 1 of 1 sites" in said
    assert "(2026-03-02 .. 2026-03-03)" in said
    code, out, _ = run(capsys, "audit", "--site", "Pier 4", *RANGE, "--json", "--dsn", migrated_dsn)
    assert code == 0
    result: dict[str, Any] = json.loads(out)
    assert result["total"]["coverage_percent"] == 100.0
    [one] = result["sites"]
    assert len([s for session in one["sessions"] for s in session["slots"]]) == 48


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["backfill", "--all"], "backfill needs --since DATE"),
        (["backfill", "--since", "2026-03-02"], "needs exactly one of --site S or --all"),
        (["backfill", "--all", "--since", "March"], "invalid --since 'March'"),
        (["backfill", "--all", "--since", "2026-03-02", "--rate", "0"], "--rate 0"),
        (["backfill", "--all", "--since", "2026-03-02", "--replace", "all"], "--replace 'all'"),
        (["audit", "--since", "2026-03-05", "--until", "2026-03-01"], "is after --until"),
    ],
)
def test_bad_arguments_get_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], migrated_dsn: str, args: list[str], line: str
) -> None:
    code, out, err = run(capsys, *args, "--dsn", migrated_dsn)
    assert code == 2 and out == ""
    [said] = err.strip().splitlines()
    assert said.startswith("snapwatch: error: ") and line in said


def test_the_progress_bar_prints_hostile_site_names_inert() -> None:
    import io
    from uuid import uuid4

    from snapwatch.commands.backfill import progress_reporter
    from snapwatch.schedule.history.backfill import SiteResult

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    out = Terminal()
    report = progress_reporter(out, as_json=False, total=2)
    report({"event": "written", "site": "x", "count": 2})
    report({"event": "site", "result": SiteResult(uuid4(), "Pier \x1b[31m[b]red[/b]", 2, 2)})
    report({"event": "done", "results": [], "stopped": False})
    shown = out.getvalue()
    assert "Pier \\x1b[31m[b]red[/b]: 2 of 2 written" in shown
    assert "\x1b[31m[b]" not in shown


def test_a_minimal_writer_role_backfills_and_a_reader_audits_but_may_not_backfill(
    capsys: pytest.CaptureFixture[str], migrated_dsn: str, site: UUID, make_role: MakeRole
) -> None:
    from support.role_setup import grant_reader, grant_writer

    writer, reader = make_role(migrated_dsn), make_role(migrated_dsn)
    grant_writer(migrated_dsn, writer.name)
    grant_reader(migrated_dsn, reader.name)
    code, out, err = run(capsys, "audit", "--all", *RANGE, "--dsn", reader.dsn)
    assert code == 1 and "48 missing" in out, err
    code, out, err = run(capsys, "backfill", "--all", *RANGE, "--dsn", reader.dsn)
    assert (code, out) == (2, "")
    assert err.startswith(f'snapwatch: error: role "{reader.name}" cannot backfill snapshots')
    code, out, err = run(capsys, "backfill", "--all", *RANGE, "--dsn", writer.dsn)
    assert code == 0, err
    # --replace needs DELETE, which the writer role is not granted
    code, out, err = run(
        capsys, "backfill", "--all", *RANGE, "--replace", "off-grid", "--dsn", writer.dsn
    )
    assert code == 2 and "cannot replace or restore snapshots: no DELETE on" in err
    code, out, _ = run(capsys, "audit", "--all", *RANGE, "--dsn", reader.dsn)
    assert code == 0 and "48 present" in out
