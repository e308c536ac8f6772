"""The ``.part`` file being written and its ``.part.meta`` record: opened safely, locked, moved into place."""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Callable, Iterator
from pathlib import Path

from taskctl.commands.download.names import META_SUFFIX
from taskctl.commands.download.version import Version
from taskctl.errors import TaskctlError


class PartFile:
    """The ``.part`` being written, and beside it ``<name>.part.meta``: the version its bytes belong to.

    Both are created with O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600, and reused only when the opened descriptor
    is a regular file of the caller's with a single link (someone else may have planted one in a shared
    folder such as /tmp). The .part is locked while open. Its bytes always belong to the recorded version:
    the .part is truncated before the record changes, and the record is written before any byte.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.meta = path.with_name(path.name + META_SUFFIX)
        self._descriptor: int | None = None

    def __enter__(self) -> PartFile:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._descriptor is not None:
            os.close(self._descriptor)
            self._descriptor = None

    def open_existing(self) -> bool:
        """Open (and lock) the .part if there is one; False if there is none."""
        descriptor = _open_own_file(self.path, create=False)
        if descriptor is not None:
            self._adopt(descriptor)
        return descriptor is not None

    def create(self) -> None:
        """Make sure the .part is open: created afresh, or (appearing meanwhile) checked like an existing one."""
        if self._descriptor is None:
            self._adopt(_open_own_file(self.path, create=True))

    def _adopt(self, descriptor: int | None) -> None:
        assert descriptor is not None
        try:
            _lock(descriptor, self.path)  # another taskctl may be writing it
        except BaseException:
            os.close(descriptor)
            raise
        self._descriptor = descriptor

    @property
    def descriptor(self) -> int:
        assert self._descriptor is not None, "the .part is not open"
        return self._descriptor

    def size(self) -> int:
        return os.fstat(self._descriptor).st_size if self._descriptor is not None else 0

    def load_version(self) -> Version | None:
        """The version recorded beside the .part, or None (no record, or not one taskctl wrote)."""
        descriptor = _open_own_file(self.meta, create=False)
        if descriptor is None:
            return None
        try:
            return Version.from_json(os.read(descriptor, 4096))
        except OSError as error:
            raise _write_error(self.meta, error) from None
        finally:
            os.close(descriptor)

    def start_over(self, version: Version | None) -> None:
        """Empty the .part, then record which version its bytes will belong to (None: no record)."""
        self.create()
        try:
            os.ftruncate(self.descriptor, 0)
        except OSError as error:
            raise _write_error(self.path, error) from None
        self._forget_version()
        if version is not None and version.validator is not None:
            self._record(version)

    def _record(self, version: Version) -> None:
        descriptor = _open_own_file(self.meta, create=True)
        assert descriptor is not None
        try:
            os.ftruncate(descriptor, 0)
            os.write(descriptor, version.to_json().encode())
            with contextlib.suppress(OSError):
                os.fsync(descriptor)
        except OSError as error:
            raise _write_error(self.meta, error) from None
        finally:
            os.close(descriptor)

    def _forget_version(self) -> None:
        try:
            os.unlink(self.meta)
        except FileNotFoundError:
            pass
        except OSError as error:
            raise TaskctlError(f"cannot remove {self.meta}: {error.strerror or error}",
                               "remove it, or choose another --dest") from None

    def write_from(self, start: int, chunks: Iterator[bytes], advance: Callable[[int], None]) -> int:
        """Write ``chunks`` into the .part from byte ``start`` on; returns the .part's size."""
        descriptor = self.descriptor
        try:
            os.ftruncate(descriptor, start)
            os.lseek(descriptor, start, os.SEEK_SET)
        except OSError as error:
            raise _write_error(self.path, error) from None
        size = start
        for chunk in chunks:
            view = memoryview(chunk)
            try:
                while view:
                    written = os.write(descriptor, view)
                    view = view[written:]
            except OSError as error:
                raise _write_error(self.path, error) from None
            size += len(chunk)
            advance(len(chunk))
        return size

    def move_to(self, final: Path, force: bool) -> None:
        """Put the whole file in place; without --force an existing file is never replaced, not even one
        made meanwhile. (A record left behind by a crash is harmless: a new .part always starts over.)"""
        descriptor = self.descriptor
        with contextlib.suppress(OSError):  # a file system without fsync: the data is written all the same
            os.fsync(descriptor)
        if not self._still_mine():
            raise TaskctlError(f"{self.path} was replaced while taskctl wrote it",
                               "remove it, or choose another --dest")
        try:
            if force or not _link_no_clobber(self.path, final):
                os.replace(self.path, final)
        except FileExistsError:
            raise TaskctlError(f"{final} already exists", "pass --force to replace it") from None
        except OSError as error:
            raise TaskctlError(f"cannot rename {self.path} to {final}: {error.strerror or error}") from None
        with contextlib.suppress(TaskctlError):  # the file is in place; a stray record only costs a restart
            self._forget_version()

    def discard(self) -> None:
        """Remove a .part that cannot be resumed (nothing names the version its bytes belong to)."""
        if self._descriptor is None or not self._still_mine():
            return
        with contextlib.suppress(OSError):
            self._forget_version()
            os.unlink(self.path)

    def _still_mine(self) -> bool:
        try:
            return os.path.samestat(os.fstat(self.descriptor), os.lstat(self.path))
        except OSError:
            return False


