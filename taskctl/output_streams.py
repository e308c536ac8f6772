"""stdout and stderr whose reader may go away (`| head`), or was never there (`>&-`): the command goes on
quietly and keeps its exit code."""

from __future__ import annotations

import contextlib
import os
import sys
from typing import Any, TextIO, cast

# The reader of a pipe closed its end (EPIPE), or the peer of a socket reset it.
READER_GONE = (BrokenPipeError, ConnectionResetError)


class ReaderSafeStream:
    """A text stream on which a closed pipe is silence, never an exception.

    The first BrokenPipeError points the stream's file descriptor at /dev/null (Python docs, "Note on
    SIGPIPE"); what was still buffered, and every later write, goes there. So nothing a command prints can
    raise: not our own writes, not rich's flushes (rich answers a broken pipe with SystemExit(1)), not the
    interpreter's final flush ("Exception ignored ... BrokenPipeError", exit 120). The command finishes its
    work, reports its errors on the other stream, and exits with its own code.
    """

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self.reader_gone = False

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except READER_GONE:
            self._reader_went_away()
            return len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except READER_GONE:
            self._reader_went_away()
        except ValueError:  # already closed: nothing left to lose
            pass

    def __getattr__(self, name: str) -> Any:  # isatty, fileno, encoding, buffer, ...
        return getattr(self._stream, name)

    def _reader_went_away(self) -> None:
        self.reader_gone = True
        silence(self._stream)
        with contextlib.suppress(OSError, ValueError):
            self._stream.flush()  # what was still buffered goes to /dev/null now, not to the final flush


def standard_stream(stream: TextIO | None, fd: int) -> TextIO:
    """``sys.stdout`` or ``sys.stderr`` (descriptor ``fd``) as a reader-safe stream.

    Python sets them to None when the descriptor was closed before it started (`taskctl ... >&-`): that is a
    reader that was never there. The stream then writes to /dev/null, opened on that very descriptor while it
    is free, so that no file or socket opened later gets its number and receives the output.
    """
    if stream is not None:
        return reader_safe(stream)
    devnull = os.open(os.devnull, os.O_WRONLY)
    if devnull != fd and not _is_open(fd):
        os.dup2(devnull, fd)
        os.close(devnull)
        devnull = fd
    nowhere = ReaderSafeStream(open(devnull, "w", encoding="utf-8", closefd=False))  # noqa: SIM115 - for the process
    nowhere.reader_gone = True
    return cast(TextIO, nowhere)


def _is_open(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


def reader_safe(stream: TextIO) -> TextIO:
    """``stream`` wrapped in a ReaderSafeStream (once)."""
    if isinstance(stream, ReaderSafeStream):
        return cast(TextIO, stream)
    return cast(TextIO, ReaderSafeStream(stream))


def reader_gone(stream: TextIO) -> bool:
    """Whether the reader of ``stream`` has gone away (a ReaderSafeStream saw a broken pipe)."""
    return bool(getattr(stream, "reader_gone", False))


def silence(stream: TextIO) -> None:
    """The reader went away: send further writes on ``stream``'s descriptor to /dev/null."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, stream.fileno())
        finally:
            os.close(devnull)
    except (OSError, ValueError, AttributeError):  # no descriptor (an in-memory stream): nothing to redirect
        pass


def silence_stdout() -> None:
    silence(sys.stdout)


def settle(stream: TextIO) -> None:
    """Flush ``stream`` before the interpreter does: a reader that went away is silence, not an error."""
    with contextlib.suppress(OSError, ValueError):
        reader_safe(stream).flush()
