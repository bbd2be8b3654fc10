"""Python's garbage collector, tuned for an app that rebuilds thousands of rows a refresh.

A refresh of 5,000 sites makes about a million short-lived objects. With the collector's
default thresholds (700, 10, 10) that is over a thousand collections a refresh, a dozen of
them full ones that walk every object the app holds (Textual's widgets, the rows shown,
the modules): measured, a third of the refresh. So the app raises the first threshold
(fewer young collections, each still small) and, once its first screen is built,
:func:`settle` moves what exists then (the app itself) out of the collector's sight
(``gc.freeze``): later full collections walk only what came after. Reference counting
frees almost everything anyway; the collector is only for cycles.
"""

from __future__ import annotations

import gc

THRESHOLDS = (50_000, 20, 20)
"""Allocations before a young collection, and young (middle) collections before a middle
(full) one."""


def tune() -> None:
    """Fewer, larger young collections (at start-up)."""
    gc.set_threshold(*THRESHOLDS)


def settle() -> None:
    """Collect once, then keep what the app holds now out of later collections."""
    gc.collect()
    gc.freeze()
