"""The words an audit and a backfill are reported in, shared by ``snapwatch audit``,
``snapwatch backfill`` and the app's history screen: coverage, the estimate of a
backfill's time, one site's result."""

from __future__ import annotations

import math

from snapwatch.schedule.history.audit import Counts
from snapwatch.schedule.history.backfill import SiteResult
from snapwatch.text.durations import format_duration

ESTIMATED_RATE = 400.0
"""Snapshots per second a backfill writes when no rate bounds it, for a dry run's
estimate (benchmarks/backfill.py measured 389-512 a second on a 2-core machine)."""


def coverage_text(counts: Counts) -> str:
    """``95.8%``, or ``-`` when nothing is expected."""
    if counts.coverage is None:
        return "-"
    # rounded down: 9,893 of 9,895 is 99.9 %, never 100 % while anything is missing
    return f"{math.floor(counts.coverage * 10) / 10:.1f}%"


def estimate(slots: int, rate: float | None = None) -> str:
    """``about 2m at about 400/s``, ``less than 1s at ...`` (``at --rate 5/s`` when a rate
    bounds it)."""
    how = f"at --rate {rate:g}/s" if rate else f"at about {ESTIMATED_RATE:g}/s"
    seconds = slots / (rate or ESTIMATED_RATE)
    if seconds < 1:
        return f"less than 1s {how}"
    return f"about {format_duration(seconds)} {how}"


def result_line(r: SiteResult) -> str:
    """What a backfill did at one site, in one line."""
    if r.skipped:
        return f"{r.site_name}: skipped, {r.skipped}"
    if r.error:
        return f"{r.site_name}: failed, {r.error}"
    parts = [f"{r.written} of {r.planned} written"]
    if r.replaced:
        parts.append(f"{r.replaced} rows replaced (kept in snapwatch.replaced_snapshots)")
    if r.conflicts:
        parts.append(f"{r.conflicts} already written by another process")
    if r.left:
        parts.append(f"{r.left} left: other rows hold them (the dry run says which)")
    if r.busy:
        parts.append(f"{r.busy} left busy: run again")
    return f"{r.site_name}: " + ", ".join(parts)
