"""A stored document as JSON for people: in the document's own key order, without float
noise (:mod:`snapwatch.inspection.ordering`); empty arrays and objects stay on one line."""

from __future__ import annotations

import json
from typing import Any

from snapwatch.inspection.ordering import ordered_document


def document_json(document: Any) -> str:
    """``document`` as indented JSON text, keys in the document's order."""
    return json.dumps(ordered_document(document), indent=2, ensure_ascii=False)
