"""The inspection screen's texts: header, timeline strip, the round's images and alerts,
data-quality warnings and what the reader could not read. Values come from the stored
document as read by :mod:`snapwatch.inspection.view`; nothing is recomputed. Text from
the document is literal and printable (:mod:`snapwatch.tui.plain`)."""

from __future__ import annotations

from datetime import UTC

from rich.text import Text

from snapwatch.inspection.render import MISSING, mgi_text, window_lines
from snapwatch.inspection.timeline import StripMark
from snapwatch.inspection.view import DeviceView, SnapshotView
from snapwatch.text.inert import printable
from snapwatch.text.labels import words
from snapwatch.text.times import duration_text, utc_text
from snapwatch.tui.bands import score_colour
from snapwatch.tui.plain import plain

TRIGGER_WORDS = {
    "schedule": "on schedule",
    "catch_up": "catch-up",
    "force": "forced",
    "backfill": "backfilled",
}


Piece = tuple[Text, bool]
"""A part of a header line, and whether it may be left out when the line is too long."""
SEPARATOR = " · "


def header(
    view: SnapshotView, problem: str | None, wake_count: int | None, width: int = 200
) -> Text:
    """Three lines (four with a warning): what, when, by whom. A line longer than
    ``width`` leaves out its optional parts (status, generator, local time) first."""
    session = view.session_date.isoformat() if view.session_date else str(view.session_id)[:8]
    wake = Text.assemble("wake ", (str(view.wake_number), "bold"))
    if wake_count:
        wake.append(f" of {wake_count}")
    slots = wake.copy()
    if wake_count:
        slots.append(" snapshot slots")
    what: list[Piece] = [
        (plain(view.site_name, style="bold"), False),
        (Text(session), False),
        (plain(words(view.session_status or ""), style="dim"), True),
        (slots, False),
        (plain(TRIGGER_WORDS.get(view.trigger or "", view.trigger or MISSING)), False),
    ]
    if view.provisional:
        what.append((Text("provisional", style="bold yellow"), False))
    if view.late_by_seconds is not None and view.late_by_seconds > 0:
        what.append((Text(f"late by {duration_text(view.late_by_seconds)}", "yellow"), False))
    utc, *local = window_lines(view)
    when: list[Piece] = [(Text(utc), False), *((plain(line), True) for line in local)]
    m = view.metrics
    mgi = Text.assemble("MGI avg ", _mgi(m.avg_mgi), " max ", _mgi(m.max_mgi))
    by = f"snapwatch {view.generator_version}" if view.generator_version else "unknown generator"
    round_: list[Piece] = [
        (Text(f"{m.active_devices or 0} devices"), False),
        (mgi, False),
        (Text(f"{m.new_images or 0} images"), False),
        (Text(f"{m.new_alerts or 0} alerts"), False),
        (plain(f"by {by}{_made(view)}", style="dim"), True),
    ]
    first_line = _fit(what, width)
    if first_line.cell_len > width:  # "of 12 snapshot slots" says "of 12" when narrow
        first_line = _fit([(wake, False) if p[0] is slots else p for p in what], width)
    out = Text("\n").join([first_line, *(_fit(line, width) for line in (when, round_))])
    if problem or view.notes:
        shape = view.shape if view.shape != "v1" else "version 1"
        first = problem or view.notes[0]
        more = len(view.notes) - (0 if problem else 1)
        tail = f" (+{more} more below)" if more > 0 else ""
        warning = printable(f"{shape} document, not valid as version 1: {first}{tail}")
        out.append(f"\n⚠ {warning}", "yellow")
    return out


def _fit(pieces: list[Piece], width: int) -> Text:
    """The pieces joined by `` · ``, without the optional ones (last first) while the line
    is longer than ``width``."""
    kept = [p for p in pieces if p[0].plain]
    while sum(p[0].cell_len for p in kept) + len(SEPARATOR) * (len(kept) - 1) > width:
        optional = [i for i, (_, may_go) in enumerate(kept) if may_go]
        if not optional:
            break
        del kept[optional[-1]]
    return Text(SEPARATOR).join(text for text, _ in kept)


def _made(view: SnapshotView) -> str:
    at = view.generated_at
    if at is None:
        return ""
    at = at.astimezone(UTC)
    same_day = at.date() == view.wake_round_end.astimezone(UTC).date()
    return f" at {at:%H:%M:%S} UTC" if same_day else f" at {utc_text(at)}"


def _mgi(value: float | None) -> Text:
    return Text(mgi_text(value), style=score_colour(value) if value is not None else "dim")


