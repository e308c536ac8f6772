"""Where a downloaded file goes: --dest, the .part beside it, and names from servers made safe."""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from taskctl.errors import TaskctlError, UsageError
from taskctl.providers.files import RemoteFile
from taskctl.render.safe import UNSAFE_CHARACTERS

STDOUT = "-"  # --dest -: the one file goes to stdout
PART_SUFFIX = ".part"
META_SUFFIX = ".meta"  # <name>.part.meta: the version the .part holds
MAX_NAME_BYTES = 200  # file systems allow 255; leave room for ".part" and an editor's backup suffix
# Characters never kept in a file name: those unsafe on a terminal (they disguise a name on screen), and what
# Windows forbids.
_UNSAFE_IN_NAME = re.compile(f'[{UNSAFE_CHARACTERS}<>:"|?*]')
_WINDOWS_RESERVED = frozenset({"CON", "PRN", "AUX", "NUL", *(f"COM{n}" for n in range(1, 10)),
                               *(f"LPT{n}" for n in range(1, 10))})


@dataclass(frozen=True)
class Target:
    """Where a file goes: a fixed path (``--dest FILE``), or a folder and a name the answer decides."""

    folder: Path
    fixed: Path | None  # --dest named a file
    fallback: str  # the name when the answer's Content-Disposition gives none: the service's, the URL's, <key>.zip
    part: Path

    def final(self, disposition: str | None) -> Path:
        if self.fixed is not None:
            return self.fixed
        name = safe_filename(filename_from_disposition(disposition)) if disposition else None
        final = self.folder / (name or self.fallback)
        return final.with_name(final.name + ".zip") if final in (self.part, self.meta) else final

    @property
    def meta(self) -> Path:
        """Beside the .part: the version its bytes belong to."""
        return self.part.with_name(self.part.name + META_SUFFIX)


def check_destination(dest: str | None, force: bool) -> Path | None:
    """Interpret --dest: None for a folder (the default: the current one), else the file to write."""
    if dest == "":
        raise UsageError("--dest is empty", "name a folder or a file, or leave --dest out for the current folder")
    if dest == STDOUT:
        return None
    path = destination_path(dest)
    try:
        return _destination_file(dest, path, force)
    except OSError as error:  # a name too long, a folder that may not be searched
        raise UsageError(f"--dest {dest}: {error.strerror or error}", "choose another --dest") from None


def destination_path(dest: str | None) -> Path:
    """--dest as a path: ``~`` expanded (the shell leaves ``--dest=~/x`` alone), the current folder when absent."""
    return Path(dest).expanduser() if dest is not None else Path()


def _destination_file(dest: str | None, path: Path, force: bool) -> Path | None:
    if path.is_dir():
        return None
    if dest is not None and dest.endswith(("/", os.sep)):
        raise UsageError(f"--dest {dest}: no such folder", "create it first, or name a file")
    if not path.parent.is_dir():
        raise UsageError(f"--dest {dest}: the folder {path.parent} does not exist", "create it first")
    check_replaceable(path, force)
    return path


def plan_targets(dest: str | None, files: Sequence[RemoteFile], task_id: str, force: bool) -> list[Target]:
    """Where each file goes (all planned before any is downloaded). One file's .part is named after the task;
    of several, each after the task and its place in the list."""
    if len(files) > 1 and check_destination(dest, force) is not None:
        raise UsageError(f"--dest {dest} names a file, but the task has {len(files)} files to download",
                         "name a folder instead")
    keys = [task_id] if len(files) == 1 else [f"{task_id}-{number}" for number in range(1, len(files) + 1)]
    return [plan_target(dest, file, key, force) for file, key in zip(files, keys, strict=True)]


def plan_target(dest: str | None, file: RemoteFile, key: str, force: bool) -> Target:
    """Where one file goes. The .part file's name is known before any request, so that a rerun finds it."""
    fixed = check_destination(dest, force)
    fallback = (safe_filename(file.name) or safe_filename(url_file_name(file.url)) or safe_filename(f"{key}.zip")
                or "package.zip")
    if fixed is None:
        folder = destination_path(dest)
        # Named after the task, not the link: a fresh link (new signature, maybe a new path) still resumes.
        stem = safe_filename(key) or "package"
        return Target(folder, None, fallback, folder / (stem + PART_SUFFIX))
    return Target(fixed.parent, fixed, fallback, fixed.with_name(fixed.name + PART_SUFFIX))


def check_replaceable(path: Path, force: bool) -> None:
    """A file may be written at ``path``: nothing is there, or --force allows replacing it (never a folder)."""
    if path.is_dir():
        raise TaskctlError(f"{path} is a folder", "choose another --dest")
    if not force and (path.exists() or path.is_symlink()):
        raise TaskctlError(f"{path} already exists", "pass --force to replace it")


def url_file_name(url: str) -> str:
    """The last segment of the URL's path, percent-decoded (not yet safe: see ``safe_filename``)."""
    return unquote(urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1])


def filename_from_disposition(value: str) -> str | None:
    """The file name a Content-Disposition header suggests (RFC 6266: ``filename*`` wins), not yet safe."""
    from email.message import Message

    with contextlib.suppress(UnicodeError):  # http.client decodes header bytes as Latin-1; most are UTF-8
        value = value.encode("latin-1").decode("utf-8")
    message = Message()
    try:
        message["Content-Disposition"] = value
        name = message.get_filename()
    except Exception:  # noqa: BLE001 - the email parser on hostile input: no name rather than a crash
        return None
    return name if isinstance(name, str) else None


def safe_filename(name: str | None) -> str | None:
    """A name that stays inside the destination folder and shows as itself, or None when nothing is left.

    Only the last path component is kept (``/`` and ``\\`` both separate); control characters, bidi
    overrides, other non-printable characters and those Windows forbids become ``_``; leading dots (hidden
    files, ``..``), trailing dots and surrounding blanks go; a leading ``-`` gets a ``_`` before it; the name
    is cut to 200 UTF-8 bytes (the extension kept).
    """
    if not name:
        return None
    base = _UNSAFE_IN_NAME.sub("_", re.split(r"[/\\]", name)[-1])
    base = "".join(char if char.isprintable() else "_" for char in base)  # format, unassigned, odd spaces
    base = base.strip().lstrip(".").strip().rstrip(". ")
    if not base:
        return None
    base = _shorten(base, MAX_NAME_BYTES)
    if base.split(".", 1)[0].upper() in _WINDOWS_RESERVED or base.startswith("-"):
        base = "_" + base  # "-rf" printed on stdout would be an option to the next command of a script
    return base


def _shorten(name: str, limit: int) -> str:
    if len(name.encode("utf-8")) <= limit:
        return name
    stem, suffix = os.path.splitext(name)
    if len(suffix.encode("utf-8")) > 16:
        stem, suffix = name, ""
    room = limit - len(suffix.encode("utf-8"))
    return stem.encode("utf-8")[:room].decode("utf-8", "ignore").rstrip(". ") + suffix
