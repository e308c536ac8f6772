"""`auth login | logout | status`: put a profile's secret in the keyring, remove it, report on all.

Each verb has its frozen options and its run function; the secret typed or piped is read from ``app.stdin``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from taskctl.config import SANDBOX_PROFILE, Profile
from taskctl.errors import ConfigError, ExitCode, UsageError
from taskctl.headers import HEADER_TEXT
from taskctl.secrets import (
    TOKEN_ENV,
    Backend,
    KeyringLocked,
    KeyringUnavailable,
    NoKeyring,
    Secret,
    SecretResolver,
    is_usable_secret,
    keyring_user,
    secret_env,
    secret_kind,
    secret_label,
    with_remedy,
)

if TYPE_CHECKING:
    from taskctl.context import AppContext


@dataclass(frozen=True)
class LoginOptions:
    profile: str


@dataclass(frozen=True)
class LogoutOptions:
    profile: str


@dataclass(frozen=True)
class StatusOptions:
    pass


def _profile(app: AppContext, name: str) -> Profile:
    profile = app.profiles.profiles.get(name)
    if profile is None:
        if name == SANDBOX_PROFILE:
            raise UsageError("the built-in sandbox profile needs no secret")
        raise UsageError(f"unknown profile '{name}'", f"known profiles: {', '.join(app.profiles.profiles) or 'none'}"
                         f" (file: {app.profiles.path})")
    return profile


def _keyring_error(action: str, profile: Profile, error: KeyringUnavailable) -> ConfigError:
    """`cannot store the token of 'p': <why>`, and how to do without the keyring."""
    kind = secret_kind(profile)
    message = f"cannot {action} the {secret_label(kind)} of '{profile.name}': {error}"
    if not isinstance(error, NoKeyring):
        return ConfigError(message, with_remedy(error, secret_env(kind)))
    hint = f"set ${secret_env(kind)} instead"
    if kind == "token":
        hint += f", or add `token:` to profile '{profile.name}' in {profile.source} (chmod 600)"
    return ConfigError(message, hint)


def run_login(app: AppContext, options: LoginOptions) -> ExitCode:
    """Read the secret from ``app.stdin`` (prompted without echo on a terminal) and store it in the keyring."""
    name = options.profile
    profile = _profile(app, name)
    kind = secret_kind(profile)
    label = secret_label(kind)
    secrets = app.secrets
    try:
        secrets.backend()  # before asking for a secret it could not keep
        value = _read_secret(app, f"{label.capitalize()} for {name}: ")
        if not value:
            raise UsageError(f"no {label} given; nothing stored", f"type or pipe the {label} on standard input")
        app.redact.add(value)
        if not is_usable_secret(value):
            raise UsageError(f"the {label} must be {HEADER_TEXT}; nothing stored",
                             f"type or pipe the {label} alone")
        backend = secrets.keyring_set(keyring_user(name, kind), value)
    except KeyringUnavailable as exc:
        raise _keyring_error("store", profile, exc) from None
    app.stderr.write(f"taskctl: stored the {label} of '{name}' in {backend.label}\n")
    _forget_session(app, profile)  # a token got with the old password is not this password's
    shadow = f"${TOKEN_ENV}" if kind == "token" and app.environ.get(TOKEN_ENV) else (
        f"the `token:` in {profile.source}" if kind == "token" and profile.token else None)
    if shadow:
        app.warn(f"{shadow} takes precedence over the keyring for '{name}'")
    return ExitCode.OK


def _read_secret(app: AppContext, prompt: str) -> str:
    stdin = app.stdin
    if stdin is None:  # started with standard input closed
        return ""
    if app.is_terminal(stdin):
        import getpass

        try:
            return getpass.getpass(prompt, stream=app.stderr).strip()
        except EOFError:  # Ctrl-D at the prompt: nothing given
            return ""
    return stdin.readline(1024 * 1024).strip()


def run_logout(app: AppContext, options: LogoutOptions) -> ExitCode:
    name = options.profile
    profile = _profile(app, name)
    kind = secret_kind(profile)
    secrets = app.secrets
    _forget_session(app, profile)  # first: it may live in a file where there is no keyring
    try:
        removed = secrets.keyring_delete(keyring_user(name, kind))
        backend = secrets.backend()
    except KeyringUnavailable as exc:
        raise _keyring_error("remove", profile, exc) from None
    label = secret_label(kind)
    message = f"removed the {label} of '{name}' from" if removed else f"no {label} of '{name}' stored in"
    app.stderr.write(f"taskctl: {message} {backend.label}\n")
    return ExitCode.OK


def _forget_session(app: AppContext, profile: Profile) -> None:
    """The session token got with the profile's secret goes too (keyring or cache file)."""
    from taskctl.providers.base import session_tokens

    tokens = session_tokens(profile)
    if tokens is not None and tokens.forget(profile, app.environ):
        app.stderr.write(f"taskctl: removed the kept session token of '{profile.name}'\n")


