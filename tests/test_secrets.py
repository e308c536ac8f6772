"""Where a secret comes from: $TASKCTL_TOKEN, then the file's `token`, then the OS keyring (a real backend)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import keyring
import pytest
from conftest import _reset_keyring, write_profiles

from taskctl.sandbox import SANDBOX_TOKEN

ENV_TOKEN = "tok-ENV-5d1c9e7a3b2f4068aa1e"
FILE_TOKEN = "tok-FILE-8c2e6a4f0d9b7135bb2f"
KEYRING_TOKEN = "tok-KEYRING-3f7b1d5e9a2c4860cc3d"
SECRETS = (ENV_TOKEN, FILE_TOKEN, KEYRING_TOKEN)


@pytest.fixture
def no_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    """A machine without any keyring backend."""
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    _reset_keyring()


def _profile(sandbox, name: str = "local", token: str | None = None) -> str:  # type: ignore[no-untyped-def]
    lines = [f"  {name}:", "    provider: eo", f"    endpoint: {sandbox.endpoint('eo')}", "    retries: 0"]
    if token:
        lines.append(f"    token: {token}")
    return "profiles:\n" + "\n".join(lines) + "\n"


def _assert_no_secret(*texts: str) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in text


def _sent(sandbox) -> str:  # type: ignore[no-untyped-def]
    return sandbox.requests_seen[-1].headers["Authorization"]


@pytest.mark.parametrize("right", ["env", "file", "keyring"])
def test_env_beats_file_beats_keyring(cli, sandbox, profiles_file: Path, monkeypatch, right: str) -> None:
    """Only the highest-ranked source present holds the sandbox token; the others hold decoys."""
    values = {"env": ENV_TOKEN, "file": FILE_TOKEN, "keyring": KEYRING_TOKEN, right: SANDBOX_TOKEN}
    keyring.set_password("taskctl", "local", values["keyring"])
    if right in ("env", "file"):
        write_profiles(profiles_file, _profile(sandbox, token=values["file"]))
    else:
        write_profiles(profiles_file, _profile(sandbox))
    if right == "env":
        monkeypatch.setenv("TASKCTL_TOKEN", values["env"])
    result = cli("eo", "get", "702", "--json")
    assert result.exit_code == 0, result.stderr
    assert _sent(sandbox) == SANDBOX_TOKEN
    _assert_no_secret(result.stdout, result.stderr)


def test_env_token_is_sent_even_when_wrong(cli, sandbox, profiles_file: Path, monkeypatch) -> None:
    write_profiles(profiles_file, _profile(sandbox, token=SANDBOX_TOKEN))
    monkeypatch.setenv("TASKCTL_TOKEN", ENV_TOKEN)
    result = cli("eo", "get", "702")
    assert result.exit_code == 4
    assert _sent(sandbox) == ENV_TOKEN
    _assert_no_secret(result.stdout, result.stderr)


def test_file_token_beats_keyring(cli, sandbox, profiles_file: Path) -> None:
    keyring.set_password("taskctl", "local", KEYRING_TOKEN)
    write_profiles(profiles_file, _profile(sandbox, token=FILE_TOKEN))
    result = cli("eo", "get", "702")
    assert result.exit_code == 4
    assert _sent(sandbox) == FILE_TOKEN
    _assert_no_secret(result.stdout, result.stderr)


def test_keyring_lookup_uses_service_taskctl_and_the_profile_name(cli, sandbox, profiles_file: Path) -> None:
    write_profiles(profiles_file, _profile(sandbox, "eo-prod"))
    keyring.set_password("taskctl", "other", SANDBOX_TOKEN)
    keyring.set_password("not-taskctl", "eo-prod", SANDBOX_TOKEN)
    assert cli("eo", "get", "702").exit_code == 6
    keyring.set_password("taskctl", "eo-prod", SANDBOX_TOKEN)
    result = cli("eo", "get", "702", "--json")
    assert result.exit_code == 0, result.stderr
    assert _sent(sandbox) == SANDBOX_TOKEN


def test_the_keyring_in_use_is_the_isolated_file(isolated_env: Path) -> None:
    """Guard for every other keyring test: they write to the tmp XDG_DATA_HOME, not the developer's keyring."""
    keyring.set_password("taskctl", "guard", KEYRING_TOKEN)
    stored = list(Path(os.environ["XDG_DATA_HOME"]).rglob("*.cfg"))
    assert stored and all(str(path).startswith(str(isolated_env)) for path in stored)
    assert "[taskctl]" in stored[0].read_text()


