"""Plain-text rendering of one snapshot: summary, device table, site map, data quality.

Everything is aligned plain text (no colour), sized to fit 100 columns with typical
device codes, text from the document measured as it is shown (:func:`printable`).
Values missing from the document show as ``-``.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from datetime import UTC, datetime, tzinfo

from snapwatch.inspection.sitemap import NO_DEVICES, draw_map, extent_text, legend_rows
from snapwatch.inspection.view import (
    FRESHNESS_LABELS,
    DeviceView,
    SnapshotView,
    freshness_label,
)
from snapwatch.readmodels.display import cadence_text
from snapwatch.snapshot.mgi import band as mgi_band
from snapwatch.snapshot.program import site_timezone
from snapwatch.text.inert import printable
from snapwatch.text.labels import words
from snapwatch.text.times import duration_text, hours_text, utc_text

MISSING = "-"
LABEL_WIDTH = 12
TEXT_WIDTH = 100
MAP_SIZE = (62, 18)
"""Columns and rows of the map, border included: a 60 × 16 site at most."""


def render_snapshot(view: SnapshotView) -> str:
    parts = [
        "\n".join(summary_lines(view)),
        "\n".join(device_table(view.devices)),
        "\n".join(map_lines(view)),
    ]
    quality = quality_lines(view)
    if quality:
        parts.append("\n".join(quality))
    return "\n\n".join(parts) + "\n"


# --- summary ---------------------------------------------------------------------------


def summary_lines(view: SnapshotView) -> list[str]:
    m = view.metrics
    rows: list[tuple[str, str]] = [
        ("snapshot", str(view.snapshot_id)),
        ("site", _site_text(view)),
        ("program", _program_text(view)),
        ("company", view.company_name or MISSING),
        ("session", _session_text(view)),
        ("wake", str(view.wake_number)),
    ]
    window = window_lines(view)
    rows.append(("window", window[0]))
    rows += [("", line) for line in window[1:]]
    rows += [
        ("trigger", view.trigger or MISSING),
        ("provisional", _yes_no(view.provisional)),
        ("late by", _late_text(view.late_by_seconds)),
        ("generated", utc_text(view.generated_at) if view.generated_at else MISSING),
        ("cadence", cadence_text(view.cadence_hours) if view.cadence_hours else MISSING),
        ("devices", _count(m.active_devices)),
        (
            "telemetry",
            freshness_counts(
                {
                    "current_wake": m.reporting,
                    "carried_forward": m.carried_forward,
                    "stale": m.stale,
                    "no_data": m.without_data,
                }
            ),
        ),
        ("MGI data", freshness_counts(_mgi_counts(view.devices))),
        ("round", f"{_plural(m.new_images, 'image')}, {_plural(m.new_alerts, 'alert')}"),
        ("MGI", _mgi_summary(m.avg_mgi, m.max_mgi)),
        ("climate", _climate(m.avg_temperature, m.avg_humidity)),
    ]
    return [f"{label:<{LABEL_WIDTH}}{printable(value)}".rstrip() for label, value in rows]


def _site_text(view: SnapshotView) -> str:
    facts = []
    if view.site_code is not None:
        facts.append(f"code {view.site_code}")
    if view.site_type:
        facts.append(view.site_type)
    if view.length is not None and view.width is not None:
        facts.append(f"{_feet(view.length)} × {_feet(view.width)} ft")
    return f"{view.site_name} ({', '.join(facts)})" if facts else view.site_name


def _program_text(view: SnapshotView) -> str:
    name = view.program_name or MISSING
    if view.program_day is None:
        return name
    of = f" of {view.total_days}" if view.total_days is not None else ""
    return f"{name}, day {view.program_day}{of}"


def _session_text(view: SnapshotView) -> str:
    when = view.session_date.isoformat() if view.session_date else MISSING
    status = words(view.session_status) if view.session_status else MISSING
    expected = (
        f" ({view.expected_wake_count} device wakes expected)"
        if view.expected_wake_count is not None
        else ""
    )
    return f"{when}, {status}{expected}"


def window_lines(view: SnapshotView) -> list[str]:
    """The round in UTC, then in the site's time zone (or why there is none)."""
    start, end = view.wake_round_start, view.wake_round_end
    lines = [span_text(start, end, UTC, "UTC")]
    zone = site_zone(view.timezone)
    if view.timezone_assumed:
        lines.append("(site time zone not set: UTC assumed)")
    elif zone is None:
        what = f"{view.timezone!r} unknown" if view.timezone else "missing"
        lines.append(f"(site time zone {what}: local time not shown)")
    elif view.timezone != "UTC":
        name = start.astimezone(zone).tzname() or ""
        lines.append(f"{span_text(start, end, zone, name)} ({view.timezone})")
    return lines


