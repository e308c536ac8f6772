"""Ctrl-C as one line and exit 130, from the first import to the last byte written.

Python turns SIGINT into KeyboardInterrupt wherever the main thread happens to be: inside an import (a
traceback), or after the command's own handler has returned (death by signal, no message). The console
script therefore answers SIGINT itself from the moment the package is imported (``taskctl/__init__.py``); only
while a command runs (``raising``) does it become KeyboardInterrupt again, so that a command can say what it
kept (a download's ``.part``) before the boundary exits with 130.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

from taskctl import _exit_interrupted as exit_interrupted


class Terminated(KeyboardInterrupt):
    """SIGTERM (`kill`) while a command runs: unwound like Ctrl-C (a live display erased, the cursor back, a
    download's ``.part`` kept), then exit 143 instead of 130."""


@contextlib.contextmanager
def raising() -> Iterator[None]:
    """Inside: SIGINT raises KeyboardInterrupt and SIGTERM ``Terminated`` (for the command's own cleanup);
    outside: ``exit_interrupted`` for SIGINT, and the default for SIGTERM."""
    main = threading.current_thread() is threading.main_thread()
    ours = main and signal.getsignal(signal.SIGINT) is exit_interrupted
    term = main and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    if ours:
        signal.signal(signal.SIGINT, _raise_once)
    if term:
        signal.signal(signal.SIGTERM, _terminate_once)
    try:
        yield
    finally:
        if ours:
            signal.signal(signal.SIGINT, exit_interrupted)
        if term:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _terminate_once(_signum: int, _frame: object) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise Terminated


def _raise_once(_signum: int, _frame: object) -> None:
    """KeyboardInterrupt, once: a second Ctrl-C while the first unwinds would interrupt a finalizer instead."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    raise KeyboardInterrupt
