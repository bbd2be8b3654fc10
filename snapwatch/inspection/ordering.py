"""A stored document in its own key order, without float noise.

PostgreSQL's jsonb keeps keys in its storage order (shorter keys first), not the order the
document was written in. The order of version 1 is the order of the shipped JSON Schema's
``properties`` (the model's field order), so keys are put back in that order at every
level; keys the schema does not know (documents of other shapes) follow in stored order.
For people, floats keep at most 12 significant digits, so ``0.0025000000000000022`` reads
``0.0025``; an export keeps every value exactly as stored. The command line prints the
result as JSON; the inspection screen shows it as a tree.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from snapwatch.snapshot.schema import shipped_schema

Node = dict[str, Any]
SIGNIFICANT_DIGITS = 12


def ordered_document(document: Any, *, exact: bool = False) -> Any:
    """``document`` as plain JSON values (dicts, lists, scalars) with every object's keys
    in the document's order; floats without binary noise, or as stored when ``exact``.
    Never raises: a value of any shape comes back with only its objects reordered."""
    schema = _schema()
    return _ordered(document, schema, schema, exact)


def plain_float(value: float) -> float:
    """``value`` without binary noise beyond 12 significant digits."""
    return float(f"{value:.{SIGNIFICANT_DIGITS}g}")


@cache
def _schema() -> Node:
    schema: Node = shipped_schema()
    return schema


def _ordered(value: Any, node: Node, root: Node, exact: bool) -> Any:
    if isinstance(value, dict):
        alternatives = _objects(node, root)
        keys = [k for alt in alternatives for k in alt.get("properties", {})]
        out: dict[str, Any] = {}
        for key in [*dict.fromkeys(keys), *value]:
            if key in value and key not in out:
                out[key] = _ordered(value[key], _child(alternatives, key), root, exact)
        return out
    if isinstance(value, list):
        items = _items(node, root)
        return [_ordered(v, items, root, exact) for v in value]
    if isinstance(value, float) and not exact:
        return plain_float(value)
    return value


def _resolve(node: Node, root: Node) -> Node:
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        resolved: Node = root.get("$defs", {}).get(ref.removeprefix("#/$defs/"), {})
        return resolved
    return node


def _objects(node: Node, root: Node) -> list[Node]:
    """The object schemas ``node`` may be (itself, or its anyOf/oneOf/allOf options)."""
    node = _resolve(node, root)
    found = [node] if "properties" in node else []
    for key in ("anyOf", "oneOf", "allOf"):
        for option in node.get(key, []):
            found += _objects(option, root)
    return found


def _child(alternatives: list[Node], key: str) -> Node:
    for alt in alternatives:
        if key in alt.get("properties", {}):
            child: Node = alt["properties"][key]
            return child
    return {}


def _items(node: Node, root: Node) -> Node:
    node = _resolve(node, root)
    if isinstance(node.get("items"), dict):
        items: Node = node["items"]
        return items
    for key in ("anyOf", "oneOf"):
        for option in node.get(key, []):
            found = _items(option, root)
            if found:
                return found
    return {}