def _link_no_clobber(part: Path, final: Path) -> bool:
    """Give the .part its final name without replacing anything (link, then unlink); False where the file
    system has no hard links (then the caller renames). Raises FileExistsError when ``final`` exists."""
    try:
        os.link(part, final, follow_symlinks=False)
    except FileExistsError:
        raise
    except OSError as error:
        if error.errno in (errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EMLINK, errno.ENOSYS):
            return False
        raise
    os.unlink(part)
    return True


_OPEN_FLAGS = (os.O_RDWR | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
               | getattr(os, "O_BINARY", 0))


def _open_own_file(path: Path, *, create: bool) -> int | None:
    """A descriptor on ``path``: created 0600 when absent (``create``), else reused only when it is a regular
    file of the caller's with one link, as the opened descriptor shows (no race between check and use).
    None when it does not exist and ``create`` is false."""
    for _attempt in range(3):
        if create:
            try:
                return os.open(path, _OPEN_FLAGS | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass
            except OSError as error:
                raise _write_error(path, error) from None
        try:
            _refuse_untrusted(path, os.lstat(path))  # a FIFO or device is not even opened
            descriptor = os.open(path, _OPEN_FLAGS)  # O_NONBLOCK: a FIFO swapped in meanwhile cannot hang it
        except FileNotFoundError:
            if not create:
                return None
            continue  # removed in between: create it after all
        except OSError as error:
            raise _write_error(path, error) from None
        try:
            _refuse_untrusted(path, os.fstat(descriptor))
        except BaseException:
            os.close(descriptor)
            raise
        return descriptor
    raise TaskctlError(f"{path} keeps appearing and disappearing", "choose another --dest")


def _refuse_untrusted(path: Path, status: os.stat_result) -> None:
    """Refuse a file that is not plainly the caller's own: taskctl would write into, or rename, someone
    else's data (a symbolic or hard link to another file, a FIFO, another user's file in /tmp)."""
    import stat

    hint = "remove it, or choose another --dest"
    if stat.S_ISLNK(status.st_mode):
        raise TaskctlError(f"{path} is a symbolic link; taskctl does not write through one", hint)
    if stat.S_ISDIR(status.st_mode):
        raise TaskctlError(f"{path} is a folder, not a partial download", hint)
    if not stat.S_ISREG(status.st_mode):
        kind = "a FIFO" if stat.S_ISFIFO(status.st_mode) else "a socket" if stat.S_ISSOCK(status.st_mode) \
            else "a device" if stat.S_ISCHR(status.st_mode) or stat.S_ISBLK(status.st_mode) else "not a regular file"
        raise TaskctlError(f"{path} is {kind}, not a partial download", hint)
    getuid = getattr(os, "getuid", None)
    if getuid is not None and status.st_uid != getuid():
        raise TaskctlError(f"{path} belongs to another user (uid {status.st_uid}); taskctl does not write into it",
                           hint)
    if status.st_nlink != 1:
        raise TaskctlError(f"{path} has {status.st_nlink} hard links (it may be another file's name); "
                           "taskctl does not write into it", hint)


def _lock(descriptor: int, part: Path) -> None:
    """An exclusive lock on the .part (POSIX), held until it is closed."""
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks here
        return
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise TaskctlError(f"{part} is being written by another taskctl", "wait for it to finish") from None
    except OSError as error:
        if error.errno not in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS):  # a file system without locks
            raise _write_error(part, error) from None


def _write_error(path: Path, error: OSError) -> TaskctlError:
    if error.errno == errno.ELOOP:
        return TaskctlError(f"{path} is a symbolic link; taskctl does not write through one",
                            "remove it, or choose another --dest")
    if error.errno == errno.EISDIR:
        return TaskctlError(f"{path} is a folder, not a partial download", "remove it, or choose another --dest")
    return TaskctlError(f"cannot write {path}: {error.strerror or error}")
