"""End to end: the installed `taskctl` console script in a subprocess, as a user or a CI script runs it."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

TASKCTL = shutil.which("taskctl") or str(Path(sys.executable).with_name("taskctl"))


def run(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([TASKCTL, *args], capture_output=True, text=True, timeout=60, **kwargs)


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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start(args: list[str]) -> subprocess.Popen:
    # A child of a non-interactive shell may inherit "ignore SIGINT"; restore the default as a terminal would.
    return subprocess.Popen([TASKCTL, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def test_sandbox_command_serves_until_ctrl_c() -> None:
    port = _free_port()
    server = _start(["sandbox", "--port", str(port)])
    try:
        line = server.stderr.readline()
        assert f"listening on http://127.0.0.1:{port}" in line
    finally:
        server.send_signal(signal.SIGINT)
        out, err = server.communicate(timeout=10)
    assert server.returncode == 130
    assert f"endpoint: http://127.0.0.1:{port}/eo" in out
    assert err.strip().endswith("taskctl: sandbox stopped")
    assert "Traceback" not in err


def test_sandbox_snippet_works_as_a_profiles_file(tmp_path: Path) -> None:
    port = _free_port()
    server = _start(["sandbox", "--port", str(port)])
    try:
        server.stderr.readline()
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
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()  # accepts connections, never answers
    config = tmp_path / "profiles.yaml"
    config.write_text(f"profiles:\n  slow:\n    provider: eo\n    endpoint: http://127.0.0.1:{listener.getsockname()[1]}\n"
                      "    token: slow-token-abcdef\n")
    config.chmod(0o600)
    proc = _start(["eo", "get", "1", "2", "--config", str(config)])
    try:
        time.sleep(1.0)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
    finally:
        listener.close()
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
