"""A reader that goes away (`| head`): the installed `taskctl` keeps its exit code and its error lines.

Each test runs the console script in a subprocess with stdout on a real pipe whose read end is closed early:
at once (every write fails), or after the first line. The pipe is shrunk to one page where Linux allows it,
and the outputs are larger than that, so the writer really blocks on a full pipe and then meets the closed
end mid-task. PYTHONUNBUFFERED is removed: stdout is block-buffered, as in a user's shell, so the
interpreter's own final flush would meet the closed pipe too.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import socket
import struct
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

TASKCTL = shutil.which("taskctl") or str(Path(sys.executable).with_name("taskctl"))
PIPE_PAGE = 4096
MANY = ("706",) * 16  # 40 inputs each: far more than a pipe holds, in every format
# Small tasks first, as in `eo get 702 703 9999 | head -1`: the reader is gone between two tasks, not only
# in the middle of one.
IDS = ("702", "703", *MANY)
FORMATS = (("-o", "table"), ("-o", "tree"), ("-o", "yaml"), ("-o", "json"), ("--json",))
FIRST_LINE = {"table": b"eo task 702", "tree": b"eo task 702", "yaml": b"---", "json": b"{"}
NOISE = ("Exception ignored", "Traceback", "BrokenPipe", "internal error", "Errno")


@dataclass
class Run:
    returncode: int
    first_line: bytes
    stderr: str


def _env() -> dict[str, str]:
    dropped = ("PYTHONUNBUFFERED", "NO_COLOR", "FORCE_COLOR", "TASKCTL_PROFILE", "TASKCTL_CONFIG")
    return {key: value for key, value in os.environ.items() if key not in dropped}


def _shrink(fd: int) -> None:
    with contextlib.suppress(OSError):
        fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), PIPE_PAGE)


def run_closing_stdout(*args: str, read_first_line: bool, stderr_too: bool = False) -> Run:
    """Run taskctl with stdout on a pipe whose read end closes at once, or after the first line."""
    read_end, write_end = os.pipe()
    _shrink(write_end)
    proc = subprocess.Popen([TASKCTL, *args], stdout=write_end,
                            stderr=write_end if stderr_too else subprocess.PIPE, env=_env())
    os.close(write_end)
    first_line = b""
    with os.fdopen(read_end, "rb", buffering=0) as reader:
        if read_first_line:
            first_line = reader.readline()
    try:
        _, stderr = proc.communicate(timeout=120)
    finally:
        proc.kill()
    return Run(proc.returncode, first_line, (stderr or b"").decode("utf-8", "replace"))


def assert_quiet(run: Run) -> None:
    for noise in NOISE:
        assert noise not in run.stderr, run.stderr


def fmt_name(fmt: tuple[str, ...]) -> str:
    return fmt[-1] if fmt[0] == "-o" else "json"


@pytest.mark.parametrize("fmt", FORMATS, ids=fmt_name)
@pytest.mark.parametrize("read_first_line", [True, False], ids=["after-a-line", "at-once"])
def test_get_keeps_the_first_failure_and_reports_it(fmt: tuple[str, ...], read_first_line: bool) -> None:
    run = run_closing_stdout("eo", "get", *IDS, "9999", "--profile", "sandbox", *fmt,
                             read_first_line=read_first_line)
    assert run.returncode == 3, run.stderr
    assert run.stderr.startswith("taskctl: error: eo task 9999: "), run.stderr
    assert len(run.stderr.splitlines()) == 2  # the error and its hint, nothing else
    if read_first_line:
        assert run.first_line.startswith(FIRST_LINE[fmt_name(fmt)])
    assert_quiet(run)


@pytest.mark.parametrize("fmt", FORMATS, ids=fmt_name)
def test_get_without_a_failure_exits_0(fmt: tuple[str, ...]) -> None:
    run = run_closing_stdout("eo", "get", *IDS, "--profile", "sandbox", *fmt, read_first_line=True)
    assert (run.returncode, run.stderr) == (0, "")
    assert run.first_line.startswith(FIRST_LINE[fmt_name(fmt)])


@pytest.mark.parametrize(("provider", "ids", "missing"), [
    ("koodrive", ("task-running", *("task-partial",) * 40), "no-such-task"),
    ("modelarts", ("task-running", *("AcYfsdfhGyrWL5TtahH",) * 40), "no-such-task"),
])
@pytest.mark.parametrize("fmt", [("-o", "table"), ("--json",)], ids=fmt_name)
def test_every_provider_keeps_the_exit_code(provider: str, ids: tuple[str, ...], missing: str,
                                            fmt: tuple[str, ...]) -> None:
    run = run_closing_stdout(provider, "get", *ids, missing, "--profile", "sandbox", *fmt, read_first_line=True)
    assert run.returncode == 3, run.stderr
    assert f"taskctl: error: {provider} task {missing}: " in run.stderr
    assert_quiet(run)


@pytest.mark.parametrize("fmt", FORMATS, ids=fmt_name)
def test_watch_prints_into_a_closed_pipe_and_exits_0(fmt: tuple[str, ...]) -> None:
    run = run_closing_stdout("eo", "watch", "706", "--profile", "sandbox", *fmt, read_first_line=True)
    assert run.returncode == 0, run.stderr
    assert run.first_line.startswith(b"eo task 706" if fmt_name(fmt) in ("table", "tree") else
                                     FIRST_LINE[fmt_name(fmt)])
    assert run.stderr.startswith("taskctl: eo task 706: succeeded")
    assert_quiet(run)


@pytest.mark.parametrize("fmt", [("-o", "table"), ("-o", "tree"), ("--json",)], ids=fmt_name)
@pytest.mark.parametrize(("args", "code", "verdict"), [
    (("711", "--interval", "0.05"), 7, "taskctl: error: eo task 711 ended failed"),
    (("702", "--timeout", "0"), 8, "taskctl: error: timed out: eo task 702 is still running"),
], ids=["failed", "timed-out"])
def test_watch_keeps_7_and_8(fmt: tuple[str, ...], args: tuple[str, ...], code: int, verdict: str) -> None:
    run = run_closing_stdout("eo", "watch", *args, "--profile", "sandbox", *fmt, read_first_line=False)
    assert run.returncode == code, run.stderr
    assert verdict in run.stderr
    assert_quiet(run)


def test_head_in_a_shell_pipeline() -> None:
    """The user's own words: `taskctl eo get 702 703 9999 --profile sandbox | head -1`."""
    script = (f"'{TASKCTL}' eo get {' '.join(IDS)} 9999 --profile sandbox | head -1; "
              "echo \"rc=${PIPESTATUS[0]}\"")
    proc = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=120, env=_env())
    assert proc.stdout == "eo task 702 · API TEST BAND MERGING\nrc=3\n"
    assert proc.stderr.startswith("taskctl: error: eo task 9999: ")
    assert len(proc.stderr.splitlines()) == 2


