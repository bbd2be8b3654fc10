"""The JSON Schema of the snapshot document, generated from the model and shipped.

Regenerate the shipped file after changing the model::

    python -m snapwatch.snapshot.schema          # rewrite schema-v1.json
    python -m snapwatch.snapshot.schema --check  # exit 1 when it is out of date
"""

from __future__ import annotations

import argparse
import json
import sys
from importlib import resources
from pathlib import Path
from typing import Any

from snapwatch.snapshot.model import SnapshotDocument

SCHEMA_FILE = "schema-v1.json"
SCHEMA_ID = "urn:snapwatch:schema:snapshot-v1"
SCHEMA_TITLE = "snapwatch snapshot document, version 1"
DIALECT = "https://json-schema.org/draft/2020-12/schema"


def generate_schema() -> dict[str, Any]:
    body = SnapshotDocument.model_json_schema()
    return {"$schema": DIALECT, "$id": SCHEMA_ID, **body, "title": SCHEMA_TITLE}


def render_schema() -> str:
    return json.dumps(generate_schema(), indent=2, ensure_ascii=False) + "\n"


def shipped_schema_text() -> str:
    return resources.files(__package__).joinpath(SCHEMA_FILE).read_text(encoding="utf-8")


def shipped_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(shipped_schema_text())
    return schema


JSON_TYPES = {
    "integer": "number",
    "number": "number",
    "string": "string",
    "boolean": "boolean",
    "object": "object",
    "array": "array",
    "null": "null",
}
"""JSON Schema's types as PostgreSQL's ``jsonb_typeof`` names them."""


def shallow_rule(
    schema: dict[str, Any] | None = None,
) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """The schema's required keys two levels deep, each with the JSON types it allows:
    ``(("snapshot_metadata", "wake_number"), ("number",))``. Checked in SQL on every
    stored row (an audit never reads whole documents); the full schema is the rule."""
    schema = schema or shipped_schema()
    defs = schema.get("$defs", {})
    rule: list[tuple[tuple[str, ...], tuple[str, ...]]] = []
    for key in schema.get("required", []):
        prop = _resolved(schema["properties"][key], defs)
        rule.append(((key,), _types(prop, defs)))
        for inner in prop.get("required", []):
            rule.append(((key, inner), _types(_resolved(prop["properties"][inner], defs), defs)))
    return rule


def _resolved(prop: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    ref = prop.get("$ref")
    if isinstance(ref, str):
        resolved: dict[str, Any] = defs[ref.rsplit("/", 1)[-1]]
        return resolved
    return prop


def _types(prop: dict[str, Any], defs: dict[str, Any]) -> tuple[str, ...]:
    """The ``jsonb_typeof`` names ``prop`` allows (every type, when it does not say)."""
    if "type" in prop:
        kinds = prop["type"] if isinstance(prop["type"], list) else [prop["type"]]
        return tuple(dict.fromkeys(JSON_TYPES[k] for k in kinds))
    options = prop.get("anyOf") or prop.get("oneOf")
    if options:
        return tuple(dict.fromkeys(t for o in options for t in _types(_resolved(o, defs), defs)))
    return tuple(dict.fromkeys(JSON_TYPES.values()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m snapwatch.snapshot.schema")
    parser.add_argument("--check", action="store_true", help="only check it is up to date")
    args = parser.parse_args(argv)
    path = Path(__file__).with_name(SCHEMA_FILE)
    text = render_schema()
    if args.check:
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if current != text:
            print(f"{path} is out of date; run python -m snapwatch.snapshot.schema")
            return 1
        print(f"{path} is up to date")
        return 0
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
