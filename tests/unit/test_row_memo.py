"""Values made from rows are made once while their row is read, again once it changes."""

from __future__ import annotations

from snapwatch.schedule.memo import RowMemo, RowMemoById


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