def test_stdout_and_stderr_on_one_closed_pipe() -> None:
    run = run_closing_stdout("eo", "get", *IDS, "9999", "--profile", "sandbox", read_first_line=False,
                             stderr_too=True)
    assert run.returncode == 3
    run = run_closing_stdout("eo", "watch", "711", "--interval", "0.05", "--profile", "sandbox",
                             read_first_line=True, stderr_too=True)
    assert run.returncode == 7
    assert run.first_line.startswith(b"taskctl: eo task 711: running")


@pytest.mark.parametrize("args", [("--help",), ("eo", "get", "--help"), ("profile", "list"), ("--version",)])
def test_other_commands_end_quietly(args: tuple[str, ...]) -> None:
    run = run_closing_stdout(*args, read_first_line=False)
    assert run.returncode == 0, run.stderr
    assert_quiet(run)


def _closing(fd: int) -> Callable[[], None]:
    return lambda: os.close(fd)


@pytest.mark.parametrize("args", [("eo", "get", "702", "9999"), ("eo", "watch", "711", "--interval", "0.05")],
                         ids=["get", "watch"])
def test_a_stdout_closed_before_the_start_is_a_reader_that_is_not_there(args: tuple[str, ...]) -> None:
    """`taskctl ... >&-`: Python starts with sys.stdout None; the command runs, reports, keeps its code."""
    proc = subprocess.run([TASKCTL, *args, "--profile", "sandbox"], stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True, timeout=120, env=_env(), preexec_fn=_closing(1))
    assert proc.returncode == (3 if args[1] == "get" else 7), proc.stderr
    assert ("taskctl: error: eo task 9999: " if args[1] == "get" else "taskctl: error: eo task 711 ended failed") \
        in proc.stderr
    assert_quiet(Run(proc.returncode, b"", proc.stderr))


def test_a_stderr_closed_before_the_start_keeps_stdout_and_the_exit_code() -> None:
    proc = subprocess.run([TASKCTL, "eo", "get", "702", "9999", "--profile", "sandbox"], stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL, text=True, timeout=120, env=_env(), preexec_fn=_closing(2))
    assert proc.returncode == 3
    assert proc.stdout.startswith("eo task 702 · API TEST BAND MERGING\n")


def test_a_socket_reset_by_its_reader_is_a_reader_that_went_away() -> None:
    """stdout on a TCP socket whose reader resets the connection (ECONNRESET rather than EPIPE)."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, PIPE_PAGE)  # small buffers: the writer blocks
    writer = socket.socket()
    writer.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, PIPE_PAGE)
    writer.connect(listener.getsockname())
    reader, _ = listener.accept()
    listener.close()
    proc = subprocess.Popen([TASKCTL, "eo", "get", *IDS, "9999", "--profile", "sandbox"], stdout=writer.fileno(),
                            stderr=subprocess.PIPE, env=_env())
    writer.close()
    with reader:
        reader.settimeout(120)
        assert reader.recv(64).startswith(b"eo task 702")
        reader.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close with a reset
    try:
        _, stderr = proc.communicate(timeout=120)
    finally:
        proc.kill()
    run = Run(proc.returncode, b"", stderr.decode())
    assert run.returncode == 3, run.stderr
    assert run.stderr.startswith("taskctl: error: eo task 9999: ")
    assert_quiet(run)
