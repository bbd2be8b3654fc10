"""A stored document as JSON for people: in the document's own key order, without float
noise (:mod:`snapwatch.inspection.ordering`); empty arrays and objects stay on one line;
non-ASCII text as it is, control characters as JSON escapes (:func:`inert_json`)."""

from __future__ import annotations

import json
from typing import Any

from snapwatch.inspection.ordering import ordered_document
from snapwatch.text.inert import inert_json


def document_json(document: Any) -> str:
    """``document`` as indented JSON text, keys in the document's order."""
    return inert_json(json.dumps(ordered_document(document), indent=2, ensure_ascii=False))
