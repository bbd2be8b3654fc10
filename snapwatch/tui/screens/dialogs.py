"""Dialogs that ask before an action: a yes/no confirmation, and pause (reason, duration).

They only ask: the answer is handed back with ``dismiss`` and the main screen runs the
action in a worker. A duration is checked as it is typed
(:func:`snapwatch.text.durations.parse_duration`), so a typo is one line in the dialog, not a
failed action.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from snapwatch.text.durations import DurationError, parse_duration
from snapwatch.tui.plain import plain


class ConfirmScreen(ModalScreen[bool]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,n", "answer(False)", "No", id="confirm.no"),
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
    ]

    def __init__(self, question: str, *, yes: str = "Yes") -> None:
        super().__init__(classes="dialog-screen")
        self._question = question
        self._yes = yes

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(plain(self._question), classes="dialog-question")
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{self._yes} (y)", variant="primary", id="yes")
                yield Button("Cancel (n)", id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


@dataclass(frozen=True)
class PauseRequest:
    reason: str | None
    duration: timedelta | None
    """None: until resumed."""


class PauseScreen(ModalScreen[PauseRequest | None]):
    """Why, and for how long (empty: until resumed)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="pause.cancel"),
    ]

    def __init__(self, scope: str) -> None:
        super().__init__(classes="dialog-screen")
        self._scope = scope

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="pause-dialog"):
            yield Static(plain(f"Pause snapshots of {self._scope}"), classes="dialog-question")
            yield Label("Reason (shown to everyone)")
            yield Input(placeholder="e.g. maintenance", id="pause-reason")
            yield Label("For how long (empty: until resumed)")
            yield Input(placeholder="2h, 90m, 1h30m, 1d", id="pause-duration")
            yield Static("", id="pause-problem")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Pause", variant="warning", id="pause")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#pause-reason", Input).focus()

    def _duration(self) -> timedelta | None:
        text = self.query_one("#pause-duration", Input).value.strip()
        return parse_duration(text) if text else None

    @on(Input.Changed, "#pause-duration")
    def _check(self, _event: Input.Changed) -> None:
        problem = self.query_one("#pause-problem", Static)
        try:
            self._duration()
        except DurationError as exc:
            problem.update(Text(str(exc)))
        else:
            problem.update("")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "pause-reason":
            self.query_one("#pause-duration", Input).focus()
        else:
            self._done()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "pause":
            self._done()
        else:
            self.dismiss(None)

    def _done(self) -> None:
        try:
            duration = self._duration()
        except DurationError as exc:
            self.query_one("#pause-problem", Static).update(Text(str(exc)))  # names the forms
            return
        reason = self.query_one("#pause-reason", Input).value.strip() or None
        self.dismiss(PauseRequest(reason, duration))

    def action_cancel(self) -> None:
        self.dismiss(None)