def test_missing_secret_is_a_config_error_naming_the_profile(cli, sandbox, profiles_file: Path) -> None:
    write_profiles(profiles_file, _profile(sandbox, "eo-prod"))
    result = cli("eo", "get", "702")
    assert result.exit_code == 6
    assert result.stdout == ""
    assert "no token for profile 'eo-prod'" in result.stderr
    assert "taskctl auth login eo-prod" in result.stderr
    assert "TASKCTL_TOKEN" in result.stderr
    assert not sandbox.requests_seen
    assert len(result.stderr.splitlines()) == 2


def test_missing_secret_without_keyring_says_so(cli, sandbox, profiles_file: Path, no_keyring) -> None:
    write_profiles(profiles_file, _profile(sandbox, "eo-prod"))
    result = cli("eo", "get", "702")
    assert result.exit_code == 6
    assert "no token for profile 'eo-prod'" in result.stderr
    assert "no OS keyring" in result.stderr
    assert "TASKCTL_TOKEN" in result.stderr
    assert "token:" in result.stderr and str(profiles_file) in result.stderr
    assert "Traceback" not in result.stderr
    assert not sandbox.requests_seen


@pytest.mark.parametrize("source", ["env", "file"])
def test_without_keyring_env_and_file_tokens_still_work(cli, sandbox, profiles_file: Path, monkeypatch,
                                                        no_keyring, source: str) -> None:
    if source == "env":
        write_profiles(profiles_file, _profile(sandbox))
        monkeypatch.setenv("TASKCTL_TOKEN", SANDBOX_TOKEN)
    else:
        write_profiles(profiles_file, _profile(sandbox, token=SANDBOX_TOKEN))
    result = cli("eo", "get", "702", "--json")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""


def test_builtin_sandbox_needs_no_secret_and_ignores_env_token(cli, monkeypatch, no_keyring) -> None:
    monkeypatch.setenv("TASKCTL_TOKEN", ENV_TOKEN)
    result = cli("eo", "get", "702", "--profile", "sandbox", "--json")
    assert result.exit_code == 0, result.stderr
    _assert_no_secret(result.stdout, result.stderr)


def test_refused_secret_is_never_printed_even_with_debug(cli, sandbox, profiles_file: Path) -> None:
    write_profiles(profiles_file, _profile(sandbox, token=FILE_TOKEN))
    result = cli("eo", "get", "702", "--debug")
    assert result.exit_code == 4
    assert "Traceback" not in result.stdout
    _assert_no_secret(result.stdout, result.stderr)


def test_secret_key_of_an_aksk_profile_comes_from_env_or_keyring_user_with_suffix(
        cli, profiles_file: Path, monkeypatch) -> None:
    """An AK/SK profile's secret key: $TASKCTL_SECRET_KEY, else keyring user `<profile>:secret_key`."""
    write_profiles(profiles_file, "profiles:\n  ma:\n    provider: modelarts\n"
                                  "    endpoint: https://modelarts.example.com\n    project_id: p\n"
                                  "    access_key: AKIDEXAMPLE\n")
    keyring.set_password("taskctl", "ma", KEYRING_TOKEN)  # a plain token entry is not the secret key
    result = cli("profile", "show", "ma")
    assert re.search(r"^secret_key\s+\(none\)", result.stdout, re.M), result.stdout
    keyring.set_password("taskctl", "ma:secret_key", "sk-" + KEYRING_TOKEN)
    result = cli("profile", "show", "ma")
    assert result.exit_code == 0
    assert re.search(r"^secret_key\s+\*\*\*\*\w{4}\s+keyring", result.stdout, re.M), result.stdout
    monkeypatch.setenv("TASKCTL_SECRET_KEY", ENV_TOKEN)
    result = cli("profile", "show", "ma")
    assert "env TASKCTL_SECRET_KEY" in result.stdout
    _assert_no_secret(result.stdout, result.stderr)
