"""The stored document as a collapsible tree over the inspection screen, keys in the
document's own order; ``/`` searches keys and values, ``n``/``N`` step through matches."""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import ModalScreen

from snapwatch.tui.plain import literal
from snapwatch.tui.widgets.json_tree import DocumentTree, DocumentTreeView
from snapwatch.tui.widgets.keys_footer import KeysFooter


class TreeScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,j", "close", "Close", id="json.close"),
    ]
    DEFAULT_CSS = """
    TreeScreen { background: $surface; }
    TreeScreen DocumentTreeView { height: 1fr; }
    """

    def __init__(self, document: Any, title: str) -> None:
        super().__init__()
        self.document = document
        self.title_text = title

    def compose(self) -> ComposeResult:
        view = DocumentTreeView(self.title_text, self.document, id="json-view")
        view.border_title = literal(f"stored document · {self.title_text}")
        yield view
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one(DocumentTree).focus()

    @property
    def document_tree(self) -> DocumentTree:
        return self.query_one(DocumentTree)

    def action_close(self) -> None:
        self.dismiss(None)
