"""Shared fixtures: an isolated environment, the real Typer app, a running sandbox, scripted loopback servers.

Fixtures only: no test imports this file. Plain helpers are in the ``support`` package beside it.
"""

from __future__ import annotations

import contextlib
import functools
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import typer
import typer.main
import typer.testing
from support import refused_port, reset_keyring, write_profiles
from support.clock import FakeTime
from support.eo_http import profile_yaml
from support.loopback import LoopbackServer, read_until_closed
from typer.testing import CliRunner

from taskctl.cli.app import app
from taskctl.sandbox import RunningSandbox, start

ISOLATED_ENV_KEYS = ("TASKCTL_TOKEN", "TASKCTL_PROFILE", "TASKCTL_CONFIG", "TASKCTL_SECRET_KEY", "NO_COLOR",
                     "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy",
                     "NO_PROXY", "no_proxy", "TASKCTL_SECURITY_TOKEN", "TASKCTL_KDSTOKEN",
                     "TASKCTL_PASSWORD", "HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK", "HUAWEICLOUD_SDK_SECURITY_TOKEN",
                     "HUAWEICLOUD_SDK_PROJECT_ID", "HUAWEICLOUD_SDK_IAM_ENDPOINT")


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """``-n auto`` starts a worker more than the cores: many tests wait on a scripted server's deadline or a
    subprocess, and the extra worker takes the core they leave idle (on two cores: 3 workers 52-58 s, 2 workers
    71-73 s, 4 no faster than 3). ``-n logical`` and $PYTEST_XDIST_AUTO_NUM_WORKERS keep xdist's own count."""
    if config.option.numprocesses != "auto" or os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return cores + 1


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
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("TZ", "UTC")  # human views show local times
    time.tzset()
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("LINES", "24")
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")
    reset_keyring()
    return home


@pytest.fixture
def context_factory() -> Callable[..., object] | None:
    """How the CLI builds its AppContext (None: the real one). A test module overrides this fixture to run the
    CLI on, e.g., a fake clock (see cli.boundary.new_context)."""
    return None


@pytest.fixture
def fake_time() -> FakeTime:
    """A clock that moves only when slept on; a module runs the CLI on it by overriding ``context_factory``."""
    return FakeTime()


@pytest.fixture
def cli(context_factory: Callable[..., object] | None, monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """Run the real Typer app in-process: cli("eo", "get", "702", input=None) -> Result.

    Typer turns the app into its click command on every invocation, two thirds of the time of one; here each
    app's command is built once (the same declarations, and click keeps no state of a run in a command).
    """
    monkeypatch.setattr(typer.testing, "_get_command", _command_of)
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
        result = runner.invoke(app, list(args), input=input, env=env, catch_exceptions=False, obj=context_factory)
        return Result(result.exit_code, result.stdout, result.stderr)

    yield invoke


def _command_of(typer_app: typer.Typer) -> Any:
    """``typer.main.get_command``, built once per app and per the one variable it reads (completion's)."""
    return _built(typer_app, os.environ.get("_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION"))


@functools.cache
def _built(typer_app: typer.Typer, _shell_detection_off: str | None) -> Any:
    return typer.main.get_command(typer_app)


@pytest.fixture
def sandbox() -> Iterator[RunningSandbox]:
    running = start()
    yield running
    running.close()


@pytest.fixture
def session() -> Iterator[Any]:
    """A plain requests.Session for talking to the sandbox directly (no proxy from the environment)."""
    import requests

    with requests.Session() as plain:
        plain.trust_env = False
        yield plain


@pytest.fixture
def profiles_file(isolated_env: Path) -> Path:
    return isolated_env / ".config" / "taskctl" / "profiles.yaml"


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A loopback port where connections are refused for the whole test (see ``refused_port``)."""
    with refused_port() as port:
        yield port


@pytest.fixture
def serve() -> Iterator[Callable[..., LoopbackServer]]:
    """serve(script or Reply, tls=None) starts a scripted HTTP server on 127.0.0.1, closed after the test."""
    with _servers() as started:
        yield lambda script, **options: started(LoopbackServer(script, **options))


@pytest.fixture
def raw() -> Iterator[Callable[..., LoopbackServer]]:
    """raw(host="127.0.0.1", handler=read_until_closed) starts a raw socket server, closed after the test."""
    with _servers() as started:
        yield lambda host="127.0.0.1", handler=None: started(
            LoopbackServer(handler=handler or read_until_closed, host=host))


@contextlib.contextmanager
def _servers() -> Iterator[Callable[[LoopbackServer], LoopbackServer]]:
    servers: list[LoopbackServer] = []

    def started(server: LoopbackServer) -> LoopbackServer:
        servers.append(server)
        return server

    try:
        yield started
    finally:
        for server in servers:
            server.close()
    errors = [error for server in servers for error in server.errors]
    assert not errors, f"a loopback server's script raised: {errors!r}"


@pytest.fixture
def use(profiles_file: Path) -> Callable[..., None]:
    """use(endpoint, retries=1, extra="...") writes the only eo profile, pointing at endpoint."""

    def write(endpoint: str, **kwargs: Any) -> None:
        write_profiles(profiles_file, profile_yaml(endpoint, **kwargs))

    return write
