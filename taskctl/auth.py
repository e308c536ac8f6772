"""`auth login | logout | status`: put a profile's secret in the OS keyring, remove it, report on all."""

from __future__ import annotations

import sys

from taskctl.config import SANDBOX_PROFILE, Profile
from taskctl.context import AppContext
from taskctl.errors import ConfigError, ExitCode, UsageError
from taskctl.secrets import KeyringUnavailable, keyring_user


def _profile(app: AppContext, name: str) -> Profile:
    profile = app.profiles.profiles.get(name)
    if profile is None:
        if name == SANDBOX_PROFILE:
            raise UsageError("the built-in sandbox profile needs no secret")
        raise UsageError(f"unknown profile '{name}'", f"known profiles: {', '.join(app.profiles.profiles) or 'none'}"
                         f" (file: {app.profiles.path})")
    return profile


def _secret_kind(profile: Profile) -> str:
    return "secret_key" if profile.access_key else "token"


def login(app: AppContext, name: str) -> None:
    profile = _profile(app, name)
    kind = _secret_kind(profile)
    label = "secret key" if kind == "secret_key" else "token"
    value = _read_secret(app, f"{label.capitalize()} for {name}: ")
    if not value:
        raise UsageError(f"no {label} given; nothing stored")
    try:
        app.secrets.keyring_set(keyring_user(name, kind), value)
    except KeyringUnavailable as exc:
        raise ConfigError(f"cannot store the {label}: {exc}",
                          f"set $TASKCTL_TOKEN instead, or add `token:` to profile '{name}' "
                          f"in {profile.source} (chmod 600)") from None
    app.stderr.write(f"taskctl: stored the {label} of '{name}' in the OS keyring\n")


def _read_secret(app: AppContext, prompt: str) -> str:
    if sys.stdin is not None and sys.stdin.isatty():
        import getpass

        return getpass.getpass(prompt, stream=app.stderr).strip()
    line = sys.stdin.readline() if sys.stdin is not None else ""
    return line.strip()


def logout(app: AppContext, name: str) -> None:
    profile = _profile(app, name)
    kind = _secret_kind(profile)
    try:
        removed = app.secrets.keyring_delete(keyring_user(name, kind))
    except KeyringUnavailable as exc:
        raise ConfigError(f"cannot reach the OS keyring: {exc}") from None
    message = "removed the secret of" if removed else "no secret stored in the keyring for"
    app.stderr.write(f"taskctl: {message} '{name}'\n")


def status(app: AppContext) -> ExitCode:
    """One line per profile; exit 6 when some profile has no secret anywhere."""
    from rich.table import Table

    from taskctl.render.safe import safe_text

    try:
        keyring_line = f"keyring: {app.secrets.keyring_backend_name()}"
    except KeyringUnavailable as exc:
        keyring_line = f"keyring: unavailable ({exc}); use $TASKCTL_TOKEN or `token:` in the profiles file"
    table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
    for column in ("PROFILE", "PROVIDER", "SECRET", "FROM"):
        table.add_column(column, overflow="fold")
    missing = 0
    for profile in app.profiles.profiles.values():
        secret = app.secrets.find(profile)
        if secret is None:
            missing += 1
        table.add_row(safe_text(profile.name), profile.provider, secret.masked() if secret else "(none)",
                      safe_text(secret.source) if secret else f"run: taskctl auth login {profile.name}")
    app.flush_config_warnings()
    console = app.stdout_console()
    if app.profiles.profiles:
        console.print(table)
    else:
        console.print(f"no profiles in {app.profiles.path}")
    console.print(keyring_line)
    return ExitCode.CONFIG if missing else ExitCode.OK
