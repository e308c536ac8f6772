"""Small private files under the user cache directory (``$XDG_CACHE_HOME/taskctl``, default ``~/.cache/taskctl``).

What taskctl remembers between runs and may forget at any time: a provider's looked-up ids, a session token
where no keyring exists. Written atomically with mode 0600 in a 0700 directory; a file that is missing,
unreadable, oversized or not a JSON object reads as empty (the cache is rebuilt, never trusted blindly).
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

MAX_CACHE_BYTES = 1024 * 1024


def cache_dir(environ: Mapping[str, str]) -> Path:
    base = environ.get("XDG_CACHE_HOME", "")
    if not Path(base).is_absolute():  # the XDG spec: a relative value is invalid and ignored
        home = environ.get("HOME")
        base = str(Path(home) / ".cache") if home else str(Path("~/.cache").expanduser())
    return Path(base) / "taskctl"


def read_json(path: Path) -> dict[str, Any]:
    """The JSON object in ``path``, or {} when there is none worth reading (a symlink or someone else's file)."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return {}
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_CACHE_BYTES or (
                hasattr(os, "getuid") and info.st_uid != os.getuid()):
            return {}
        data = os.read(fd, MAX_CACHE_BYTES + 1)
    except OSError:
        return {}
    finally:
        os.close(fd)
    try:
        value = json.loads(data)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def write_json(path: Path, value: Mapping[str, Any]) -> bool:
    """Replace ``path`` with ``value`` (mode 0600, directory 0700); False when it cannot be written."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as stream:
            json.dump(value, stream)
        os.replace(temporary, path)
    except OSError:
        with contextlib.suppress(OSError):
            temporary.unlink()
        return False
    return True


def remove(path: Path) -> bool:
    """Delete ``path``; False when there was nothing to delete."""
    try:
        path.unlink()
    except OSError:
        return False
    return True
