"""A keyed table of arriving things, newest first, that follows its head.

The rule for every list that grows at the top (recent snapshots, activity):

- While the cursor is on the first row (where it starts), the table *follows the head*:
  new rows show at the top and the cursor moves to the newest.
- Once the operator has moved the cursor down, it stays on the same row **by key** as
  rows arrive above it, and that row keeps its place on the screen; :attr:`newer` counts
  the rows that arrived above it since (a pane shows it, e.g. ``↑ 3 newer``).
- Moving back to the first row, or :meth:`follow_head` (the ``newest`` key), follows
  the head again and clears the count. So does a kept row leaving the list.

:class:`NewerChanged` is posted when the count changes. ``enter`` opens the highlighted
row: callers read :attr:`~snapwatch.tui.panes.table.KeyedTable.cursor_key`.
"""

from __future__ import annotations

from typing import ClassVar

from textual.binding import BindingType
from textual.coordinate import Coordinate
from textual.message import Message

from snapwatch.tui import keymap
from snapwatch.tui.panes.table import KeyedTable


class NewerChanged(Message):
    """How many rows arrived above the kept row (0: the table follows its head)."""

    def __init__(self, newer: int) -> None:
        super().__init__()
        self.newer = newer


class HeadFollowingTable(KeyedTable):
    """A :class:`KeyedTable` whose rows are given newest first."""

    BINDINGS: ClassVar[list[BindingType]] = [*KeyedTable.BINDINGS, keymap.newest_binding()]

    def __init__(self, *, id: str | None = None, fixed_columns: int = 0) -> None:
        super().__init__(id=id, fixed_columns=fixed_columns)
        self._arrived: set[str] = set()
        """Keys that arrived while the cursor was away from the head."""
        self._applying = False
        self._before: tuple[bool, frozenset[str], int] = (True, frozenset(), 0)
        """Before a change: whether the table followed its head, the keys shown, and the
        cursor's row on the screen."""
        self._top: int | None = None
        """The first row to show once the table is refreshed (a scroll not made yet)."""
        self.newer = 0

    @property
    def newer_text(self) -> str:
        """``↑ 3 newer`` while rows arrived above the kept row, else nothing: the marker
        every such list shows first in its title (a narrow title cuts the end)."""
        return f"↑ {self.newer} newer" if self.newer else ""

    @property
    def following(self) -> bool:
        return self.row_count == 0 or self.cursor_row == 0

    def follow_head(self) -> None:
        """The cursor to the newest row; new rows keep it there."""
        if self.row_count:
            self.move_cursor(row=0)
        self._scroll_later(0)
        self._count()

    # -- the hooks of KeyedTable ------------------------------------------------------------

    def _apply(self) -> None:
        top = self._top if self._top is not None else round(self.scroll_y)
        screen_row = self.cursor_row - top
        self._before = (self.following, frozenset(self.row_keys), screen_row)
        self._applying = True
        try:
            super()._apply()
        finally:
            self._applying = False
        self._count()

    def _restore_cursor(self, key: str | None) -> None:
        following, shown, screen_row = self._before
        if following or key is None or key not in self._shown:
            self._arrived.clear()
            if self.row_count:
                self.move_cursor(row=0, scroll=False)
            self._scroll_later(0)
            return
        keys = self.row_keys
        self._arrived = {k for k in keys if k not in shown or k in self._arrived}
        super()._restore_cursor(key)
        self._scroll_later(max(0, self.cursor_row - screen_row))

    def _scroll_later(self, top: int) -> None:
        """After the refresh that gives the table its new height (and after the table's
        own scroll to the cursor), so the kept row keeps its place on the screen."""
        self._top = top
        self.call_after_refresh(self._scroll)

    def _scroll(self) -> None:
        if self._top is not None:
            self.scroll_to(y=self._top, animate=False)
            self._top = None

    def action_newest(self) -> None:
        self.follow_head()

    def watch_cursor_coordinate(
        self, old_coordinate: Coordinate, new_coordinate: Coordinate
    ) -> None:
        super().watch_cursor_coordinate(old_coordinate, new_coordinate)
        if not self._applying:
            self._count()

    def _count(self) -> None:
        if self.following:
            self._arrived.clear()
        above = self.row_keys[: self.cursor_row]
        newer = sum(1 for key in above if key in self._arrived)
        if newer != self.newer:
            self.newer = newer
            self.post_message(NewerChanged(newer))
