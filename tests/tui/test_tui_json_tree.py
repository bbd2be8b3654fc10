"""The document tree: document key order, expand/collapse by key, search and its cycling."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets.tree import TreeNode

from snapwatch.tui.widgets.json_tree import DocumentTree, DocumentTreeView, JsonEntry

# A version-1 document as the generator writes it (two devices, one zone, one finding).
DOC: dict[str, Any] = {
    "schema_version": 1,
    "generator": {"name": "snapwatch", "version": "0.1.0"},
    "units": {
        "temperature": "°F",
        "humidity": "%RH",
        "pressure": "hPa",
        "gas_resistance": "Ω",
        "battery_voltage": "V",
        "wifi_rssi": "dBm",
        "position": "ft",
        "mgi": "0-1",
    },
    "snapshot_metadata": {
        "wake_number": 4,
        "wake_round_start": "2026-11-28T12:00:00+00:00",
        "wake_round_end": "2026-11-28T14:00:00+00:00",
        "session_id": "6379541d-31da-5b23-a575-cf2744f35315",
        "generated_at": "2026-11-28T14:02:00+00:00",
        "trigger": "schedule",
        "provisional": False,
        "late_by_seconds": 0.0,
        "cadence_hours": 2.0,
        "skipped_slots": 0,
        "locf_max_age_hours": 48.0,
    },
    "site_metadata": {
        "site_id": "78a138e9-c0b7-5193-b3fb-db7fe89d40a8",
        "site_name": "Greenhouse 3",
        "site_code": 103,
        "site_type": "greenhouse",
        "dimensions": {"length": 100.0, "width": 60.0, "height": 12.0},
        "timezone": "America/New_York",
        "timezone_assumed": False,
    },
    "program_context": {
        "program_id": "11999ce8-6de1-5bc1-aa47-9db3ecc011e2",
        "program_name": "Winter trial",
        "program_start_date": "2026-11-01",
        "program_end_date": "2027-01-31",
        "program_day": 28,
        "total_days": 92,
        "company_id": "52257b5c-ebac-58c3-b85d-54022c9e6969",
        "company_name": "Acme Growers",
    },
    "session": {
        "session_id": "6379541d-31da-5b23-a575-cf2744f35315",
        "session_date": "2026-11-28",
        "session_start_time": "2026-11-28T05:00:00+00:00",
        "session_end_time": "2026-11-29T05:00:00+00:00",
        "status": "in_progress",
        "expected_wake_count": 12,
    },
    "devices": [
        {
            "device_id": "4ff7e804-b523-592f-89cf-8d92fcc985a3",
            "device_code": "DEVICE-D1",
            "device_name": "Bench d1",
            "device_mac": "AA:BB:CC:00:4f:f7",
            "position": {"x": 20.0, "y": 30.0},
            "zone_id": None,
            "zone_label": None,
            "status": "active",
            "battery_voltage": 3.9,
            "battery_health_percent": 87,
            "last_seen_at": "2026-11-28T13:00:00+00:00",
            "telemetry": {
                "temperature": 71.5,
                "humidity": 55.0,
                "pressure": 1012.5,
                "gas_resistance": 15000.0,
                "wifi_rssi": -61,
                "battery_voltage": 3.8,
                "captured_at": "2026-11-28T13:00:00+00:00",
                "is_current": True,
                "data_freshness": "current_wake",
                "hours_since_last": 1.0,
                "wake_payload_id": "4c7b4103-90be-5ec1-bacc-926e39748005",
                "image_id": None,
            },
            "mgi_state": {
                "current_mgi": 0.3,
                "captured_at": "2026-11-28T13:00:00+00:00",
                "is_current": True,
                "data_freshness": "current_wake",
                "hours_since_last": 1.0,
                "mgi_velocity": {"per_hour": 0.0333333},
                "image_id": "1964f165-e45c-5e56-b0fa-44dddadb81d6",
                "previous_mgi": 0.2,
                "previous_captured_at": "2026-11-28T10:00:00+00:00",
                "delta": 0.1,
                "velocity_per_day": 0.8,
                "speed_per_day": 0.0107143,
                "band": "elevated",
            },
            "images_this_round": [
                {
                    "image_id": "1964f165-e45c-5e56-b0fa-44dddadb81d6",
                    "image_url": "https://images.example/i.jpg",
                    "mgi_score": 0.3,
                    "captured_at": "2026-11-28T13:00:00+00:00",
                    "observation_type": "petri",
                    "wake_payload_id": None,
                }
            ],
            "images_omitted": 0,
            "alerts": [
                {
                    "alert_id": "6683dc68-ce9e-503b-9e7f-6482ce7c95fb",
                    "alert_type": "mgi_high",
                    "severity": "warning",
                    "message": "MGI is in the high band",
                    "triggered_at": "2026-11-28T13:00:00+00:00",
                }
            ],
            "display": {"color": "#f97316", "shape": "circle", "size": "medium"},
        },
        {
            "device_id": "3d248ab2-3b1b-5019-9800-3c5e55b845cf",
            "device_code": "DEVICE-D2",
            "device_name": "Bench d2",
            "device_mac": "AA:BB:CC:00:3d:24",
            "position": None,
            "zone_id": None,
            "zone_label": None,
            "status": "active",
            "battery_voltage": 3.9,
            "battery_health_percent": 87,
            "last_seen_at": "2026-11-28T13:00:00+00:00",
            "telemetry": {
                "temperature": None,
                "humidity": None,
                "pressure": None,
                "gas_resistance": None,
                "wifi_rssi": None,
                "battery_voltage": None,
                "captured_at": None,
                "is_current": False,
                "data_freshness": "no_data",
                "hours_since_last": None,
                "wake_payload_id": None,
                "image_id": None,
            },
            "mgi_state": {
                "current_mgi": None,
                "captured_at": None,
                "is_current": False,
                "data_freshness": "no_data",
                "hours_since_last": None,
                "mgi_velocity": {"per_hour": None},
                "image_id": None,
                "previous_mgi": None,
                "previous_captured_at": None,
                "delta": None,
                "velocity_per_day": None,
                "speed_per_day": None,
                "band": "unknown",
            },
            "images_this_round": [],
            "images_omitted": 0,
            "alerts": [],
            "display": {"color": "#9ca3af", "shape": "circle", "size": "medium"},
        },
    ],
    "environmental_zones": [
        {
            "zone_id": "device_zone_4ff7e804-b523-592f-89cf-8d92fcc985a3",
            "zone_label": "Bench d1 Zone",
            "bounds": {"x1": 5.0, "y1": 15.0, "x2": 35.0, "y2": 45.0},
            "source": "device",
            "center": {"x": 20.0, "y": 30.0},
            "radius": 15.0,
            "shape": "circle",
            "device_id": "4ff7e804-b523-592f-89cf-8d92fcc985a3",
            "device_code": "DEVICE-D1",
        }
    ],
    "session_metrics": {
        "active_devices_count": 2,
        "new_images_this_round": 1,
        "new_alerts_this_round": 1,
        "devices_reporting": 1,
        "devices_carried_forward": 0,
        "devices_stale": 0,
        "devices_without_data": 1,
        "avg_temperature": 71.5,
        "avg_humidity": 55.0,
        "avg_mgi": 0.3,
        "max_mgi": 0.3,
    },
    "data_quality": [
        {
            "device_id": None,
            "field": "zones[0]",
            "value": '{"zone_id": "z1", "zone_label": "North", "x1": 0, "y1": 0, '
            '"x2": 50, "y2": 30}',
            "problem": "malformed_zone",
        }
    ],
}


def as_stored(value: Any) -> Any:
    """``value`` with every object's keys in jsonb's storage order (shorter keys first)."""
    if isinstance(value, dict):
        return {k: as_stored(value[k]) for k in sorted(value, key=lambda k: (len(k), k))}
    if isinstance(value, list):
        return [as_stored(v) for v in value]
    return value


class TreeApp(App[None]):
    def compose(self) -> ComposeResult:
        yield DocumentTreeView("site_state", as_stored(DOC), id="view")

    @property
    def view(self) -> DocumentTreeView:
        return self.query_one(DocumentTreeView)

    @property
    def document_tree(self) -> DocumentTree:
        return self.view.document_tree


def names(node: TreeNode[JsonEntry]) -> list[str]:
    return [child.data.name for child in node.children if child.data is not None]


def path(node: TreeNode[JsonEntry] | None) -> list[str]:
    """The names from the first level down to ``node``."""
    found: list[str] = []
    while node is not None and node.parent is not None:
        assert node.data is not None
        found.insert(0, node.data.name)
        node = node.parent
    return found


def child(node: TreeNode[JsonEntry], *names: str) -> TreeNode[JsonEntry]:
    for name in names:
        node = next(c for c in node.children if c.data is not None and c.data.name == name)
    return node


async def test_keys_are_in_the_documents_order_with_root_and_first_level_expanded() -> None:
    app = TreeApp()
    async with app.run_test(size=(80, 24)):
        tree = app.document_tree
        assert list(as_stored(DOC))[:2] == ["units", "devices"]  # what the database gives
        assert names(tree.root) == list(DOC)
        assert names(tree.root)[0] == "schema_version" and names(tree.root)[-1] == "data_quality"
        device = child(tree.root, "devices", "[0]")
        assert names(device) == list(DOC["devices"][0])
        assert names(child(device, "mgi_state")) == list(DOC["devices"][0]["mgi_state"])
        assert tree.root.is_expanded
        first_level = [c for c in tree.root.children if c.allow_expand]
        assert first_level and all(c.is_expanded for c in first_level)
        assert not device.is_expanded


async def test_labels_show_counts_and_scalars_as_json() -> None:
    app = TreeApp()
    async with app.run_test(size=(80, 24)):
        tree = app.document_tree

        def label(*names: str) -> str:
            return str(child(tree.root, *names).label)

        assert str(tree.root.label) == "site_state {11}"
        assert label("schema_version") == "schema_version: 1"
        assert label("generator") == "generator {2}"
        assert label("devices") == "devices [2]"
        assert label("devices", "[0]") == "[0] {17}"
        assert label("snapshot_metadata", "trigger") == 'trigger: "schedule"'
        assert label("snapshot_metadata", "provisional") == "provisional: false"
        assert label("snapshot_metadata", "cadence_hours") == "cadence_hours: 2.0"
        assert label("devices", "[1]", "position") == "position: null"
        assert label("data_quality", "[0]", "value").startswith('value: "{\\"zone_id\\"')


async def test_a_node_collapses_and_expands_by_key_press() -> None:
    app = TreeApp()
    async with app.run_test(size=(80, 24)) as pilot:
        tree = app.document_tree
        tree.focus()
        await pilot.press("home", "down", "down")
        generator = child(tree.root, "generator")
        assert tree.cursor_node is generator and generator.is_expanded
        await pilot.press("space")
        assert not generator.is_expanded
        await pilot.press("space")
        assert generator.is_expanded
        await pilot.press("down")
        assert path(tree.cursor_node) == ["generator", "name"]


async def test_search_finds_a_value_deep_in_devices_and_shows_it() -> None:
    app = TreeApp()
    async with app.run_test(size=(80, 24)) as pilot:
        view, tree = app.view, app.document_tree
        tree.focus()
        assert not view.search_input.display
        await pilot.press("slash")
        assert view.search_input.display and app.focused is view.search_input
        assert view.search_input.placeholder == "search keys and values"
        await pilot.press(*"0.0333", "enter")
        await pilot.pause()
        assert tree.match_count == 1
        assert path(tree.cursor_node) == ["devices", "[0]", "mgi_state", "mgi_velocity", "per_hour"]
        assert tree.cursor_node is not None
        assert all(a.is_expanded for a in _ancestors(tree.cursor_node))
        assert app.focused is tree and not view.search_input.display
        assert view.border_subtitle == "'0.0333': 1 of 1 · n/N"
        # the match is highlighted in its label
        label = tree.cursor_node.label
        assert [label.plain[s.start : s.end] for s in label.spans if s.style == "reverse"] == [
            "0.0333"
        ]


async def test_n_and_shift_n_cycle_through_matches_and_wrap() -> None:
    app = TreeApp()
    async with app.run_test(size=(80, 24)) as pilot:
        tree = app.document_tree
        tree.focus()
        await pilot.press("slash", *"DEVICE_CODE", "enter")
        await pilot.pause()
        assert tree.match_count == 3  # two devices and the zone, whatever the case
        seen = [path(tree.cursor_node)]
        for _ in range(3):
            await pilot.press("n")
            seen.append(path(tree.cursor_node))
        assert seen == [
            ["devices", "[0]", "device_code"],
            ["devices", "[1]", "device_code"],
            ["environmental_zones", "[0]", "device_code"],
            ["devices", "[0]", "device_code"],  # wrapped
        ]
        await pilot.press("N")
        assert path(tree.cursor_node) == ["environmental_zones", "[0]", "device_code"]
        assert tree.match_index == 2


async def test_a_search_without_match_returns_zero_and_leaves_the_cursor() -> None:
    app = TreeApp()
    async with app.run_test(size=(80, 24)) as pilot:
        view, tree = app.view, app.document_tree
        tree.focus()
        assert tree.search("DEVICE-D1") == 2  # the device and its zone
        found = tree.cursor_node
        assert path(found) == ["devices", "[0]", "device_code"]
        assert tree.search("no such thing") == 0
        assert tree.cursor_node is found and tree.match_index is None
        assert tree.next_match() is None and tree.previous_match() is None
        assert found is not None and isinstance(found.label, Text)
        assert not any(s.style == "reverse" for s in found.label.spans)
        await pilot.press("slash", *"no such thing", "enter")
        await pilot.pause()
        assert view.border_subtitle == "no match for 'no such thing'"
        await pilot.press("n")  # without matches n is not the tree's: nothing moves
        assert tree.cursor_node is found


async def test_escape_closes_the_search_box_without_searching() -> None:
    app = TreeApp()
    async with app.run_test(size=(80, 24)) as pilot:
        view, tree = app.view, app.document_tree
        tree.focus()
        await pilot.press("slash", *"greenhouse", "escape")
        await pilot.pause()
        assert not view.search_input.display and app.focused is tree
        assert tree.match_count == 0 and not view.border_subtitle


def test_every_binding_has_an_id() -> None:
    ids = {b.id for b in DocumentTreeView.BINDINGS if not isinstance(b, tuple | str)}
    assert ids == {"tree.search", "tree.next_match", "tree.previous_match", "tree.close_search"}


def _ancestors(node: TreeNode[JsonEntry]) -> list[TreeNode[JsonEntry]]:
    found = []
    while node.parent is not None:
        node = node.parent
        found.append(node)
    return found
