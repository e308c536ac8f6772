"""The real Secret Service keyring, as Linux desktop users have it: gnome-keyring in a private D-Bus session.

Each command runs the installed `taskctl` console script under its own `dbus-run-session`, with a
gnome-keyring-daemon started inside that session: either unlocked with a password (the login keyring is created
on first use and kept on disk under $XDG_DATA_HOME/keyrings, so later sessions find what earlier ones stored), or
started without it, so that the collection stays locked. HOME, the XDG directories and the daemon's runtime
directory are all in tmp_path, and every session has its own bus: parallel runs share nothing.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from taskctl.sandbox import SANDBOX_TOKEN

TOOLS = ("dbus-run-session", "gnome-keyring-daemon")
MISSING = [tool for tool in TOOLS if shutil.which(tool) is None]
TASKCTL = Path(sys.executable).parent / "taskctl"
LABEL = "the Secret Service keyring (GNOME Keyring, KWallet)"

pytestmark = [
    pytest.mark.skipif(sys.platform != "linux", reason="the Secret Service is a Linux desktop keyring"),
    pytest.mark.skipif(bool(MISSING), reason=f"{', '.join(MISSING)} not installed "
                       "(apt-get install gnome-keyring dbus-daemon dbus-x11)"),
    pytest.mark.skipif(not TASKCTL.exists(), reason=f"no installed taskctl console script at {TASKCTL}"),
    pytest.mark.skipif(importlib.util.find_spec("secretstorage") is None,
                       reason="SecretStorage (installed with keyring on Linux) is missing"),
]

# Run inside the D-Bus session: start the keyring daemon, then the command with its output in files (so that
# nothing the bus starts, such as a prompter, can hold our pipes open after the command is done).
SESSION_SCRIPT = """\
mode=$1; out=$2; err=$3; shift 3
if [ "$mode" = unlocked ]; then
    printf %s "$KEYRING_PASSWORD" |
        gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>>"$KEYRING_LOG" || exit 97
else
    gnome-keyring-daemon --start --components=secrets </dev/null >/dev/null 2>>"$KEYRING_LOG" || exit 97
