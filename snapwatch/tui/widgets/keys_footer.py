"""The footer: `?` help and `q` quit first, then the screen's keys while they fit.

Textual's footer lists the active bindings in the order the focus chain gives them and
lets the line run off the edge, so on a narrow terminal the keys an operator needs first
(help, quit) were the ones cut. This footer puts the bindings with the ids ``help``
and ``quit`` first, then the focused widget's keys, then the screen's in the order it
declares them (their priority), and leaves out, from the end, whatever would not fit the
width; the help screen lists them all. A key remapped in ``[keys]`` keeps its place.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

FIRST = ("help", "quit")
"""Binding ids shown before every other key, whatever the width."""
PALETTE_WIDTH = 14
"""What the command palette's key (docked right: ``^p palette`` and its border) takes."""


def key_width(key_display: str, description: str) -> int:
    """Cells a footer key takes: the key and its description, each padded by one."""
    return cell_len(key_display) + 2 + (cell_len(description) + 1 if description else 0)


def fitted(
    keys: Sequence[tuple[str | None, int]], width: int, declared: Sequence[str | None] = ()
) -> list[int]:
    """Which keys to show, in order, given each one's (binding id, width): the
    :data:`FIRST` ids always, then the focused widget's keys (those the screen does not
    declare), then the screen's in the order it ``declared`` them (a remapped key keeps
    its place), until one does not fit."""
    place = {binding_id: i for i, binding_id in enumerate(declared)}

    def rank(i: int) -> tuple[int, int]:
        binding_id = keys[i][0]
        if binding_id in FIRST:
            return (0, FIRST.index(binding_id))
        return (2, place[binding_id]) if binding_id in place else (1, i)

    shown: list[int] = []
    used = 0
    for i in sorted(range(len(keys)), key=rank):
        binding_id, need = keys[i]
        if used + need > width and binding_id not in FIRST:
            break
        shown.append(i)
        used += need
    return shown


class KeysFooter(Footer):
    """A footer whose first keys are help and quit, cut to the width from the end."""

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        active = self.screen.active_bindings
        by_action: dict[str, tuple[Binding, bool, str]] = {}
        for _node, binding, enabled, tooltip in active.values():
            if binding.show and binding.action not in by_action:
                by_action[binding.action] = (binding, enabled, tooltip)
        shown = [
            (binding, enabled, tooltip, self.app.get_key_display(binding))
            for binding, enabled, tooltip in by_action.values()
        ]
        palette = self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE
        room = (self.size.width or self.app.size.width) - (PALETTE_WIDTH if palette else 0)
        widths = [(b.id, key_width(display, b.description)) for b, _, _, display in shown]
        declared = [b.id for b in self.screen.BINDINGS if isinstance(b, Binding)]
        for i in fitted(widths, room, declared):
            binding, enabled, tooltip, display = shown[i]
            yield FooterKey(
                binding.key,
                display,
                binding.description,
                binding.action,
                disabled=not enabled,
                tooltip=tooltip,
            ).data_bind(compact=Footer.compact)
        if palette:
            try:
                _node, binding, enabled, tooltip = active[self.app.COMMAND_PALETTE_BINDING]
            except KeyError:
                return
            yield FooterKey(
                binding.key,
                self.app.get_key_display(binding),
                binding.description,
                binding.action,
                classes="-command-palette",
                disabled=not enabled,
                tooltip=binding.tooltip or binding.description,
            )

    def on_resize(self, event: events.Resize) -> None:
        if self.is_attached:
            self.call_after_refresh(self.recompose)
