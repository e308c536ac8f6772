"""`auth login | logout | status`: put a profile's secret in the OS keyring, remove it, report on all."""

from __future__ import annotations

import sys

from taskctl.config import SANDBOX_PROFILE, Profile
from taskctl.context import AppContext
from taskctl.errors import ConfigError, ExitCode, UsageError
from taskctl.secrets import SECRET_KEY_ENV, TOKEN_ENV, KeyringUnavailable, keyring_user, secret_kind, secret_label


def _profile(app: AppContext, name: str) -> Profile:
    profile = app.profiles.profiles.get(name)
    if profile is None:
        if name == SANDBOX_PROFILE:
            raise UsageError("the built-in sandbox profile needs no secret")
        raise UsageError(f"unknown profile '{name}'", f"known profiles: {', '.join(app.profiles.profiles) or 'none'}"
                         f" (file: {app.profiles.path})")
    return profile


def _no_keyring_hint(profile: Profile) -> str:
    if secret_kind(profile) == "secret_key":
        return f"set ${SECRET_KEY_ENV} instead"
    return f"set ${TOKEN_ENV} instead, or add `token:` to profile '{profile.name}' in {profile.source} (chmod 600)"


def login(app: AppContext, name: str) -> None:
    profile = _profile(app, name)
    kind = secret_kind(profile)
    label = secret_label(kind)
    try:
        app.secrets.keyring_backend_name()  # before asking for a secret it could not keep
        value = _read_secret(app, f"{label.capitalize()} for {name}: ")
        if not value:
            raise UsageError(f"no {label} given; nothing stored", f"type or pipe the {label} on standard input")
        app.redact.add(value)
        app.secrets.keyring_set(keyring_user(name, kind), value)
    except KeyringUnavailable as exc:
        raise ConfigError(f"cannot store the {label}: {exc}", _no_keyring_hint(profile)) from None
    app.stderr.write(f"taskctl: stored the {label} of '{name}' in the OS keyring\n")
    shadow = f"${TOKEN_ENV}" if app.environ.get(TOKEN_ENV) else (
        f"the `token:` in {profile.source}" if profile.token else None)
    if shadow:
        app.warn(f"{shadow} takes precedence over the keyring for '{name}'")


def _read_secret(app: AppContext, prompt: str) -> str:
    if sys.stdin is not None and sys.stdin.isatty():
        import getpass

        try:
            return getpass.getpass(prompt, stream=app.stderr).strip()
        except EOFError:  # Ctrl-D at the prompt: nothing given
            return ""
    line = sys.stdin.readline() if sys.stdin is not None else ""
    return line.strip()


def logout(app: AppContext, name: str) -> None:
    profile = _profile(app, name)
    kind = secret_kind(profile)
    try:
        removed = app.secrets.keyring_delete(keyring_user(name, kind))
    except KeyringUnavailable as exc:
        raise ConfigError(f"cannot reach the OS keyring: {exc}",
                          "`taskctl auth status` shows which keyring backend is in use") from None
    message = "removed the secret of" if removed else "no secret stored in the keyring for"
    app.stderr.write(f"taskctl: {message} '{name}'\n")


def status(app: AppContext) -> ExitCode:
    """One line per profile; exit 6 when some profile has no secret anywhere."""
    from rich.table import Table

    from taskctl.profiles_view import display_source
    from taskctl.render.safe import inert, safe_text

    remedy = "run: taskctl auth login {name}"
    try:
        keyring_line = f"keyring: {app.secrets.keyring_backend_name()}"
    except KeyringUnavailable as exc:
        keyring_line = f"keyring: unavailable ({exc}); use $TASKCTL_TOKEN or `token:` in the profiles file"
        remedy = "set $TASKCTL_TOKEN (no keyring here)"
    table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
    for column in ("PROFILE", "PROVIDER", "KIND", "SECRET", "FROM"):
        table.add_column(column, overflow="fold")
    missing = 0
    for profile in app.profiles.profiles.values():
        secret = app.secrets.find(profile)
        if secret is None:
            missing += 1
        label = secret_label(secret.kind if secret else secret_kind(profile))
        source = display_source(secret, profile) if secret else remedy.format(name=profile.name)
        table.add_row(safe_text(profile.name), profile.provider, label,
                      secret.masked() if secret else "(none)", safe_text(source))
    app.flush_config_warnings()
    console = app.stdout_console()
    if app.profiles.profiles:
        console.print(table)
        app.stdout.write(f"file: {inert(str(app.profiles.path))}\n")
    else:
        app.stdout.write(f"no profiles in {inert(str(app.profiles.path))}\n")
    app.stdout.write(keyring_line + "\n")
    return ExitCode.CONFIG if missing else ExitCode.OK
