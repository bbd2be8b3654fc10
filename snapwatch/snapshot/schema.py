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
