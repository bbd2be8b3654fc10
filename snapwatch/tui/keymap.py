"""Every key of the terminal app in one table: binding id, action, what it does.

The default keys come from :class:`snapwatch.infra.config.KeysSettings` (the one place they are
written down, documented in ``config.example.toml``); a user's ``[keys]`` section is
applied as Textual's keymap, so the footer, the help screen and the command palette show
the keys in effect.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.app import App
from textual.binding import Binding, BindingType
from textual.keys import KEY_NAME_REPLACEMENTS, Keys, key_to_character

from snapwatch.infra.config import KeysSettings
from snapwatch.infra.errors import ConfigError


@dataclass(frozen=True)
class KeyAction:
    id: str
    """Binding id: the key of the ``[keys]`` section."""
    action: str
    description: str
    """Footer label (a word or two)."""
    help: str
    """What the help screen and the command palette say."""
    show: bool = True
    """In the footer (all are in the help screen and the palette)."""
    palette: bool = True
    priority: bool = False
    """Before the focused widget's own use of the key (arrows, home/end in a table)."""


MAIN_ACTIONS: tuple[KeyAction, ...] = (
    KeyAction("force", "force", "Force", "force a snapshot of the selected site now"),
    KeyAction("force_all", "force_all", "Force all", "force every eligible site (asks first)"),
    KeyAction("pause", "pause", "Pause", "pause the selected site (asks why), or resume it"),
    KeyAction("pause_all", "pause_all", "Pause all", "pause or resume every site (asks first)"),
    KeyAction("freeze", "freeze", "Freeze", "freeze or unfreeze the view"),
    KeyAction("inspect", "inspect", "Inspect", "the selected site's latest snapshot"),
    KeyAction(
        "history",
        "history",
        "History",
        "the selected site's history (coverage, backfill)",
        show=False,
    ),
    KeyAction("filter", "filter", "Filter", "filter the sites by name, program or state"),
    KeyAction("sort", "sort", "Sort", "cycle the sites' sort order"),
    KeyAction("scope", "scope", "All/site", "snapshots of all sites or of the selected site"),
    KeyAction("refresh", "refresh", "Refresh", "read everything again now"),
    KeyAction("log", "log", "Log", "the app's log"),
    KeyAction("help", "help", "Help", "the keys"),
    KeyAction("quit", "quit", "Quit", "quit (the scheduler finishes the site in hand)"),
    KeyAction("next_pane", "next_pane", "Next pane", "the next pane or tab", show=False),
    KeyAction(
        "previous_pane", "previous_pane", "Previous pane", "the previous pane or tab", show=False
    ),
    KeyAction("pane_sites", "pane('sites')", "Sites", "the sites pane", show=False),
    KeyAction("pane_snapshots", "pane('snapshots')", "Snapshots", "the snapshots pane", show=False),
    KeyAction("pane_devices", "pane('devices')", "Devices", "the devices pane", show=False),
    KeyAction("pane_health", "pane('health')", "Health", "the job health pane", show=False),
    KeyAction(
        "runs",
        "runs",
        "Runs",
        "the run history: recent runs of every instance (or enter on job health)",
        show=False,
    ),
    KeyAction(
        "copy_id",
        "copy_id",
        "Copy id",
        "copy the highlighted site's, snapshot's or device's id (OSC 52)",
        show=False,
    ),
    KeyAction(
        "copy_document",
        "copy_document",
        "Copy JSON",
        "copy the document of what enter would open, as JSON (OSC 52)",
        show=False,
    ),
    KeyAction("export_csv", "export_csv", "CSV", "write the sites table to a CSV file", show=False),
    KeyAction(
        "scale",
        "scale",
        "Scale",
        "MGI sparklines and chart: fixed 0–1 or fitted to the site's data",
        show=False,
    ),
    KeyAction(
        "activity", "activity", "Activity", "the activity trail: who did what, when", show=False
    ),
    KeyAction(
        "newest",
        "newest",
        "Newest",
        "back to the newest snapshot (the list follows new ones again)",
        show=False,
    ),
)
INSPECT_ACTIONS: tuple[KeyAction, ...] = (
    KeyAction(
        "inspect_previous", "step(-1)", "Prev", "the session's previous snapshot", priority=True
    ),
    KeyAction("inspect_next", "step(1)", "Next", "the session's next snapshot", priority=True),
    KeyAction(
        "inspect_first",
        "edge(False)",
        "First",
        "the session's first snapshot",
        show=False,
        priority=True,
    ),
    KeyAction(
        "inspect_last",
        "edge(True)",
        "Last",
        "the session's last snapshot",
        show=False,
        priority=True,
    ),
    KeyAction("inspect_previous_session", "session(-1)", "Prev day", "the previous session's last"),
    KeyAction("inspect_next_session", "session(1)", "Next day", "the next session's first"),
    KeyAction(
        "inspect_play", "play", "Play", "play the session's timeline, or stop", priority=True
    ),
    KeyAction("inspect_faster", "speed(0.5)", "Faster", "play faster", show=False),
    KeyAction("inspect_slower", "speed(2)", "Slower", "play slower", show=False),
    KeyAction(
        "inspect_zones", "zones", "Zones", "every device's zone on the map, or the selected's"
    ),
    KeyAction("inspect_diff", "diff", "Diff", "what changed since the previous snapshot"),
    KeyAction("inspect_tree", "tree", "JSON", "the stored document as a tree, with search"),
    KeyAction("inspect_chart", "chart", "Chart", "the selected device's MGI over time"),
    KeyAction("inspect_export", "export", "Export", "write this document to a JSON file"),
    KeyAction(
        "inspect_export_session",
        "export_session",
        "Export day",
        "write the session's snapshots as JSON lines",
        show=False,
    ),
    KeyAction("inspect_close", "close", "Back", "back to the live screen"),
    KeyAction(
        "inspect_copy_id",
        "copy_id",
        "Copy id",
        "copy the snapshot's id, or the device's when the device table has focus",
        show=False,
    ),
    KeyAction(
        "inspect_copy_document",
        "copy_document",
        "Copy JSON",
        "copy the stored document as JSON (OSC 52)",
        show=False,
    ),
    KeyAction(
        "inspect_export_csv",
        "export_csv",
        "CSV",
        "write the device table to a CSV file",
        show=False,
    ),
    KeyAction(
        "inspect_columns_left",
        "columns(-1)",
        "Cols left",
        "scroll the device table a column left (the code stays)",
        show=False,
    ),
    KeyAction(
        "inspect_columns_right",
        "columns(1)",
        "Columns",
        "scroll the device table a column right (the code stays)",
    ),
    KeyAction(
        "inspect_device", "device", "Device", "every field of the highlighted device, or the map"
    ),
)
HISTORY_ACTIONS: tuple[KeyAction, ...] = (
    KeyAction("history_wider", "days(7)", "More days", "show 7 days more"),
    KeyAction("history_narrower", "days(-7)", "Fewer days", "show 7 days less"),
    KeyAction("history_dry_run", "dry_run", "Dry run", "what a backfill of the range would write"),
    KeyAction(
        "history_backfill",
        "backfill",
        "Backfill",
        "write the range's missing snapshots (asks first)",
    ),
    KeyAction("history_refresh", "reread", "Refresh", "read the history again"),
    KeyAction("history_close", "close", "Back", "back to the live screen (stops a backfill first)"),
)
RUNS_ACTIONS: tuple[KeyAction, ...] = (
    KeyAction(
        "runs_open",
        "open",
        "Open",
        "open: a run's sites, a site's failures, a failure's run",
    ),
    KeyAction("runs_close", "close", "Back", "back one level"),
)
ACTIVITY_ACTIONS: tuple[KeyAction, ...] = (
    KeyAction("activity_filter", "filter", "Filter", "filter by what, who, site, result, detail"),
    KeyAction("activity_close", "close", "Back", "clear the filter, or back to the live screen"),
)
ACTIONS = MAIN_ACTIONS + INSPECT_ACTIONS + HISTORY_ACTIONS + RUNS_ACTIONS + ACTIVITY_ACTIONS
"""Every binding of the app: the ids of the ``[keys]`` section."""
BY_ID = {a.id: a for a in ACTIONS}


