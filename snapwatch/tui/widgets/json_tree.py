"""A stored document as a collapsible tree, with a search over its keys and values.

Keys are shown in the document's own order (:func:`snapwatch.inspection.ordering.
ordered_document`), not jsonb's storage order. Objects and arrays are nodes labelled
``key {n}`` and ``key [n]`` (``n`` children); array items are named by their index
(``[0]``); scalars are leaves ``key: value`` with the value as JSON (strings quoted,
``null``, ``true``/``false``, numbers as stored). Labels are literal text (never markup)
with control characters shown escaped (in values as JSON escapes), and a search looks at
them as shown. The root
and the first level start expanded, so the document's sections are visible at once.

:class:`DocumentTreeView` adds a search box: ``/`` opens it, enter searches, escape closes
it; ``n``/``N`` go to the next/previous match. Every binding has an id, so it can be
remapped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Input, Tree
from textual.widgets.tree import TreeNode

from snapwatch.inspection.ordering import ordered_document
from snapwatch.text.inert import inert_json, printable
from snapwatch.tui.plain import literal, plain

MATCH_STYLE = "reverse"
"""How the matched part of a label is shown."""
SIZE_STYLE = "dim"
"""The ``{n}`` / ``[n]`` child count after an object's or array's name."""


@dataclass(frozen=True)
class JsonEntry:
    """What one node of the tree stands for."""

    name: str
    """Shown first: the object key, ``[i]`` for an array item, the caller's root label
    (as shown: printable)."""
    key: str | None
    """The object key as shown (searched); None for array items and the root."""
    value: str | None
    """A scalar as JSON text, as shown (searched); None for objects and arrays."""
    size: str | None
    """``{n}`` for an object, ``[n]`` for an array; None for a scalar."""

    def matches(self, folded: str) -> bool:
        """Whether the key or the scalar value contains ``folded`` (casefolded)."""
        return any(folded in part.casefold() for part in (self.key, self.value) if part)

    def label(self, folded: str = "") -> Text:
        """The node's label, with every occurrence of ``folded`` in its key and value
        highlighted."""
        text = Text()
        _append(text, self.name, folded if self.key is not None else "")
        if self.size is not None:
            text.append(f" {self.size}", style=SIZE_STYLE)
        if self.value is not None:
            text.append(": ")
            _append(text, self.value, folded)
        return text


def _append(text: Text, part: str, folded: str) -> None:
    start = len(text)
    text.append(part)
    if not folded:
        return
    lowered = part.casefold()
    at = lowered.find(folded)
    while at >= 0:
        text.stylize(MATCH_STYLE, start + at, start + at + len(folded))
        at = lowered.find(folded, at + len(folded))


def scalar_text(value: Any) -> str:
    """A scalar as JSON: ``"text"``, ``null``, ``true``, ``0.25``; control characters as
    JSON escapes (``"\\u001b"``)."""
    return inert_json(json.dumps(value, ensure_ascii=False))


def _entry(name: str, key: str | None, value: Any) -> JsonEntry:
    shown, shown_key = printable(name), None if key is None else printable(key)
    if isinstance(value, dict):
        return JsonEntry(shown, shown_key, None, f"{{{len(value)}}}")
    if isinstance(value, list):
        return JsonEntry(shown, shown_key, None, f"[{len(value)}]")
    return JsonEntry(shown, shown_key, scalar_text(value), None)


class DocumentTree(Tree[JsonEntry]):
    """A JSON value as a tree, in the document's key order, with a search.

    ``label`` names the root (e.g. ``site_state``); ``document`` is any JSON value (dicts,
    lists, scalars), usually a stored ``site_state``. :meth:`load` shows another one.
    """

    def __init__(
        self,
        label: str,
        document: Any,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(plain(label), name=name, id=id, classes=classes)
        self._root_name = label
        self._matches: list[TreeNode[JsonEntry]] = []
        self._current = -1
        self.load(document)

    def load(self, document: Any) -> None:
        """Show ``document`` instead of what the tree shows; any search is cleared."""
        self.clear()
        self._matches, self._current = [], -1
        value = ordered_document(document)
        entry = _entry(self._root_name, None, value)
        self.root.data = entry
        self.root.set_label(entry.label())
        self.root.allow_expand = entry.value is None
        self._add_branch(self.root, value, depth=0)
        self.root.expand()

    def _add_branch(self, node: TreeNode[JsonEntry], value: Any, depth: int) -> None:
        """The children of ``node`` for the object or array ``value``; the first level
        (``depth`` 0) starts expanded."""
        items: list[tuple[str, str | None, Any]]
        if isinstance(value, dict):
            items = [(str(k), str(k), v) for k, v in value.items()]
        elif isinstance(value, list):
            items = [(f"[{i}]", None, v) for i, v in enumerate(value)]
        else:
            return
        for name, key, child in items:
            entry = _entry(name, key, child)
            if entry.value is not None:
                node.add_leaf(entry.label(), data=entry)
                continue
            branch = node.add(entry.label(), data=entry, expand=depth == 0)
            self._add_branch(branch, child, depth + 1)

    @property
    def match_count(self) -> int:
        """How many nodes the last search found (0 without a search)."""
        return len(self._matches)

    @property
    def match_index(self) -> int | None:
        """Which match (0-based) the cursor was last moved to; None without matches."""
        return self._current if self._matches else None

    def search(self, term: str) -> int:
        """Find every node whose key or scalar value contains ``term`` (ignoring case),
        highlight it, expand its ancestors and move the cursor to the first one (in
        document order). Returns how many were found; an empty term clears the search."""
        for node in self._matches:
            self._relabel(node, "")
        folded = term.strip().casefold()
        self._matches = (
            [n for n in _walk(self.root) if n.data is not None and n.data.matches(folded)]
            if folded
            else []
        )
        for node in self._matches:
            self._relabel(node, folded)
        self._current = -1
        if self._matches:
            self._go(0)
        return len(self._matches)

    def next_match(self) -> TreeNode[JsonEntry] | None:
        """Move the cursor to the next match (after the last, the first); None without
        matches."""
        return self._go(self._current + 1) if self._matches else None

    def previous_match(self) -> TreeNode[JsonEntry] | None:
        """Move the cursor to the previous match (before the first, the last); None
        without matches."""
        return self._go(self._current - 1) if self._matches else None

    def _go(self, index: int) -> TreeNode[JsonEntry]:
        self._current = index % len(self._matches)
        node = self._matches[self._current]
        ancestor = node.parent
        while ancestor is not None:
            ancestor.expand()
            ancestor = ancestor.parent
        # Expanding moves lines; reading last_line lays them out again, so the cursor
        # lands on the node's new line rather than the one it had before.
        _ = self.last_line
        self.move_cursor(node)
        return node

    def _relabel(self, node: TreeNode[JsonEntry], folded: str) -> None:
        if node.data is not None:
            node.set_label(node.data.label(folded))


def _walk(node: TreeNode[JsonEntry]) -> list[TreeNode[JsonEntry]]:
    """``node`` and everything below it, in document order."""
    found: list[TreeNode[JsonEntry]] = []
    stack = [node]
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(reversed(current.children))
    return found


class DocumentTreeView(Vertical):
    """A :class:`DocumentTree` with a search box above it.

    ``/`` opens the box (hidden otherwise), enter searches and returns to the tree, escape
    closes the box; ``n`` / ``N`` move to the next / previous match. The border subtitle
    says how many matches there are and which one the cursor is on.
    """

    DEFAULT_CSS = """
    DocumentTreeView {
        height: 1fr;
        border: round $foreground 40%;
    }
    DocumentTreeView > Input {
        display: none;
    }
    DocumentTreeView > Input.-open {
        display: block;
    }
    DocumentTreeView > DocumentTree {
        height: 1fr;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "open_search", "Search", id="tree.search"),
        Binding("n", "next_match", "Next match", id="tree.next_match"),
        Binding("N", "previous_match", "Previous match", id="tree.previous_match"),
        Binding("escape", "close_search", "Close search", show=False, id="tree.close_search"),
    ]

    PLACEHOLDER = "search keys and values"

    def __init__(
        self,
        label: str,
        document: Any,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._tree = DocumentTree(label, document, id="document-tree")
        self._input = Input(placeholder=self.PLACEHOLDER, id="document-search")
        self._term = ""

    @property
    def document_tree(self) -> DocumentTree:
        return self._tree

    @property
    def search_input(self) -> Input:
        return self._input

    @property
    def searching(self) -> bool:
        """Whether the search box is open."""
        return self._input.has_class("-open")

    def compose(self) -> ComposeResult:
        yield self._input
        yield self._tree

    def load(self, document: Any) -> None:
        """Show another document (e.g. the next snapshot of the session); the search is
        cleared."""
        self._tree.load(document)
        self._term = ""
        self._update_status()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """``n``/``N`` only with matches and escape only with the box open, so that
        otherwise those keys reach the screen."""
        if action in {"next_match", "previous_match"}:
            return self._tree.match_count > 0
        if action == "close_search":
            return self.searching
        return True

    def action_open_search(self) -> None:
        self._input.add_class("-open")
        self._input.focus()

    def action_close_search(self) -> None:
        self._input.remove_class("-open")
        self._tree.focus()

    def action_next_match(self) -> None:
        self._tree.next_match()
        self._update_status()

    def action_previous_match(self) -> None:
        self._tree.previous_match()
        self._update_status()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._term = event.value.strip()
        self._tree.search(self._term)
        self.action_close_search()
        self._update_status()
        self.refresh_bindings()

    def _update_status(self) -> None:
        index = self._tree.match_index
        if not self._term:
            self.border_subtitle = ""
        elif index is None:
            self.border_subtitle = literal(f"no match for {self._term!r}")
        else:
            count = self._tree.match_count
            self.border_subtitle = literal(f"{self._term!r}: {index + 1} of {count} · n/N")
