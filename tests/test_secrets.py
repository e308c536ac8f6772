"""Where a secret comes from: $TASKCTL_TOKEN, then the file's `token`, then the OS keyring (a real backend)."""

from __future__ import annotations

import os
import re
import threading
import time
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.compat import properties
from support import reset_keyring, write_profiles

from taskctl.sandbox import SANDBOX_TOKEN

ENV_TOKEN = "tok-ENV-5d1c9e7a3b2f4068aa1e"
FILE_TOKEN = "tok-FILE-8c2e6a4f0d9b7135bb2f"
KEYRING_TOKEN = "tok-KEYRING-3f7b1d5e9a2c4860cc3d"
LOGIN_TOKEN = "tok-LOGIN-6e5d4c3b2a19f8e7"
SECRETS = (ENV_TOKEN, FILE_TOKEN, KEYRING_TOKEN)


@pytest.fixture
def no_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    """A machine without any keyring backend."""
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    reset_keyring()


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


# --- hostile and broken keyring backends ----------------------------------------------------------------------
# Real keyring backends, selected by name through PYTHON_KEYRING_BACKEND=test_secrets.<Class> as a user would.
# Each is viable only when named that way, so keyring's own detection never picks one up in another test.

MARK = "tok-MARK-0c9d8e7f6a5b"  # what a hostile backend puts in its exception texts
RELEASE = threading.Event()  # lets a hanging backend's worker thread end once its test is over


class _Hostile(KeyringBackend):
    @properties.classproperty
    def priority(cls) -> float:
        if os.environ.get("PYTHON_KEYRING_BACKEND", "").rpartition(".")[2] != cls.__name__:
            raise RuntimeError("only when named by PYTHON_KEYRING_BACKEND")
        return 1

    def get_password(self, service: str, username: str) -> str | None:
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        pass

    def delete_password(self, service: str, username: str) -> None:
        pass


class RaisesValueError(_Hostile):
    def get_password(self, service: str, username: str) -> str | None:
        raise ValueError(f"cannot decode {MARK}")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise ValueError(f"cannot keep {password}")

    def delete_password(self, service: str, username: str) -> None:
        raise ValueError(f"cannot drop {MARK}")


class BackendBoom(Exception):
    pass


class RaisesCustom(RaisesValueError):
    def get_password(self, service: str, username: str) -> str | None:
        raise BackendBoom(MARK)

    def set_password(self, service: str, username: str, password: str) -> None:
        raise BackendBoom(password)

    def delete_password(self, service: str, username: str) -> None:
        raise BackendBoom(MARK)


class ReturnsBytes(_Hostile):
    def get_password(self, service: str, username: str) -> str | None:
        return MARK.encode()  # type: ignore[return-value]


class ReturnsNumber(_Hostile):
    def get_password(self, service: str, username: str) -> str | None:
        return 918273645546372819  # type: ignore[return-value]


class ReturnsControlCharacters(_Hostile):
    def get_password(self, service: str, username: str) -> str | None:
        return f"{MARK}\r\nX-Injected: 1"


class ReturnsHuge(_Hostile):
    def get_password(self, service: str, username: str) -> str | None:
        return MARK * 100_000


class Hangs(_Hostile):
    def get_password(self, service: str, username: str) -> str | None:
        RELEASE.wait(60)
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        RELEASE.wait(60)

    def delete_password(self, service: str, username: str) -> None:
        RELEASE.wait(60)


class KeepsNothing(_Hostile):
    """set_password succeeds and stores nothing."""


class Unviable(_Hostile):
    @properties.classproperty
    def priority(cls) -> float:
        raise RuntimeError("this backend needs a daemon that is not running")


class NotABackend:
    priority = 1


@pytest.fixture
def backend(monkeypatch: pytest.MonkeyPatch, sandbox, profiles_file: Path):  # type: ignore[no-untyped-def]
    """Select a backend by name; profile `local` (eo, the sandbox) with no token in the file."""
    write_profiles(profiles_file, _profile(sandbox))

    def use(name: str) -> None:
        monkeypatch.setenv("PYTHON_KEYRING_BACKEND", name)

    RELEASE.clear()
    yield use
    RELEASE.set()