def _session_lines(app: AppContext, profiles: list[Profile]) -> list[str]:
    """`session token of 'p': expires 2026-12-08 16:18 UTC (in 23h 59m)` for each profile that keeps one."""
    from taskctl.providers.base import session_tokens
    from taskctl.render.humanize import age

    lines = []
    for profile in profiles:
        tokens = session_tokens(profile)
        expires = tokens.expiry(profile, app.environ) if tokens is not None else None
        if expires is not None:
            lines.append(f"session token of '{profile.name}': expires {expires:%Y-%m-%d %H:%M} UTC "
                         f"({age(app.now() - expires)})")
    return lines


def run_status(app: AppContext, options: StatusOptions) -> ExitCode:
    """One line per profile; exit 6 when some profile has no secret anywhere, or the keyring fails."""
    from taskctl.commands.profile import display_source
    from taskctl.render.records import print_records
    from taskctl.render.safe import inert

    secrets = app.secrets
    backend, keyring_line, problem = _keyring_state(secrets)
    rows: list[list[str]] = []
    missing = 0
    for profile in app.profiles.profiles.values():
        secret, trouble = _lookup(secrets, profile)
        problem = problem or trouble
        if secret is None:
            missing += 1
        label = secret_label(secret.kind if secret else secret_kind(profile))
        source = display_source(secret, profile) if secret else _remedy_cell(profile, backend, trouble)
        rows.append([profile.name, profile.provider, label,
                     secret.masked() if secret else "(none)" if trouble is None else "(unknown)", source])
    app.flush_config_warnings()
    if app.profiles.profiles:
        print_records(app.stdout_console(), ("PROFILE", "PROVIDER", "KIND", "SECRET", "FROM"), rows)
        app.stdout.write(f"file: {inert(str(app.profiles.path))}\n")
        for line in _session_lines(app, list(app.profiles.profiles.values())):
            app.stdout.write(inert(line) + "\n")
    else:
        app.stdout.write(f"no profiles in {inert(str(app.profiles.path))}\n")
    app.stdout.write(inert(keyring_line) + "\n")
    if problem is not None:
        app.report(ConfigError(f"the keyring cannot be read: {problem}", with_remedy(problem, TOKEN_ENV)))
        return ExitCode.CONFIG
    return ExitCode.CONFIG if missing else ExitCode.OK


def _keyring_state(secrets: SecretResolver) -> tuple[Backend | None, str, KeyringUnavailable | None]:
    """The backend, the `keyring:` line, and the keyring's failure (no keyring at all is not one: env works)."""
    try:
        backend = secrets.backend()
    except NoKeyring as exc:
        return None, f"keyring: unavailable ({exc}); use ${TOKEN_ENV} or `token:` in the profiles file", None
    except KeyringUnavailable as exc:
        return None, "keyring: unusable (see below)", exc
    named = backend.name in backend.label
    return backend, f"keyring: {backend.label}" + ("" if named else f"; backend {backend.name}"), None


def _lookup(secrets: SecretResolver, profile: Profile) -> tuple[Secret | None, KeyringUnavailable | None]:
    try:
        return secrets.find(profile), None
    except KeyringUnavailable as exc:
        return None, exc


def _remedy_cell(profile: Profile, backend: Backend | None, trouble: KeyringUnavailable | None) -> str:
    if isinstance(trouble, KeyringLocked):
        return "keyring locked: unlock it, or set $" + secret_env(secret_kind(profile))
    if trouble is not None:
        return "keyring failed (see below)"
    if backend is None:
        return f"set ${secret_env(secret_kind(profile))} (no keyring here)"
    return f"run: taskctl auth login {profile.name}"