def site_zone(name: str | None) -> tzinfo | None:
    """The site's own zone (None when it names none or an unknown one: times show in UTC
    only), by the document's rule."""
    chosen = site_timezone(name)
    return None if chosen.assumed else chosen.zone


def span_text(start: datetime, end: datetime, zone: tzinfo, label: str) -> str:
    """``2025-03-10 13:30–14:00 UTC``; the end gets its date when it is another day."""
    a, b = start.astimezone(zone), end.astimezone(zone)
    fmt = "%H:%M:%S" if a.second or b.second else "%H:%M"
    end_text = b.strftime(fmt) if a.date() == b.date() else f"{b.date()} {b.strftime(fmt)}"
    sep = "–" if a.date() == b.date() else " – "
    end_label = b.tzname() or label
    tail = label if end_label == label else f"{label}/{end_label}"
    return f"{a.date()} {a.strftime(fmt)}{sep}{end_text} {tail}"


def _late_text(seconds: float | None) -> str:
    if seconds is None:
        return MISSING
    return "on time" if seconds <= 0 else duration_text(seconds)


def _yes_no(value: bool | None) -> str:
    return MISSING if value is None else ("yes" if value else "no")


def _count(value: int | None) -> str:
    return MISSING if value is None else str(value)


def _plural(value: int | None, word: str) -> str:
    return f"{_count(value)} {word}{'' if value == 1 else 's'}"


def _mgi_counts(devices: Sequence[DeviceView]) -> dict[str, int | None]:
    counts: dict[str, int | None] = dict.fromkeys(FRESHNESS_LABELS, 0)
    for device in devices:
        if device.mgi_freshness in counts:
            counts[device.mgi_freshness] = (counts[device.mgi_freshness] or 0) + 1
    return counts


def freshness_counts(counts: dict[str, int | None]) -> str:
    """``2 new, 1 carried forward, 0 stale, 0 without data``."""
    words = {
        "current_wake": "new",
        "carried_forward": "carried forward",
        "stale": "stale",
        "no_data": "without data",
    }
    return ", ".join(f"{_count(counts.get(key))} {word}" for key, word in words.items())


def _mgi_summary(avg: float | None, peak: float | None) -> str:
    if avg is None and peak is None:
        return "no device has an MGI"
    band = f" ({mgi_band(peak)[0]})" if peak is not None else ""
    return f"avg {mgi_text(avg)}, max {mgi_text(peak)}{band}"


def _climate(temperature: float | None, humidity: float | None) -> str:
    t = MISSING if temperature is None else f"{temperature:.1f}"
    h = MISSING if humidity is None else f"{humidity:.1f}"
    return f"avg {t} °F, {h} %RH"


def mgi_text(value: float | None) -> str:
    return MISSING if value is None else f"{value:.3f}"


def _feet(value: float) -> str:
    return f"{value:g}"