def _assert_clean_keyring_error(result, *needles: str) -> None:  # type: ignore[no-untyped-def]
    assert result.exit_code == 6, (result.stdout, result.stderr)
    errors = [line for line in result.stderr.splitlines() if line.startswith("taskctl:")]
    assert len(errors) == 2, result.stderr
    for needle in needles:
        assert needle in result.stderr, (needle, result.stderr)
    for text in (result.stdout, result.stderr):
        assert MARK not in text and "MARK" not in text
        assert "internal error" not in text and "Traceback" not in text
    assert "TASKCTL_TOKEN" in errors[1]


BACKEND_HINT = "PYTHON_KEYRING_BACKEND: unset it"
MISBEHAVING = {
    "RaisesValueError": ("failed (ValueError)", BACKEND_HINT),
    "RaisesCustom": ("failed (test_secrets.BackendBoom)", BACKEND_HINT),
    "ReturnsBytes": ("returned a bytes value, not text", BACKEND_HINT),
    "ReturnsNumber": ("returned an int value, not text", BACKEND_HINT),
    "ReturnsControlCharacters": ("not a usable secret", "store it again: taskctl auth login local"),
    "ReturnsHuge": ("not a usable secret", "over 64 KiB"),
}
COMMANDS = {
    "get": ("eo", "get", "702", "--profile", "local"),
    "status": ("auth", "status"),
    "show": ("profile", "show", "local"),
    "login": ("auth", "login", "local"),
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("name", sorted(MISBEHAVING))
def test_a_misbehaving_backend_is_exit_6_naming_it(cli, sandbox, backend, name: str, command: str) -> None:
    backend(f"test_secrets.{name}")
    result = cli(*COMMANDS[command], input=LOGIN_TOKEN + "\n")
    _assert_clean_keyring_error(result, f"test_secrets.{name}", *MISBEHAVING[name])
    assert LOGIN_TOKEN not in result.stdout + result.stderr
    assert not sandbox.requests_seen


@pytest.mark.parametrize("name", ["RaisesValueError", "RaisesCustom"])
def test_logout_with_a_raising_backend_is_exit_6_naming_it(cli, backend, name: str) -> None:
    backend(f"test_secrets.{name}")
    result = cli("auth", "logout", "local")
    _assert_clean_keyring_error(result, f"test_secrets.{name}", "cannot remove the token of 'local'")


BAD_NAMES = {
    "no_such_module_4d2f.Keyring": "No module named 'no_such_module_4d2f'",
    "keyring.backends.NoSuchBackend": "has no attribute 'NoSuchBackend'",
    "keyring.backends.SecretService": "names a module, not a backend class",
    "test_secrets.NotABackend": "is not a keyring backend class",
    "test_secrets.Unviable": "needs a daemon that is not running",
    "Keyring": "is not a module.Class name",
    "": "is set but empty",
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("name", sorted(BAD_NAMES))
def test_a_bad_python_keyring_backend_is_exit_6_naming_the_variable(cli, sandbox, backend, name: str,
                                                                   command: str) -> None:
    """keyring itself raises ImportError, AttributeError or ValueError at first use (it does not warn)."""
    backend(name)
    result = cli(*COMMANDS[command], input=LOGIN_TOKEN + "\n")
    _assert_clean_keyring_error(result, "PYTHON_KEYRING_BACKEND", BAD_NAMES[name], "unset PYTHON_KEYRING_BACKEND")
    assert not sandbox.requests_seen


def test_a_broken_keyring_is_not_consulted_when_the_environment_has_the_token(cli, sandbox, backend,
                                                                             monkeypatch) -> None:
    backend("no_such_module_4d2f.Keyring")
    monkeypatch.setenv("TASKCTL_TOKEN", SANDBOX_TOKEN)
    result = cli("eo", "get", "702", "--profile", "local", "--json")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_hanging_backend_is_given_up_on(cli, sandbox, backend, monkeypatch, command: str) -> None:
    backend("test_secrets.Hangs")
    monkeypatch.setenv("TASKCTL_KEYRING_TIMEOUT", "0.3")
    started = time.monotonic()
    result = cli(*COMMANDS[command], input=LOGIN_TOKEN + "\n")
    assert time.monotonic() - started < 5
    _assert_clean_keyring_error(result, "test_secrets.Hangs did not answer within 0.3 s", "TASKCTL_KEYRING_TIMEOUT")


def test_a_hanging_backend_costs_one_timeout_not_one_per_profile(cli, backend, profiles_file: Path,
                                                                 monkeypatch) -> None:
    write_profiles(profiles_file, "profiles:\n" + "".join(
        f"  p{i}:\n    provider: eo\n    endpoint: https://eo.example.com\n" for i in range(10)))
    backend("test_secrets.Hangs")
    monkeypatch.setenv("TASKCTL_KEYRING_TIMEOUT", "0.3")
    started = time.monotonic()
    result = cli("auth", "status")
    assert time.monotonic() - started < 2
    assert result.exit_code == 6
    assert result.stdout.count("(unknown)") == 10


@pytest.mark.parametrize("value", ["soon", "0", "-1", "nan", "inf"])
def test_a_bad_keyring_timeout_is_exit_6_naming_the_variable(cli, backend, monkeypatch, value: str) -> None:
    backend("keyrings.alt.file.PlaintextKeyring")
    monkeypatch.setenv("TASKCTL_KEYRING_TIMEOUT", value)
    result = cli("eo", "get", "702", "--profile", "local")
    assert result.exit_code == 6
    assert "$TASKCTL_KEYRING_TIMEOUT must be a positive number of seconds" in result.stderr


def test_a_backend_that_keeps_nothing_is_not_reported_as_storing(cli, backend) -> None:
    backend("test_secrets.KeepsNothing")
    result = cli("auth", "login", "local", input=LOGIN_TOKEN + "\n")
    _assert_clean_keyring_error(result, "did not keep the secret")
    assert "stored" not in result.stderr.replace("store the", "")


def test_the_null_backend_is_no_keyring(cli, backend) -> None:
    backend("keyring.backends.null.Keyring")
    result = cli("auth", "login", "local", input=LOGIN_TOKEN + "\n")
    assert result.exit_code == 6
    assert "the keyring is disabled (keyring.backends.null.Keyring)" in result.stderr
    result = cli("eo", "get", "702", "--profile", "local")
    assert result.exit_code == 6
    assert "no token for profile 'local'" in result.stderr


def test_a_plain_file_backend_is_named_as_such_never_os_keyring(cli, backend) -> None:
    backend("keyrings.alt.file.PlaintextKeyring")
    where = "keyrings.alt PlaintextKeyring (a plain file: ~/.local/share/python_keyring/keyring_pass.cfg)"
    login = cli("auth", "login", "local", input=LOGIN_TOKEN + "\n")
    assert login.exit_code == 0, login.stderr
    assert login.stderr == f"taskctl: stored the token of 'local' in {where}\n"
    status = cli("auth", "status")
    assert f"keyring: {where}; backend keyrings.alt.file.PlaintextKeyring" in status.stdout
    logout = cli("auth", "logout", "local")
    assert logout.stderr == f"taskctl: removed the token of 'local' from {where}\n"
    for result in (login, status, logout):
        assert "OS keyring" not in result.stdout + result.stderr


def test_a_token_with_a_line_break_is_refused_by_login(cli, backend) -> None:
    backend("keyrings.alt.file.PlaintextKeyring")
    result = cli("auth", "login", "local", input=LOGIN_TOKEN + "\x1b[2J\n")
    assert result.exit_code == 2
    assert "nothing stored" in result.stderr
    assert keyring.get_password("taskctl", "local") is None
    assert LOGIN_TOKEN not in result.stderr


def test_on_linux_the_keyring_is_found_without_asking_every_backend(tmp_path: Path) -> None:
    """No $PYTHON_KEYRING_BACKEND and no keyringrc.cfg: the Secret Service if it answers, else keyrings.alt,
    and never keyring's macOS backend, whose viability check runs ldconfig, gcc and ld."""
    import subprocess
    import sys

    if not sys.platform.startswith("linux"):
        pytest.skip("the Linux detection")
    code = ("import sys\n"
            "from taskctl.secrets import SecretResolver\n"
            "backend = SecretResolver({}).backend()\n"
            "print(backend.name, 'keyring.backends.macOS' in sys.modules, 'ctypes.util' in sys.modules,\n"
            "      'secretstorage' in sys.modules)\n")
    env = {key: value for key, value in os.environ.items()
           if key not in ("PYTHON_KEYRING_BACKEND", "DBUS_SESSION_BUS_ADDRESS")}
    env.update(XDG_DATA_HOME=str(tmp_path / "data"), XDG_CONFIG_HOME=str(tmp_path / "config"))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    # No session bus ($DBUS_SESSION_BUS_ADDRESS): the Secret Service cannot answer, and is not even imported.
    assert out.stdout.split() == ["keyrings.alt.file.PlaintextKeyring", "False", "False", "False"], out.stderr
