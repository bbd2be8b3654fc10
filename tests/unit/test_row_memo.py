"""Values made from rows are made once while their row is read, again once it changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from snapwatch.schedule.memo import RowMemo, RowMemoById, TimedMemoById


def test_a_value_is_made_once_per_key_and_forgotten_after_two_reads_without_it() -> None:
    made: list[tuple[str, int]] = []

    def make(key: tuple[str, int]) -> list[str]:
        made.append(key)
        return [key[0]] * key[1]

    memo: RowMemo[tuple[str, int], list[str]] = RowMemo()
    first = memo.get(("a", 1), make)
    memo.get(("b", 2), make)
    memo.turn()
    assert memo.get(("a", 1), make) is first
    assert memo.get(("a", 2), make) == ["a", "a"]
    memo.turn()
    memo.turn()  # a read that used nothing keeps what the read before used
    assert memo.get(("a", 1), make) is first
    memo.turn()
    memo.get(("c", 1), make)
    memo.turn()
    assert memo.get(("a", 1), make) is not first
    assert made == [("a", 1), ("b", 2), ("a", 2), ("c", 1), ("a", 1)]


def test_a_value_kept_by_id_is_made_again_when_its_row_changes() -> None:
    made: list[tuple[str, int]] = []

    def make(row: tuple[str, int]) -> list[str]:
        made.append(row)
        return [row[0]] * row[1]

    memo: RowMemoById[str, tuple[str, int], list[str]] = RowMemoById()
    first = memo.get("a", ("a", 1), make)
    memo.turn()
    assert memo.get("a", ("a", 1), make) is first
    memo.turn()
    assert memo.get("a", ("a", 2), make) == ["a", "a"]
    memo.turn()
    memo.turn()  # a read that used nothing keeps what the read before used
    assert memo.get("a", ("a", 2), make) == ["a", "a"]
    memo.turn()
    memo.get("b", ("b", 1), make)
    memo.turn()
    memo.get("a", ("a", 2), make)
    assert made == [("a", 1), ("a", 2), ("b", 1), ("a", 2)]


def test_a_value_kept_for_a_stretch_of_instants_is_given_only_inside_it_for_the_same_row() -> None:
    t0 = datetime(2026, 6, 10, 12, tzinfo=UTC)
    until = t0 + timedelta(hours=1)
    memo: TimedMemoById[str, tuple[str, int], str] = TimedMemoById()
    assert memo.get("a", ("a", 1), t0) is None
    memo.keep("a", ("a", 1), t0, until, "judged")
    assert memo.get("a", ("a", 1), t0) == "judged"
    assert memo.get("a", ("a", 1), until - timedelta(microseconds=1)) == "judged"
    assert memo.get("a", ("a", 1), until) is None  # the stretch ends before ``until``
    assert memo.get("a", ("a", 1), t0 - timedelta(microseconds=1)) is None  # nor before
    assert memo.get("a", ("a", 2), t0) is None  # another row under the same id
    memo.turn()
    assert memo.get("a", ("a", 1), t0) == "judged"  # kept into the next read
    memo.turn()
    memo.turn()  # a read that used nothing keeps what the read before used
    assert memo.get("a", ("a", 1), t0) == "judged"
    memo.turn()
    memo.keep("b", ("b", 1), t0, until, "another")
    memo.turn()
    assert memo.get("a", ("a", 1), t0) is None  # two reads without it: gone
