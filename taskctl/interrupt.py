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


@contextlib.contextmanager
def raising() -> Iterator[None]:
    """Inside: SIGINT raises KeyboardInterrupt (for the command's own cleanup); outside: ``exit_interrupted``."""
    ours = threading.current_thread() is threading.main_thread() and \
        signal.getsignal(signal.SIGINT) is exit_interrupted
    if ours:
        signal.signal(signal.SIGINT, _raise_once)
    try:
        yield
    finally:
        if ours:
            signal.signal(signal.SIGINT, exit_interrupted)


def _raise_once(_signum: int, _frame: object) -> None:
    """KeyboardInterrupt, once: a second Ctrl-C while the first unwinds would interrupt a finalizer instead."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    raise KeyboardInterrupt
