"""Objects made from database rows, kept from one read of the fleet to the next.

A value made by a pure function of an immutable row (a tuple of plain values) is the same
whenever the same row is read again, so a fleet read every few seconds makes again only
what changed since the read before. Only the values of the last two reads are kept.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from datetime import datetime
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
Id = TypeVar("Id", bound=Hashable)
R = TypeVar("R")
V = TypeVar("V")


E = TypeVar("E")


class _LastTwoReads(Generic[K, E]):
    """Entries under their keys, kept for the read under way and the one before."""

    def __init__(self) -> None:
        self._previous: dict[K, E] = {}
        self._current: dict[K, E] = {}

    def turn(self) -> None:
        """A new read begins: what the read before last used and the last did not, goes."""
        if self._current:
            self._previous, self._current = self._current, {}

    def _found(self, key: K) -> E | None:
        """The entry under ``key`` of the read before (taken out of it: the caller keeps it
        in this read's) or of this read."""
        kept = self._previous.pop(key, None)
        return self._current.get(key) if kept is None else kept


class RowMemo(_LastTwoReads[K, V]):
    """``make(key)`` for each key, made once while the key is read read after read.

    ``make`` must be pure and its values never changed: a value is shared by every read
    that meets the same key."""

    def get(self, key: K, make: Callable[[K], V]) -> V:
        """The value kept for ``key``, else ``make(key)`` (the same ``make`` for a key
        every time)."""
        # A key of the read before is moved to this one (its hash computed twice, not three
        # times: a key is a tuple, whose hash is never kept).
        made = self._found(key)
        if made is None:
            made = make(key)
        self._current[key] = made
        return made


class RowMemoById(_LastTwoReads[Id, tuple[R, V]]):
    """``make(row)`` for each row, kept under the row's id (a key cheap to hash, such as a
    primary key's text) and made again when the row read under that id is not equal to the
    one it was made from (rows are compared whole, never hashed: a row of instants is slow
    to hash). As :class:`RowMemo`, only the values of the last two reads are kept."""

    def get(self, ident: Id, row: R, make: Callable[[R], V]) -> V:
        """The value kept for ``row`` under ``ident``, else ``make(row)`` (the same
        ``make`` for an id every time)."""
        kept = self._found(ident)
        if kept is None or kept[0] != row:
            kept = (row, make(row))
        self._current[ident] = kept
        return kept[1]


class TimedMemoById(_LastTwoReads[Id, tuple[R, datetime, datetime, V]]):
    """As :class:`RowMemoById`, for values that also depend on an instant: each value is
    kept with the stretch of instants ``[made_at, until)`` it holds for, and given again
    for a row equal to the one it was made from at an instant in that stretch."""

    def get(self, ident: Id, row: R, at: datetime) -> V | None:
        """The value kept for ``row`` under ``ident`` that holds at ``at``, else None."""
        kept = self._found(ident)
        if kept is None:
            return None
        self._current[ident] = kept
        if kept[1] <= at < kept[2] and kept[0] == row:
            return kept[3]
        return None

    def keep(self, ident: Id, row: R, made_at: datetime, until: datetime, value: V) -> None:
        """Keep ``value``, made from ``row`` at ``made_at``, for the instants before ``until``."""
        self._current[ident] = (row, made_at, until, value)
