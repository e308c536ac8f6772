"""What to do with stdout when its reader has gone away."""

from __future__ import annotations

import os
import sys


def silence_stdout() -> None:
    """The reader went away (`| head`): send further writes to /dev/null (Python docs, 'Note on SIGPIPE')."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
