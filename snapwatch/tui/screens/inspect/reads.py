"""Reads for a screen, in workers: the result comes back as a message, and the screen's
callback shows it; a failure is one line, to the screen's own handler or a notification."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any, ClassVar

from textual import on
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.screen import Screen

from snapwatch.infra.config import KeysSettings
from snapwatch.infra.dbsession import Conn
from snapwatch.tui import keymap
from snapwatch.tui.data import AppData, error_line


class Ready(Message):
    """A read finished: ``then(value)`` shows it."""

    def __init__(self, then: Callable[[Any], object], value: Any) -> None:
        super().__init__()
        self.then = then
        self.value = value


class Failed(Message):
    """A read failed: ``then(line)`` handles the one-line reason."""

    def __init__(self, then: Callable[[str], object], line: str) -> None:
        super().__init__()
        self.then = then
        self.line = line


class Said(Message):
    def __init__(self, text: str, severity: SeverityLevel) -> None:
        super().__init__()
        self.text = text
        self.severity = severity


class ReadingScreen(Screen[None]):
    """A screen that reads through the app's database session (``self.data``), with its
    keys (``ACTIONS``) in the help screen and the command palette."""

    data: AppData
    ACTIONS: ClassVar[tuple[keymap.KeyAction, ...]] = ()

    def key_settings(self) -> KeysSettings:
        raise NotImplementedError

    def shown_keys(self) -> list[tuple[str, str]]:
        return keymap.shown_keys(self.app, self.key_settings(), self.ACTIONS)

    def palette_commands(self) -> Iterable[tuple[str, str, Callable[[], Any]]]:
        for a, (keys, _) in zip(self.ACTIONS, self.shown_keys(), strict=True):
            yield f"{a.description} ({keys})", a.help, self._runner(a.action)

    def _runner(self, action: str) -> Callable[[], Any]:
        async def run() -> None:
            await self.run_action(action)

        return run

    def fetch(
        self,
        work: Callable[[Conn], Awaitable[Any]],
        then: Callable[[Any], object],
        failed: Callable[[str], object] | None = None,
    ) -> None:
        """Read ``work`` in a worker, then call ``then`` with the result on the screen;
        a failure goes to ``failed`` as one line (by default, a warning notification)."""

        async def run() -> None:
            try:
                value = await self.data.run(work)
            except Exception as exc:
                line = error_line(exc, self.data.target)
                self.post_message(Failed(failed, line) if failed else Said(line, "warning"))
            else:
                self.post_message(Ready(then, value))

        self.run_worker(run(), group="screen-read", exit_on_error=False)

    @on(Ready)
    def _ready(self, message: Ready) -> None:
        message.then(message.value)

    @on(Failed)
    def _failed(self, message: Failed) -> None:
        message.then(message.line)

    @on(Said)
    def _said(self, message: Said) -> None:
        self.say(message.text, message.severity)

    def say(self, text: str, severity: SeverityLevel = "information") -> None:
        self.notify(text, severity=severity, timeout=10 if severity != "information" else 6)
