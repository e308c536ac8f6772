"""End to end: the installed `taskctl` console script in a subprocess, as a user or a CI script runs it."""

from __future__ import annotations

import contextlib
import json
import os
import pty
import re
import select
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.loopback import LoopbackServer, Reply, hang

TASKCTL = shutil.which("taskctl") or str(Path(sys.executable).with_name("taskctl"))


def run(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([TASKCTL, *args], capture_output=True, text=True, timeout=60, **kwargs)


OSC52 = "\x1b]52;c;cHduZWQ=\x07"  # writes "pwned" to the clipboard of many terminals
HOSTILE_KEYS = [OSC52 + "clip", "\x1b[2Jclear", "\u202eevil", "\x9b31mcsi", "\x9d0;title\x9c", "[bold]mk[/bold]",
                "\u061calm"]
OUR_ESCAPES = re.compile(r"\x1b\[[0-9;]*m|\x1b\]8;[^\x1b\x07]*\x1b\\")  # our own colours and links, on a terminal
UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def test_first_run_against_the_builtin_sandbox() -> None:
    result = run("eo", "get", "702", "--profile", "sandbox")
    assert result.returncode == 0, result.stderr
    assert "eo task 702 · API TEST BAND MERGING" in result.stdout
    assert result.stderr == ""


def test_json_pipes_into_a_json_reader() -> None:
    result = run("eo", "get", "702", "703", "--profile", "sandbox", "--json")
    assert result.returncode == 0
    documents = [json.loads(chunk) for chunk in result.stdout.replace("}\n{", "}\x00{").split("\x00")]
    assert [d["status"] for d in documents] == [5, 7]


def test_a_closed_pipe_ends_quietly() -> None:
    proc = subprocess.run(f"'{TASKCTL}' eo get 702 703 706 --profile sandbox --json | head -c 10",
                          shell=True, capture_output=True, text=True, timeout=60)
    assert proc.stdout == '{\n  "id": '
    assert proc.stderr == ""


def _start(args: list[str]) -> subprocess.Popen:
    # A child of a non-interactive shell may inherit "ignore SIGINT"; restore the default as a terminal would.
    return subprocess.Popen([TASKCTL, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def _listening_port(server: subprocess.Popen) -> int:
    """The port `taskctl sandbox --port 0` says it listens on (its first stderr line, once it does)."""
    line = server.stderr.readline()
    match = re.search(r"listening on http://127\.0\.0\.1:(\d+) ", line)
    assert match, line
    return int(match.group(1))


def test_sandbox_command_serves_until_ctrl_c() -> None:
    server = _start(["sandbox", "--port", "0"])
    try:
        port = _listening_port(server)
    finally:
        server.send_signal(signal.SIGINT)
        out, err = server.communicate(timeout=10)
    assert server.returncode == 130
    assert f"endpoint: http://127.0.0.1:{port}/eo" in out
    assert err.strip().endswith("taskctl: sandbox stopped")
    assert "Traceback" not in err


def test_sandbox_command_exits_143_on_sigterm_as_watch_does() -> None:
    server = _start(["sandbox", "--port", "0"])
    try:
        _listening_port(server)
    finally:
        server.send_signal(signal.SIGTERM)
        _out, err = server.communicate(timeout=10)
    assert server.returncode == 143
    assert err.strip().endswith("taskctl: sandbox stopped") and "Traceback" not in err


def test_sandbox_snippet_works_as_a_profiles_file(tmp_path: Path) -> None:
    server = _start(["sandbox", "--port", "0"])
    try:
        port = _listening_port(server)
        lines = []
        while not (lines and lines[-1].startswith("# then")):
            lines.append(server.stdout.readline())
        config = tmp_path / "sandbox.yaml"
        config.write_text("".join(lines))
        config.chmod(0o600)
        result = run("eo", "get", "703", "--json", "--profile", "local-eo", "--config", str(config))
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["id"] == 703
        busy = run("sandbox", "--port", str(port))
        assert busy.returncode == 2 and "in use" in busy.stderr
    finally:
        server.send_signal(signal.SIGINT)
        server.communicate(timeout=10)


def test_ctrl_c_during_a_slow_request_exits_130(tmp_path: Path) -> None:
    with LoopbackServer(handler=hang) as server:  # reads each request, never answers
        config = tmp_path / "profiles.yaml"
        config.write_text(f"profiles:\n  slow:\n    provider: eo\n    endpoint: {server.url}\n"
                          "    token: slow-token-abcdef\n")
        config.chmod(0o600)
        proc = _start(["eo", "get", "1", "2", "--config", str(config)])
        try:
            server.wait_for_requests(1, timeout=60)  # a request is waiting for its answer: Ctrl-C now
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=30)
        finally:
            proc.kill()
    assert proc.returncode == 130
    assert err.strip() == "taskctl: interrupted"
    assert out == ""


@pytest.mark.skipif(not shutil.which("jq"), reason="jq is not installed")
def test_readme_example_with_jq() -> None:
    proc = subprocess.run(f"'{TASKCTL}' eo get 702 703 --profile sandbox --json | jq -r '.taskName'",
                          shell=True, capture_output=True, text=True, timeout=60, env=os.environ)
    assert proc.stdout.splitlines() == ["API TEST BAND MERGING", "NDVI Pearl River Delta May 2023"]


def test_a_closed_pipe_keeps_the_exit_code_of_the_first_failure() -> None:
    proc = subprocess.run(f"'{TASKCTL}' eo get 706 424242 9401 --profile sandbox --json | true; "
                          "echo \"rc=${PIPESTATUS[0]}\"", shell=True, executable="/bin/bash",
                          capture_output=True, text=True, timeout=60)
    assert proc.stdout.strip() == "rc=3"
    assert "eo task 424242" in proc.stderr and "Traceback" not in proc.stderr


def test_install_completion_writes_the_shell_setup(tmp_path: Path) -> None:
    env = {**os.environ, "HOME": str(tmp_path), "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"}
    result = run("--install-completion", "bash", env=env)
    assert result.returncode == 0, result.stderr
    script = (tmp_path / ".bash_completions" / "taskctl.sh").read_text()
    assert "_TASKCTL_COMPLETE=complete_bash" in script
    assert "taskctl.sh" in (tmp_path / ".bashrc").read_text()


@pytest.mark.skipif(not shutil.which("jq"), reason="jq is not installed")
def test_every_provider_pipes_into_jq_from_the_builtin_sandbox() -> None:
    script = (f"'{TASKCTL}' koodrive get task-done task-running --profile sandbox --json | jq -r '.progress'; "
              f"'{TASKCTL}' modelarts get AcYfsdfhGyrWL5TtahH --profile sandbox --json | jq -r '.template.id'")
    proc = subprocess.run(script, shell=True, capture_output=True, text=True, timeout=60)
    assert proc.stdout.splitlines() == ["100", "40", "sys_data_analyse"]
    assert proc.stderr == ""


# --- a hostile KooDrive server: its keys become table headers, tree and yaml keys ------------------------


def _hostile_answer() -> dict:
    keys = {key: f"v{number}" for number, key in enumerate(HOSTILE_KEYS)}
    return {"code": "0", "taskInfo": {"taskId": "t1", "taskStatus": 2, "taskType": 1, "progress": 100, **keys,
                                      "nested": {OSC52: [{"\x1b[2J": 1}]}},
            "taskInfos": [{**keys, "fileName": "a"}]}


@contextlib.contextmanager
def _koodrive_answering(answer: dict, tmp_path: Path) -> Iterator[Path]:
    """A loopback KooDrive that answers every request with ``answer``; yields a profiles file for it."""
    with LoopbackServer(Reply(200, answer)) as server:
        config = tmp_path / "profiles.yaml"
        config.write_text("profiles:\n  drive:\n    provider: koodrive\n"
                          f"    endpoint: {server.url}\n"
                          "    token: drive-token-123456\n    share_id: s\n    retries: 0\n")
        config.chmod(0o600)
        yield config


def _on_a_terminal(args: list[str]) -> tuple[int, bytes]:
    """Run taskctl with stdout on a pseudo-terminal; what the terminal received, until the child exits."""
    main, child = pty.openpty()
    proc = subprocess.Popen([TASKCTL, *args], stdout=child, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                            env={**os.environ, "TERM": "xterm-256color", "COLUMNS": "200"})
    os.close(child)
    chunks = []
    try:
        while True:
            ready, _, _ = select.select([main], [], [], 60)
            assert ready, "no output for 60 s"
            try:
                data = os.read(main, 65536)
            except OSError:  # EIO: every writer has closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        proc.communicate(timeout=60)
    finally:
        proc.kill()
        os.close(main)
    return proc.returncode, b"".join(chunks)


def _assert_inert(out: str) -> None:
    assert OSC52 not in out and "\x1b[2J" not in out
    shown = OUR_ESCAPES.sub("", out.replace("\r\n", "\n"))
    assert not UNSAFE.search(shown), ascii(shown)


@pytest.mark.parametrize("fmt", ["table", "tree", "yaml"])
def test_hostile_keys_reach_a_pipe_inert(tmp_path: Path, fmt: str) -> None:
    with _koodrive_answering(_hostile_answer(), tmp_path) as config:
        result = run("koodrive", "get", "t1", "--config", str(config), "-o", fmt, env={**os.environ, "COLUMNS": "200"})
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout  # piped: no colour, so no escape sequence at all
    _assert_inert(result.stdout)
    assert ("^[]52;c;cHduZWQ=^Gclip" if fmt != "yaml" else '"\\e]52;c;cHduZWQ=\\aclip"') in result.stdout


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="pty semantics checked on Linux")
@pytest.mark.parametrize("fmt", ["table", "tree", "yaml"])
def test_hostile_keys_reach_a_terminal_inert(tmp_path: Path, fmt: str) -> None:
    with _koodrive_answering(_hostile_answer(), tmp_path) as config:
        code, screen = _on_a_terminal(["koodrive", "get", "t1", "--config", str(config), "-o", fmt])
    out = screen.decode("utf-8", "replace")
    assert code == 0, out
    _assert_inert(out)
    assert "<U+202E>evil" in out or "\\u202Eevil" in out


_FIRST_IMPORTS = """
import os, sys
from taskctl.context import AppContext
from taskctl.commands.get import fetch_in_order

class Recording:
    def __init__(self, fetcher):
        self.fetcher, self.seen = fetcher, []

    def fetch(self, task_id):
        self.seen.append(all(name in sys.modules for name in ("requests", "urllib3.util", "urllib3.exceptions")))
        return self.fetcher.fetch(task_id)

with AppContext(environ=dict(os.environ)).connect("eo", "sandbox") as connection:
    recording = Recording(connection.fetcher)
    outcomes = list(fetch_in_order(recording, ["702", "703", "704", "706"]))
print(recording.seen, [outcome.error for outcome in outcomes])
"""


def test_fetch_threads_start_with_the_http_stack_imported() -> None:
    """Threads that import urllib3 for the first time at once can deadlock in importlib (_DeadlockError, an
    'internal error' once in a few dozen runs of `eo get` with several ids on a loaded machine)."""
    proc = subprocess.run([sys.executable, "-c", _FIRST_IMPORTS], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[True, True, True, True] [None, None, None, None]"


def test_many_ids_reach_a_file_whole_before_the_process_ends(tmp_path: Path) -> None:
    """The console script leaves without the interpreter's teardown (cli.app.run): every document and error line
    is out first, and the exit code is the first failure's."""
    ids = [str(702 + index % 7) for index in range(300)] + ["9999"]
    out, err = tmp_path / "out.json", tmp_path / "err.txt"
    with out.open("w") as stdout, err.open("w") as stderr:
        code = subprocess.run([TASKCTL, "eo", "get", *ids, "--profile", "sandbox", "--json"], stdout=stdout,
                              stderr=stderr, timeout=120).returncode
    documents = out.read_text().replace("}\n{", "}\x00{").split("\x00")
    assert [json.loads(document)["id"] for document in documents] == [int(i) for i in ids[:-1]]
    assert code == 3
    last_two = err.read_text().splitlines()[-2:]
    assert last_two[0] == "taskctl: error: eo task 9999: error 404 (HTTP 200): Task not found"
    assert last_two[1].startswith("taskctl: check the id, and that profile 'sandbox' points at the right service")


def test_the_collector_is_off_while_the_console_script_starts_and_on_while_the_command_runs() -> None:
    probe = """
import gc, sys
sys.argv[0] = "/usr/local/bin/taskctl"
import taskctl
off_while_importing = not gc.isenabled()
import taskctl.cli.app as app
from taskctl.cli import boundary
seen = []
real = boundary.run_command
def spy(*args, **kwargs):
    seen.append(gc.isenabled())
    return real(*args, **kwargs)
boundary.run_command = spy  # the profile group is declared (cli.app.LazyGroup) after this: it calls the spy
try:
    app.main()
except SystemExit:
    pass
print(off_while_importing, seen)
"""
    result = subprocess.run([sys.executable, "-c", probe, "profile", "list"], capture_output=True, text=True,
                            timeout=60)
    assert result.stdout.strip().splitlines()[-1] == "True [True]", result.stderr
