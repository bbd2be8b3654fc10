"""The words for a site's states and reasons, the same in the app and on the command line.

Keyed by the values the core uses (:class:`snapwatch.schedule.cadence.Reason` is a string
enum, so its members look up here as themselves)."""

from __future__ import annotations

REASON_LABELS: dict[str, str] = {
    "no_cadence": "no cadence",
    "invalid_cadence": "bad cadence",
    "no_devices": "no devices",
    "no_open_session": "no session",
    "paused": "paused",
}
"""Why a site gets no snapshot now (short: they fill the Sites pane's state column)."""


def reason_label(reason: str) -> str:
    """The words for ``reason``; an unknown reason reads as itself, underscores spaced."""
    return REASON_LABELS.get(reason, reason.replace("_", " "))


def words(code: str) -> str:
    """A state or status code as words: ``on_time`` → ``on time``, ``in_progress`` →
    ``in progress``."""
    return code.replace("_", " ")
