"""Asking the terminal whether it draws sixel: Primary Device Attributes (DA1, ``ESC [ c``), whose answer
``ESC [ ? <attributes> c`` lists 4 when it does (VT340, xterm -ti vt340, foot, mlterm, WezTerm, ...).

Asked only when the environment names no known terminal, only when stdin and stdout are the same terminal,
and for at most QUERY_TIMEOUT: a terminal that does not answer costs that much, once. The terminal's echo is
off while the answer is awaited, and what it typed meanwhile is not swallowed beyond that answer.
"""

from __future__ import annotations

import os
import re
import time

QUERY_TIMEOUT = 0.2  # seconds
_ANSWER = re.compile(rb"\x1b\[\?([0-9;]*)c")


def reports_sixel(stdin_fd: int, stdout_fd: int, timeout: float = QUERY_TIMEOUT) -> bool:
    try:
        if not (os.isatty(stdin_fd) and os.isatty(stdout_fd)) or os.ttyname(stdin_fd) != os.ttyname(stdout_fd):
            return False
        import termios
    except (OSError, ImportError):  # no terminal, or no termios (Windows)
        return False
    try:
        saved = termios.tcgetattr(stdin_fd)
    except termios.error:
        return False
    try:
        quiet = termios.tcgetattr(stdin_fd)
        quiet[3] &= ~(termios.ECHO | termios.ICANON)  # no echo, bytes as they come
        termios.tcsetattr(stdin_fd, termios.TCSANOW, quiet)
        os.write(stdout_fd, b"\x1b[c")
        answer = _read_answer(stdin_fd, time.monotonic() + timeout)
    except OSError:
        return False
    finally:
        termios.tcsetattr(stdin_fd, termios.TCSANOW, saved)
    match = _ANSWER.search(answer)
    return match is not None and b"4" in match[1].split(b";")


def _read_answer(fd: int, end: float) -> bytes:
    import select

    answer = b""
    while not _ANSWER.search(answer) and len(answer) < 256:
        ready, _, _ = select.select([fd], [], [], max(0.0, end - time.monotonic()))
        if not ready:
            break
        chunk = os.read(fd, 1)  # a byte at a time: nothing past the answer is taken from the user's typing
        if not chunk:
            break
        answer += chunk
    return answer