def default_key(binding_id: str) -> str:
    field = KeysSettings.model_fields[binding_id]
    return str(field.default)


def bindings(actions: tuple[KeyAction, ...] = MAIN_ACTIONS) -> list[Binding]:
    """A screen's bindings (the main screen's unless told), with the default keys."""
    out: list[Binding] = []
    for a in actions:
        key = default_key(a.id)
        out.append(
            Binding(
                key,
                a.action,
                a.description,
                show=a.show,
                id=a.id,
                priority=a.priority,
            )
        )
    return out


def screen_bindings(actions: tuple[KeyAction, ...]) -> list[BindingType]:
    """A screen's own actions, then help and quit with the main screen's keys (remapped
    with them): what every full screen binds."""
    return [
        *bindings(actions),
        Binding(default_key("help"), "help", BY_ID["help"].description, id="help"),
        Binding(default_key("quit"), "app.quit", BY_ID["quit"].description, id="quit"),
    ]


def keymap(keys: KeysSettings) -> dict[str, str]:
    """The user's remapped keys (binding id → keys), for :meth:`App.set_keymap`."""
    return {
        name: value
        for name, value in keys.model_dump().items()
        if name in BY_ID and value != default_key(name)
    }


def keys_in_effect(
    keys: KeysSettings, actions: tuple[KeyAction, ...] = MAIN_ACTIONS
) -> dict[str, list[str]]:
    """Binding id → the keys bound to it (the user's ``[keys]`` over the defaults)."""
    values = keys.model_dump()
    return {a.id: [k.strip() for k in str(values[a.id]).split(",")] for a in actions}