STRIP_LEGEND = "  ● schedule ◆ catch-up ▲ forced ◇ backfill _ missing · not yet"


def strip_text(
    marks: list[StripMark], width: int, playing: str | None, numbers: bool = False
) -> Text:
    """``wakes 13/48 ●●◆_▲[●]··`` fitted to ``width`` cells around the current wake
    (``…`` where wakes are cut off), with the legend when there is room; with
    ``numbers``, a second line puts wake numbers under every fifth wake."""
    current = next((i for i, m in enumerate(marks) if m.current), 0)
    head = f"wakes {marks[current].wake_number}/{len(marks)} " if marks else "wakes "
    tail = f"  ▶ {playing}" if playing else ""
    room = width - len(head) - len(tail) - 2  # the current wake's brackets
    legend = STRIP_LEGEND if room - len(STRIP_LEGEND) >= min(len(marks), 24) else ""
    room -= len(legend)
    lo, hi = 0, len(marks)
    if len(marks) > room:
        keep = max(1, room - 2)  # an ellipsis at each cut end
        lo = max(0, min(current - keep // 2, len(marks) - keep))
        hi = min(len(marks), lo + keep)
    out = Text(head)
    if lo > 0:
        out.append("…", style="dim")
    columns: list[tuple[int, int]] = []  # (column, wake) of each mark shown
    for mark in marks[lo:hi]:
        style = {"written": "", "gap": "red", "ahead": "dim"}[mark.kind]
        if mark.provisional:
            style = "yellow"
        if mark.current:
            columns.append((len(out) + 1, mark.wake_number))
            out.append(f"[{mark.mark}]", style="bold reverse")
        else:
            columns.append((len(out), mark.wake_number))
            out.append(mark.mark, style=style)
    if hi < len(marks):
        out.append("…", style="dim")
    out.append(legend, style="dim")
    if playing:
        out.append(tail, style="bold green")
    if numbers:
        out.append("\n" + _wake_numbers(columns), style="dim")
    return out


def _wake_numbers(columns: list[tuple[int, int]]) -> str:
    """Wake numbers starting under their marks (the first, then every fifth), never
    overlapping."""
    line = ""
    for column, wake in columns:
        if (wake == 1 or wake % 5 == 0) and column >= len(line) + (1 if line else 0):
            line = line.ljust(column) + str(wake)
    return line


def round_text(view: SnapshotView, selected: DeviceView | None) -> Text:
    """The selected device's (or every device's) images and alerts of the round, then
    the document's data-quality warnings and the reader's notes."""
    out = Text()
    devices = [selected] if selected is not None else list(view.devices)
    images = [(d, i) for d in devices for i in d.images]
    alerts = [(d, a) for d in devices for a in d.alerts]
    omitted = sum(d.images_omitted for d in devices)
    whose = f" of {printable(selected.code)}" if selected is not None else ""
    out.append(f"images this round{whose}: {len(images) + omitted}", style="bold")
    if omitted:
        out.append(f" ({omitted} older not listed in the document)", style="dim")
    for device, image in images[-6:]:
        at = image.captured_at.strftime("%H:%M") if image.captured_at else MISSING
        out.append(f"\n  {at} {printable(device.code)} MGI ")
        out.append_text(_mgi(image.mgi))
        extra = printable(f" {image.observation_type or ''} {image.url or ''}".rstrip())
        out.append(extra, style="dim")
    if len(images) > 6:
        out.append(f"\n  … {len(images) - 6} earlier", style="dim")
    out.append(f"\nalerts this round{whose}: {len(alerts)}", style="bold")
    for device, alert in alerts:
        at = alert.triggered_at.strftime("%H:%M") if alert.triggered_at else MISSING
        severity = alert.severity or MISSING
        style = "red" if severity in {"critical", "high", "error"} else "yellow"
        out.append(f"\n  {at} {printable(device.code)} ")
        out.append(printable(severity), style=style)
        out.append(printable(f" {alert.alert_type or MISSING}: {alert.message or ''}"))
    if view.data_quality:
        out.append(f"\ndata quality: {len(view.data_quality)} warning(s)", style="bold yellow")
        for q in view.data_quality:
            who = view.device_code(q.device_id) or q.device_id or "site"
            value = "" if q.value is None else f" = {q.value}"
            out.append(
                "\n  " + printable(f"{who} {q.field or MISSING}{value}: {q.problem or MISSING}")
            )
    if view.notes:
        out.append(f"\nread from a {view.shape} document:", style="bold yellow")
        for note in view.notes:
            out.append("\n  " + printable(note))
    return out
