"""End to end: the installed `taskctl ... watch` in a subprocess: Ctrl-C, a CI log (pipes), a real terminal."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

TASKCTL = shutil.which("taskctl") or str(Path(sys.executable).with_name("taskctl"))
ANSI = re.compile(r"\x1b[\[\]()]")


def _env(**extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in ("NO_COLOR", "FORCE_COLOR", "TASKCTL_PROFILE")}
    return {**env, **extra}


def test_ctrl_c_during_a_watch_exits_130_with_one_line() -> None:
    # 702 stays PROCESSING: the watch would go on forever. A default SIGINT, as a terminal would have.
    proc = subprocess.Popen([TASKCTL, "eo", "watch", "702", "--profile", "sandbox", "--interval", "0.2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(),
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        first = proc.stderr.readline()  # the watch is under way (in the sleep between polls, or in a request)
        assert first.startswith("taskctl: eo task 702: running")
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert out == ""
    assert [line for line in err.splitlines() if line.strip()][-1] == "taskctl: interrupted"
    assert err.count("interrupted") == 1
    assert "Traceback" not in err


def test_in_a_pipe_stderr_has_plain_change_lines_only() -> None:
    proc = subprocess.run([TASKCTL, "koodrive", "watch", "task-advancing", "--profile", "sandbox",
                           "--interval", "0.1", "--json"],
                          capture_output=True, text=True, timeout=60, env=_env(TERM="xterm-256color"))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["taskStatus"] == 2
    assert not ANSI.search(proc.stderr) and "\r" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert [re.sub(r" \([\d.]+s\)$", "", line) for line in lines] == [
        "taskctl: koodrive task task-advancing: pending 0%",
        "taskctl: koodrive task task-advancing: running 50%",
        "taskctl: koodrive task task-advancing: succeeded 100%",
    ]


def test_timeout_in_a_script_prints_the_last_task_and_exits_8() -> None:
    proc = subprocess.run(f"'{TASKCTL}' eo watch 702 --profile sandbox --timeout 0 --json | "
                          f"'{sys.executable}' -c 'import json,sys; print(json.load(sys.stdin)[\"status\"])'",
                          shell=True, capture_output=True, text=True, timeout=60, env=_env(),
                          executable="/bin/bash")
    assert proc.stdout == "5\n"
    proc = subprocess.run([TASKCTL, "eo", "watch", "702", "--profile", "sandbox", "--timeout", "0"],
                          capture_output=True, text=True, timeout=60, env=_env())
    assert proc.returncode == 8
    assert "timed out: eo task 702 is still running" in proc.stderr


def _read_all(fd: int, proc: subprocess.Popen, until: bytes | None = None, timeout: float = 60) -> bytes:
    """What the child writes to the terminal, read as it comes (a full pty buffer would block it): until the
    child closes the terminal, or until ``until`` has appeared. ``timeout`` only bounds a hung child."""
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    while not (until is not None and until in b"".join(chunks)):
        assert time.monotonic() < deadline, f"waited {timeout}s for {until!r}: {b''.join(chunks)!r}"
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                data = os.read(fd, 65536)
            except OSError:  # EIO: the child closed its end
                break
            if not data:
                break
            chunks.append(data)
        elif proc.poll() is not None:
            break
    return b"".join(chunks)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="pty semantics checked on Linux")
def test_on_a_terminal_the_live_display_redraws_on_stderr_and_stdout_stays_json() -> None:
    main, child = pty.openpty()
    # Each state lasts one interval: long enough for the live display (4 redraws a second) to show it, even on
    # a loaded machine.
    proc = subprocess.Popen([TASKCTL, "koodrive", "watch", "task-advancing", "--profile", "sandbox",
                             "--interval", "1", "--json"],
                            stdout=subprocess.PIPE, stderr=child, stdin=subprocess.DEVNULL,
                            env=_env(TERM="xterm-256color", COLUMNS="100"))
    os.close(child)
    try:
        screen = _read_all(main, proc).decode("utf-8", "replace")
        out = proc.stdout.read().decode() if proc.stdout else ""
        proc.wait(timeout=60)
    finally:
        os.close(main)
    assert proc.returncode == 0
    assert json.loads(out)["taskStatus"] == 2  # stdout: only the final task, as JSON
    assert "\x1b" not in out
    assert "\x1b[?25l" in screen and "\x1b[?25h" in screen  # cursor hidden while live, then restored
    assert screen.count("\r\x1b[2K") >= 3  # redrawn in place, not scrolled
    for words in ("koodrive task task-advancing", "pending", "running", "50%"):
        assert words in screen
    assert "taskctl: koodrive task" not in screen  # no plain lines on a terminal


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="pty semantics checked on Linux")
def test_ctrl_c_on_a_terminal_erases_the_live_display_and_restores_the_cursor() -> None:
    main, child = pty.openpty()
    proc = subprocess.Popen([TASKCTL, "eo", "watch", "702", "--profile", "sandbox", "--interval", "0.3"],
                            stdout=subprocess.PIPE, stderr=child, stdin=subprocess.DEVNULL,
                            env=_env(TERM="xterm-256color", COLUMNS="100"),
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    os.close(child)
    try:
        screen = _read_all(main, proc, until=b"running")  # the live display is up, showing the task
        proc.send_signal(signal.SIGINT)
        screen += _read_all(main, proc)
        proc.wait(timeout=60)
    finally:
        os.close(main)
    text = screen.decode("utf-8", "replace")
    assert proc.returncode == 130
    assert "running" in text
    assert text.rindex("\x1b[?25h") > text.rindex("\x1b[?25l")  # the cursor is back
    assert text.rstrip().endswith("taskctl: interrupted")
    assert "Traceback" not in text


def test_sigterm_during_a_watch_exits_143_with_one_line() -> None:
    proc = subprocess.Popen([TASKCTL, "eo", "watch", "702", "--profile", "sandbox", "--interval", "0.2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env())
    try:
        first = proc.stderr.readline()
        assert first.startswith("taskctl: eo task 702: running")
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 143
    assert out == "" and [line for line in err.splitlines() if line.strip()][-1] == "taskctl: terminated"
    assert "Traceback" not in err