fi
exec "$@" >"$out" 2>"$err"
"""
# A prompter that never answers: what a desktop user's unlock dialog is to a command waiting for it.
SILENT_PROMPTER = "[D-BUS Service]\nName=org.gnome.keyring.SystemPrompter\nExec=/bin/sleep 5\n"


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str
    seconds: float


@dataclass
class Desktop:
    root: Path

    def env(self, extra: dict[str, str | None] | None) -> dict[str, str]:
        """The session's environment; a key of ``extra`` set to None is left out."""
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "TZ": "UTC", "COLUMNS": "200",
            "HOME": str(self.root / "home"), "XDG_CONFIG_HOME": str(self.root / "home" / ".config"),
            "XDG_DATA_HOME": str(self.root / "home" / ".local" / "share"),
            "XDG_RUNTIME_DIR": str(self.root / "run"), "KEYRING_PASSWORD": "desktop-login-password",
            "KEYRING_LOG": str(self.root / "keyring.log"),
            "PYTHON_KEYRING_BACKEND": "keyring.backends.SecretService.Keyring",
        }
        merged = {**env, **(extra or {})}
        return {key: value for key, value in merged.items() if value is not None}

    def run(self, *args: str, locked: bool = False, input: str = "",
            env: dict[str, str | None] | None = None) -> Run:
        out, err, log = self.root / "stdout", self.root / "stderr", self.root / "dbus.log"
        command = ["dbus-run-session", "--", "sh", str(self.root / "session.sh"),
                   "locked" if locked else "unlocked", str(out), str(err), str(TASKCTL), *args]
        started = time.monotonic()
        with log.open("ab") as bus_output:
            process = subprocess.Popen(command, env=self.env(env), stdin=subprocess.PIPE, stdout=bus_output,
                                       stderr=bus_output, start_new_session=True)
            try:
                process.communicate(input.encode(), timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                raise AssertionError(f"taskctl {' '.join(args)} did not end within 60 s") from None
        assert process.returncode != 97, f"gnome-keyring did not start: {(self.root / 'keyring.log').read_text()}"
        return Run(process.returncode, out.read_text(), err.read_text(), time.monotonic() - started)

    def keyring_files(self) -> list[Path]:
        return sorted((self.root / "home" / ".local" / "share" / "keyrings").glob("*.keyring"))


@pytest.fixture
def desktop(tmp_path: Path, sandbox) -> Desktop:  # type: ignore[no-untyped-def]
    root = tmp_path / "desktop"
    (root / "home" / ".config" / "taskctl").mkdir(parents=True)
    (root / "run").mkdir(mode=0o700)
    (root / "session.sh").write_text(SESSION_SCRIPT)
    profiles = root / "home" / ".config" / "taskctl" / "profiles.yaml"
    profiles.write_text(f"profiles:\n  desk:\n    provider: eo\n    endpoint: {sandbox.endpoint('eo')}\n"
                        "    retries: 0\n")
    profiles.chmod(0o600)
    return Desktop(root)


def _no_token_anywhere(*runs: Run) -> None:
    for run in runs:
        assert SANDBOX_TOKEN not in run.stdout + run.stderr
        assert "Traceback" not in run.stderr and "internal error" not in run.stderr


def test_login_get_status_logout_with_an_unlocked_keyring(desktop: Desktop, sandbox) -> None:
    before = desktop.run("eo", "get", "702", "--profile", "desk")
    assert before.exit_code == 6, before.stderr
    assert "no token for profile 'desk'" in before.stderr
    assert "taskctl auth login desk" in before.stderr

    login = desktop.run("auth", "login", "desk", input=SANDBOX_TOKEN + "\n")
    assert login.exit_code == 0, login.stderr
    assert login.stderr == f"taskctl: stored the token of 'desk' in {LABEL}\n"
    stored = desktop.keyring_files()
    assert stored, "gnome-keyring wrote no keyring file under $XDG_DATA_HOME/keyrings"
    assert all(SANDBOX_TOKEN.encode() not in path.read_bytes() for path in stored)  # encrypted at rest

    got = desktop.run("eo", "get", "702", "--profile", "desk", "--json")
    assert got.exit_code == 0, got.stderr
    assert json.loads(got.stdout)["id"] == 702
    assert sandbox.requests_seen[-1].headers["Authorization"] == SANDBOX_TOKEN

    status = desktop.run("auth", "status")
    assert status.exit_code == 0, status.stdout + status.stderr
    row = next(line for line in status.stdout.splitlines() if line.startswith("desk "))
    assert "****oken" in row and row.rstrip().endswith("keyring")
    assert f"keyring: {LABEL}; backend keyring.backends.SecretService.Keyring" in status.stdout

    logout = desktop.run("auth", "logout", "desk")
    assert logout.exit_code == 0, logout.stderr
    assert logout.stderr == f"taskctl: removed the token of 'desk' from {LABEL}\n"
    after = desktop.run("eo", "get", "702", "--profile", "desk")
    assert after.exit_code == 6
    assert "no token for profile 'desk'" in after.stderr
    _no_token_anywhere(before, login, got, status, logout, after)


def _assert_says_locked(run: Run) -> None:
    assert run.exit_code == 6, (run.stdout, run.stderr)
    assert f"{LABEL} is locked" in run.stderr
    assert "unlock it" in run.stderr and "$TASKCTL_TOKEN" in run.stderr
    assert "no token" not in run.stderr
    assert run.seconds < 30


def test_a_locked_keyring_says_so_quickly_instead_of_no_token(desktop: Desktop, sandbox) -> None:
    assert desktop.run("auth", "login", "desk", input=SANDBOX_TOKEN + "\n").exit_code == 0
    seen = len(sandbox.requests_seen)

    got = desktop.run("eo", "get", "702", "--profile", "desk", locked=True)
    _assert_says_locked(got)
    assert len(sandbox.requests_seen) == seen

    status = desktop.run("auth", "status", locked=True)
    _assert_says_locked(status)
    assert "keyring locked: unlock it, or set $TASKCTL_TOKEN" in status.stdout

    show = desktop.run("profile", "show", "desk", locked=True)
    _assert_says_locked(show)
    login = desktop.run("auth", "login", "desk", locked=True, input=SANDBOX_TOKEN + "\n")
    _assert_says_locked(login)
    logout = desktop.run("auth", "logout", "desk", locked=True)
    _assert_says_locked(logout)

    with_env = desktop.run("eo", "get", "702", "--profile", "desk", "--json", locked=True,
                           env={"TASKCTL_TOKEN": SANDBOX_TOKEN})
    assert with_env.exit_code == 0, with_env.stderr
    assert desktop.run("eo", "get", "702", "--profile", "desk").exit_code == 0  # unlocked again: still there
    _no_token_anywhere(got, status, show, login, logout, with_env)


def test_an_unanswered_unlock_prompt_is_given_up_on(desktop: Desktop) -> None:
    """A desktop unlock dialog nobody answers: the command waits TASKCTL_KEYRING_TIMEOUT, then says what to do."""
    assert desktop.run("auth", "login", "desk", input=SANDBOX_TOKEN + "\n").exit_code == 0
    services = desktop.root / "home" / ".local" / "share" / "dbus-1" / "services"
    services.mkdir(parents=True)
    (services / "org.gnome.keyring.SystemPrompter.service").write_text(SILENT_PROMPTER)

    got = desktop.run("eo", "get", "702", "--profile", "desk", locked=True, env={"TASKCTL_KEYRING_TIMEOUT": "1"})
    assert got.exit_code == 6, got.stderr
    assert f"{LABEL} did not answer within 1 s" in got.stderr
    assert "unlock it" in got.stderr and "$TASKCTL_TOKEN" in got.stderr
    assert got.seconds < 4.5  # well before the silent prompter gives up (5 s)
    _no_token_anywhere(got)


def test_without_a_named_backend_the_session_bus_finds_the_secret_service(desktop: Desktop) -> None:
    """No $PYTHON_KEYRING_BACKEND: inside a D-Bus session (dbus-run-session sets $DBUS_SESSION_BUS_ADDRESS)
    taskctl's own detection picks the Secret Service, as keyring's would."""
    detected: dict[str, str | None] = {"PYTHON_KEYRING_BACKEND": None}
    login = desktop.run("auth", "login", "desk", input=SANDBOX_TOKEN + "\n", env=detected)
    assert login.exit_code == 0, login.stderr
    assert LABEL in login.stderr
    got = desktop.run("eo", "get", "702", "--json", "--profile", "desk", env=detected)
    assert got.exit_code == 0, got.stderr
    assert json.loads(got.stdout)["id"] == 702
    _no_token_anywhere(login, got)
