"""Awaiting a tick's statement so that an event cancels it: :func:`interruptible`."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")


class Interrupted(Exception):
    """The statement in hand was cancelled: the tick stops where it is."""


async def interruptible(work: Awaitable[T], interrupt: asyncio.Event) -> T:
    """``work``, unless ``interrupt`` is set first: then its task is cancelled (psycopg
    cancels the statement on the server) and :class:`Interrupted` raised. Cancelled
    itself, it cancels ``work`` first."""
    task = asyncio.ensure_future(work)
    waiter = asyncio.ensure_future(interrupt.wait())
    try:
        await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiter.cancel()
        if not task.done():
            if not task.cancelling():  # a second cancel would cut psycopg's own short
                task.cancel()
            await asyncio.wait({task})
    if task.cancelled():
        raise Interrupted
    return task.result()
