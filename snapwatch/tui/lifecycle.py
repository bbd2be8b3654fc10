"""Ending cleanly when the terminal goes away (an SSH drop, a closed tmux pane).

SIGHUP asks the app to quit the normal way (the scheduler finishes the site in hand, or
cancels its statement when it still runs a second later). A
hung-up terminal does not always signal, so a watchdog (Dolphie's idea) checks every few
seconds that the terminal is still there and quits the same way when it is not: a
process reading a dead terminal would otherwise spin or die without saying goodbye.

Once the terminal is gone nothing may be written to it: Textual's output thread dies on
the first write (EIO) and its shutdown then waits forever for it. So the standard streams
are pointed at ``/dev/null`` first (:func:`detach_terminal`), and a last-resort timer
(:func:`exit_soon`) ends the process if the shutdown still hangs, after the scheduler had
its chance to finish the site in hand and mark its instance stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable

WATCHDOG_SECONDS = 5.0
HANG_UP_GRACE_SECONDS = 30.0
"""After a hang-up the process ends by this time, whatever still runs."""
HUNG_UP = frozenset({errno.EIO, errno.ENXIO, errno.EBADF})


def terminal_gone() -> bool:
    """Whether the terminal the app was started on is gone (hung up or closed)."""
    stream = sys.__stdin__
    if stream is None:
        return False
    try:
        fd = stream.fileno()
        if not os.isatty(fd):
            return True
        os.tcgetpgrp(fd)  # EIO once the terminal has hung up
    except ValueError:  # closed
        return True
    except OSError as exc:
        # ENOTTY: a terminal that is not this process's controlling one; still there.
        return exc.errno in HUNG_UP
    return False


def started_on_terminal() -> bool:
    stream = sys.__stdin__
    try:
        return stream is not None and os.isatty(stream.fileno())
    except (OSError, ValueError):
        return False


def install_hangup(quit_app: Callable[[], object]) -> Callable[[], None]:
    """Call ``quit_app`` on SIGHUP (from the running loop); returns the undo."""
    loop = asyncio.get_running_loop()
    try:
        loop.add_signal_handler(signal.SIGHUP, quit_app)
    except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, or no SIGHUP
        return lambda: None

    def undo() -> None:
        with contextlib.suppress(Exception):
            loop.remove_signal_handler(signal.SIGHUP)

    return undo


def detach_terminal() -> None:
    """Point stdin, stdout and stderr at ``/dev/null`` (the terminal is gone)."""
    try:
        null = os.open(os.devnull, os.O_RDWR)
    except OSError:
        return
    for fd in (0, 1, 2):
        with contextlib.suppress(OSError):
            os.dup2(null, fd)
    os.close(null)


def exit_soon(seconds: float = HANG_UP_GRACE_SECONDS, code: int = 0) -> threading.Timer:
    """End the process in ``seconds`` unless it has ended by then (a daemon timer)."""

    def end() -> None:
        logging.shutdown()
        os._exit(code)

    timer = threading.Timer(seconds, end)
    timer.daemon = True
    timer.start()
    return timer
