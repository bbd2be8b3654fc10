"""The shipped JSON Schema is the one generated from the model, and it is strict (pitfall 19)."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest

from snapwatch.snapshot import schema
from snapwatch.snapshot.model import SnapshotDocument


def test_shipped_schema_equals_the_generated_one() -> None:
    assert schema.shipped_schema_text() == schema.render_schema(), (
        "schema-v1.json is out of date: run python -m snapwatch.snapshot.schema"
    )


def test_schema_module_check_mode_reports_up_to_date(capsys: pytest.CaptureFixture[str]) -> None:
    assert schema.main(["--check"]) == 0
    assert "up to date" in capsys.readouterr().out


def test_shipped_schema_is_a_valid_2020_12_schema_with_id_and_title() -> None:
    shipped = schema.shipped_schema()
    jsonschema.Draft202012Validator.check_schema(shipped)
    assert shipped["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert shipped["$id"] == "urn:snapwatch:schema:snapshot-v1"
    assert shipped["title"]
    assert shipped["properties"]["schema_version"]["const"] == 1


def _objects(node: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        if node.get("type") == "object" and "properties" in node:
            found.append(node)
        for value in node.values():
            found.extend(_objects(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(_objects(value))
    return found


def test_every_object_forbids_extra_keys_and_requires_all_of_its_keys() -> None:
    objects = _objects(schema.shipped_schema())
    assert len(objects) > 15
    for obj in objects:
        assert obj["additionalProperties"] is False, obj.get("title")
        assert sorted(obj["required"]) == sorted(obj["properties"]), obj.get("title")


def test_top_level_keys() -> None:
    assert list(SnapshotDocument.model_fields) == [
        "schema_version",
        "generator",
        "units",
        "snapshot_metadata",
        "site_metadata",
        "program_context",
        "session",
        "devices",
        "environmental_zones",
        "session_metrics",
        "data_quality",
    ]
