"""Shared fixtures: an isolated environment, the real Typer app, and a running sandbox."""

from __future__ import annotations

import contextlib
import errno
import os
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from taskctl.cli.app import app
from taskctl.sandbox import SANDBOX_TOKEN, RunningSandbox, start

ISOLATED_ENV_KEYS = ("TASKCTL_TOKEN", "TASKCTL_PROFILE", "TASKCTL_CONFIG", "TASKCTL_SECRET_KEY", "NO_COLOR",
                     "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy",
                     "NO_PROXY", "no_proxy", "TASKCTL_SECURITY_TOKEN", "TASKCTL_KDSTOKEN")


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test sees the developer's profiles, keyring or colour settings."""
    for key in ISOLATED_ENV_KEYS:
        monkeypatch.delenv(key, raising=False)
    home = tmp_path / "home"
    (home / ".config").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("TZ", "UTC")  # human views show local times
    time.tzset()
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("LINES", "24")
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")
    _reset_keyring()
    return home


def _reset_keyring() -> None:
    """keyring caches its backend per process; make it re-read PYTHON_KEYRING_BACKEND."""
    import keyring.core

    keyring.core.set_keyring(keyring.core.load_env() or keyring.core.load_config() or keyring.core._detect_backend())


@pytest.fixture
def cli() -> Iterator[object]:
    """Run the real Typer app in-process: cli("eo", "get", "702", input=None) -> Result."""
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
        result = runner.invoke(app, list(args), input=input, env=env, catch_exceptions=False)
        return Result(result.exit_code, result.stdout, result.stderr)

    yield invoke


@pytest.fixture
def sandbox() -> Iterator[RunningSandbox]:
    running = start()
    yield running
    running.close()


@pytest.fixture
def profiles_file(isolated_env: Path) -> Path:
    return isolated_env / ".config" / "taskctl" / "profiles.yaml"


def write_profiles(path: Path, text: str, mode: int = 0o600) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    os.chmod(path, mode)
    return path


def sandbox_profile_yaml(sandbox: RunningSandbox, name: str = "local", extra: str = "") -> str:
    """A profile pointing at a running sandbox, token in the file, no retries (fast failing tests)."""
    lines = [f"  {name}:", "    provider: eo", f"    endpoint: {sandbox.endpoint('eo')}",
             f"    token: {SANDBOX_TOKEN}", "    retries: 0"]
    lines += ["    " + line for line in extra.splitlines() if line.strip()]
    return "profiles:\n" + "\n".join(lines) + "\n"


@contextlib.contextmanager
def refused_port() -> Iterator[int]:
    """A loopback port that refuses connections for as long as the block runs.

    The port stays bound without listen(): a connection to it is refused (the kernel answers with a reset),
    and no other process can take it meanwhile, as it could a port that was bound and closed again. Bound on
    127.0.0.1 and, where the host has IPv6, on the same port of ::1 too (for `localhost` and `[::1]`).
    """
    for _ in range(50):
        with contextlib.ExitStack() as held:
            ipv4 = held.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            ipv4.bind(("127.0.0.1", 0))
            port = ipv4.getsockname()[1]
            if _hold_ipv6(held, port):
                yield port
                return
    raise RuntimeError("no loopback port free on both 127.0.0.1 and ::1")


def _hold_ipv6(held: contextlib.ExitStack, port: int) -> bool:
    """Bind ::1 on ``port`` too; False when that port is taken there (pick another), True when bound or when
    the host has no IPv6 loopback (nothing to take the port there)."""
    try:
        ipv6 = held.enter_context(socket.socket(socket.AF_INET6, socket.SOCK_STREAM))
        ipv6.bind(("::1", port))
    except OSError as error:
        return error.errno != errno.EADDRINUSE
    return True


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A loopback port where connections are refused for the whole test (see ``refused_port``)."""
    with refused_port() as port:
        yield port
