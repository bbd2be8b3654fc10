"""A webhook message: one change of state, as JSON with a stable schema.

Schema ``snapwatch.alert/1`` (documented in the README, "Notifications")::

    {"schema": "snapwatch.alert/1",
     "event": "site_late",
     "subject": {"kind": "site", "id": "<uuid>", "name": "Room 1"},
     "state": "late",
     "previous": "on_time",
     "at": "2026-12-07T17:00:00+00:00",   (ISO 8601, UTC)
     "detail": {...},
     "text": "snapwatch: site Room 1 (Cold chain) is late: wake 3 due 6m ago",
     "source": {"host": "ops-1", "pid": 4242}}

``previous`` is null when the subject was first seen in that state (a problem present
when the daemon started, a site added since). ``text`` is one line for people, in the
form Slack and Mattermost incoming webhooks read: whatever came from the platform (site
and program names, errors, hosts) cannot become markup there (:func:`chat_line`).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Literal

from snapwatch.text.inert import printable
from snapwatch.text.jsonvalues import json_values
from snapwatch.text.lines import one_line

SCHEMA = "snapwatch.alert/1"

Event = Literal[
    "site_late",
    "site_failing",
    "site_recovered",
    "instance_down",
    "instance_up",
    "database_down",
    "database_up",
    "conflict_detected",
    "conflict_cleared",
    "backfill_finished",
]
SubjectKind = Literal["site", "instance", "database", "conflict", "backfill"]

TEXT_LIMIT = 400
"""Characters of ``text`` at most (it is one line for a chat, not a report)."""
_CHAT_ESCAPES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"))
ZERO_WIDTH_SPACE = "\u200b"


def chat_line(text: str) -> str:
    """``text`` as one inert line for a chat: control characters shown as escapes, one
    line, cut at :data:`TEXT_LIMIT`; ``&``, ``<`` and ``>`` escaped as Slack requires (so
    ``<!channel>`` or ``<https://x|click>`` stay text), and every ``@`` followed by a
    zero-width space (Mattermost turns a plain ``@channel`` into a mention)."""
    line = printable(one_line(text, TEXT_LIMIT))
    for raw, escaped in _CHAT_ESCAPES:
        line = line.replace(raw, escaped)
    return line.replace("@", "@" + ZERO_WIDTH_SPACE)


@dataclass(frozen=True)
class Subject:
    kind: SubjectKind
    id: str | None
    name: str


@dataclass(frozen=True)
class Alert:
    event: Event
    subject: Subject
    state: str
    previous: str | None
    at: datetime
    text: str
    """The line for people, before :func:`chat_line` (the message's ``text`` is that)."""
    detail: dict[str, Any] = field(default_factory=dict)

    def document(self, source: dict[str, Any]) -> dict[str, Any]:
        document: dict[str, Any] = json_values(
            {
                "schema": SCHEMA,
                "event": self.event,
                "subject": asdict(self.subject),
                "state": self.state,
                "previous": self.previous,
                "at": self.at,
                "detail": self.detail,
                "text": chat_line(f"snapwatch: {self.text}"),
                "source": source,
            }
        )
        return document

    def body(self, source: dict[str, Any]) -> bytes:
        """The JSON document, ASCII only (every other character a JSON escape, so no
        control character reaches a receiver raw)."""
        return json.dumps(self.document(source), ensure_ascii=True).encode()
