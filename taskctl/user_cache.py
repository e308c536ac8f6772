"""Small files taskctl keeps for itself under the user's cache folder: private, and ignored when in doubt.

A cache only ever saves time: a file that is missing, unreadable, too big, not the user's own, or writable by
anyone else reads as absent, and a write that fails is skipped. Nothing here raises.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Mapping
from pathlib import Path

MAX_CACHE_BYTES = 1024 * 1024


def user_cache_dir(environ: Mapping[str, str]) -> Path:
    """``$XDG_CACHE_HOME/taskctl``, else ``~/.cache/taskctl`` (a relative $XDG_CACHE_HOME is ignored, as the spec
    says)."""
    base = environ.get("XDG_CACHE_HOME", "")
    if not Path(base).is_absolute():
        home = environ.get("HOME")
        base = str(Path(home) / ".cache") if home else str(Path("~/.cache").expanduser())
    return Path(base) / "taskctl"


def read_private(path: Path) -> bytes | None:
    """The file's bytes if it is a regular file of this user that no one else may write, else None."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except (OSError, ValueError):
        return None
    try:
        info = os.fstat(fd)
        if (not stat.S_ISREG(info.st_mode) or not _private(info) or not _private(os.stat(path.parent))
                or info.st_size > MAX_CACHE_BYTES):
            return None
        return os.read(fd, MAX_CACHE_BYTES + 1)[:MAX_CACHE_BYTES]
    except OSError:
        return None
    finally:
        os.close(fd)


def write_private(path: Path, data: bytes) -> None:
    """Replace the file atomically with ``data``, readable by this user only (folder 0700, file 0600)."""
    if len(data) > MAX_CACHE_BYTES:
        return
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        for folder in reversed([path.parent, *path.parent.parents]):  # each folder made is 0700, as XDG says
            if not folder.exists():
                folder.mkdir(mode=0o700)
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o600)
        with os.fdopen(fd, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    except OSError:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)


def _private(info: os.stat_result) -> bool:
    """Owned by this user (where there are owners) and writable by no one else."""
    if os.name != "posix":
        return True
    return info.st_uid == os.geteuid() and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