def inspect_binding() -> Binding:
    """``enter`` on a table inspects (instead of the table's own row selection), so the
    footer shows it and remapping ``inspect`` moves it too."""
    return Binding(
        default_key("inspect"), "screen.inspect", BY_ID["inspect"].description, id="inspect"
    )


def newest_binding() -> Binding:
    """``home`` on a list that follows its head: back to the newest row (before the
    table's own use of the key); remapping ``newest`` moves it too."""
    action = BY_ID["newest"]
    return Binding(
        default_key(action.id), action.action, action.description, show=action.show, id=action.id
    )


def shown_keys(
    app: App[Any], keys: KeysSettings, actions: tuple[KeyAction, ...]
) -> list[tuple[str, str]]:
    """Each action's keys in effect (after the user's remapping), as the terminal names
    them, with what the action does: for the help screen and the palette."""
    effective = keys_in_effect(keys, actions)
    return [
        (", ".join(app.get_key_display(Binding(k, a.action)) for k in effective[a.id]), a.help)
        for a in actions
    ]


MODIFIERS = frozenset({"ctrl", "shift", "alt", "meta", "super", "hyper"})
NAMED_KEYS = frozenset(
    [k.value for k in Keys if "+" not in k.value and not k.value.startswith("<")]
    + list(KEY_NAME_REPLACEMENTS.values())
)
QUIT_ALWAYS = ("ctrl+q", "ctrl+c")
"""Keys that quit whatever ``[keys]`` says: no other binding may take them."""


def check_keys(keys: KeysSettings) -> None:
    """Refuse, before the app starts, a ``[keys]`` section with a key name the terminal
    cannot send, or a binding that takes a quit key (``ctrl+q``, ``ctrl+c`` or the keys of
    ``quit``) from quitting: one line naming the binding (:class:`ConfigError`, exit 2)."""
    values = {name: str(value) for name, value in keys.model_dump().items()}
    quitting = {k.strip() for k in values["quit"].split(",")} | set(QUIT_ALWAYS)
    for name, value in values.items():
        for key in (k.strip() for k in value.split(",")):
            if not _known_key(key):
                raise ConfigError(
                    f"[keys] {name} = {value!r}: {key!r} is not a key name"
                    " (a character, or a name such as enter, space, f5, ctrl+x)"
                )
            if name != "quit" and key in quitting:
                raise ConfigError(
                    f"[keys] {name} = {value!r}: {key!r} quits the app and cannot be rebound"
                )


def _known_key(key: str) -> bool:
    *modifiers, base = key.split("+")
    if not base or any(m not in MODIFIERS for m in modifiers):
        return False
    return (
        (len(base) == 1 and base.isprintable())
        or base in NAMED_KEYS
        or (key_to_character(base) is not None)
    )