# --- devices ---------------------------------------------------------------------------


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: set[int]) -> list[str]:
    """Aligned columns, two spaces apart; columns in ``right`` are right-aligned."""
    rows = [[printable(cell) for cell in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]

    def line(cells: Sequence[str]) -> str:
        out = [
            cell.rjust(w) if i in right else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(out).rstrip()

    return [line(headers), *(line(r) for r in rows)]


def device_table(devices: Sequence[DeviceView]) -> list[str]:
    if not devices:
        return ["no devices in this snapshot"]
    headers = ["DEVICE", "POSITION", "MGI", "BAND", "MGI DATA", "VEL/DAY"]
    headers += ["TELEMETRY", "°F", "%RH"]
    rows = [
        [
            d.code,
            position_text(d.position),
            mgi_text(d.mgi),
            d.band,
            freshness_text(d.mgi_freshness, d.mgi_hours),
            signed(d.velocity_per_day),
            freshness_text(d.telemetry_freshness, d.telemetry_hours),
            MISSING if d.temperature is None else f"{d.temperature:.1f}",
            MISSING if d.humidity is None else f"{d.humidity:.1f}",
        ]
        for d in devices
    ]
    return table(headers, rows, right={2, 5, 7, 8})


def position_text(position: tuple[float, float] | None) -> str:
    if position is None:
        return "unplaced"
    return f"{position[0]:.1f}, {position[1]:.1f}"


def freshness_text(freshness: str | None, hours: float | None) -> str:
    label = freshness_label(freshness)
    if hours is None or freshness == "no_data":
        return label
    return f"{label} {hours_text(hours)}"


def signed(value: float | None, digits: int = 3) -> str:
    """``+0.062``, ``-0.110``; a value that rounds to zero is ``0.000`` (no ``-0.000``)."""
    if value is None:
        return MISSING
    text = f"{value:+.{digits}f}"
    return text[1:] if float(text) == 0 else text


# --- map -------------------------------------------------------------------------------


def map_lines(view: SnapshotView) -> list[str]:
    """The site map of :func:`snapwatch.inspection.sitemap.draw_map` as plain text: a
    title, the grid, its legend, then the devices it could not place exactly. Site zones
    are drawn; device-centred circles are not (with no device selected, all of them
    overlap into a fog; the inspection screen draws the selected device's)."""
    site_map = draw_map(view, *MAP_SIZE, device_zones=False)
    unplaced = len(site_map.unplaced)
    if not site_map.cells:
        note = f" ({unplaced} unplaced)" if unplaced else ""
        return [f"map: {site_map.note or NO_DEVICES}{note}"]
    title = f"map: {extent_text(site_map)}"
    if site_map.note:
        title += f"; {site_map.note}"
    if unplaced:
        title += f"; {unplaced} unplaced device(s) not shown"
    legend = [
        "  ".join(f"{e.mark} {e.meaning}" for e in row)
        for row in legend_rows(site_map.legend, TEXT_WIDTH)
    ]
    lines = [title, *site_map.lines(), *legend]
    if site_map.outside:
        listed = ", ".join(f"{d.code} ({position_text(d.position)})" for d in site_map.outside)
        lines += _wrapped(f"outside the site, drawn at its edge: {listed}")
    if site_map.unplaced:
        lines += _wrapped("unplaced: " + ", ".join(d.code for d in site_map.unplaced))
    return lines


def _wrapped(line: str) -> list[str]:
    return textwrap.wrap(
        printable(line), TEXT_WIDTH, subsequent_indent="  ", break_on_hyphens=False
    )


# --- data quality ----------------------------------------------------------------------


def quality_lines(view: SnapshotView) -> list[str]:
    if not view.data_quality:
        return []
    lines = [f"data quality: {len(view.data_quality)} warning(s)"]
    rows = [
        [
            view.device_code(q.device_id) or q.device_id or "site",
            q.field or MISSING,
            MISSING if q.value is None else str(q.value),
            q.problem or MISSING,
        ]
        for q in view.data_quality
    ]
    lines += ["  " + line for line in table(["DEVICE", "FIELD", "VALUE", "PROBLEM"], rows, set())]
    return lines
