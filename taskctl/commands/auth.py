"""`auth login | logout | status`: put a profile's secret in the keyring, remove it, report on all.

Each verb has its frozen options and its run function; the secret typed or piped is read from ``app.stdin``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from taskctl.config import SANDBOX_PROFILE, Profile, sandbox_profile
from taskctl.errors import ConfigError, ExitCode, UsageError
from taskctl.headers import HEADER_TEXT
from taskctl.providers.spec import SecretKind
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
    from taskctl.commands.auth_check import Check
    from taskctl.context import AppContext


@dataclass(frozen=True)
class LoginOptions:
    profile: str


@dataclass(frozen=True)
class LogoutOptions:
    profile: str


@dataclass(frozen=True)
class StatusOptions:
    names: tuple[str, ...] = ()  # none: every profile of the file
    as_json: bool = False
    check: bool = False  # one authenticated request per profile: does the service accept its secret?


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
    profile = _profile(app, options.profile)
    label = secret_label(secret_kind(profile))
    ask_and_store(app, profile, f"{label.capitalize()} for {profile.name}: ", required=True)
    return ExitCode.OK


def ask_and_store(app: AppContext, profile: Profile, prompt: str, *, required: bool) -> bool:
    """Ask for the profile's secret (without echo on a terminal, else a line of stdin) and store it in the keyring.
    Nothing given: a UsageError when ``required``, else False. No usable keyring: a ConfigError saying what to do."""
    name, kind = profile.name, secret_kind(profile)
    label = secret_label(kind)
    secrets = app.secrets
    try:
        secrets.backend()  # before asking for a secret it could not keep
        value = _read_secret(app, prompt)
        if not value:
            if not required:
                return False
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
    return True


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


def _session_expiry(app: AppContext, profile: Profile) -> datetime | None:
    """When the session token the profile keeps expires (None: it keeps none)."""
    from taskctl.providers.base import session_tokens

    tokens = session_tokens(profile)
    return tokens.expiry(profile, app.environ) if tokens is not None else None


def _session_lines(app: AppContext, records: list[dict[str, object]]) -> list[str]:
    """`session token of 'p': expires 2026-12-08 16:18 UTC (in 23h 59m)` for each profile that keeps one."""
    from taskctl.render.humanize import age

    return [f"session token of '{record['name']}': expires {expires:%Y-%m-%d %H:%M} UTC ({age(app.now() - expires)})"
            for record in records if isinstance(expires := record["session_expires"], datetime)]


def run_status(app: AppContext, options: StatusOptions) -> ExitCode:
    """One row per profile (the named ones, else all); exit 6 when one of them has no secret anywhere or its
    keyring lookup fails (with no names: also when the keyring itself fails)."""
    secrets = app.secrets
    backend, keyring_line, problem = _keyring_state(secrets)
    if options.names:
        problem = None  # only what the named profiles need counts
    profiles = _status_profiles(app, options.names)
    app.flush_config_warnings()
    records = []
    for profile in profiles:
        secret, trouble = _lookup(secrets, profile)
        problem = problem or trouble
        records.append({**_status_record(profile, secret, trouble, backend),
                        "session_expires": _session_expiry(app, profile)})
    checks = _checks(app, profiles, records) if options.check else {}
    if options.as_json:
        _print_status_json(app, records, backend, keyring_line, problem)
    else:
        _print_status_table(app, records, keyring_line, bool(options.names))
    if problem is not None:
        app.report(ConfigError(f"the keyring cannot be read: {problem}", with_remedy(problem, TOKEN_ENV)))
        return ExitCode.CONFIG
    return _status_exit_code(app, records, checks)


def _checks(app: AppContext, profiles: list[Profile], records: list[dict[str, object]]) -> dict[str, Check]:
    """`--check`: each profile that has a secret is checked; its record says how (`check`: the result, and
    `check_message` when it was not accepted)."""
    from taskctl.commands.auth_check import check_profiles

    ready = [profile for profile, record in zip(profiles, records, strict=True) if record["set"]]
    checks = dict(zip((profile.name for profile in ready), check_profiles(app, ready), strict=True))
    for record in records:
        check = checks.get(str(record["name"]))
        record["check"] = check.result if check else None
        record["check_message"] = check.error.message if check and check.error else None
    return checks


def _status_exit_code(app: AppContext, records: list[dict[str, object]], checks: dict[str, Check]) -> ExitCode:
    """The first failure in the order shown: a profile without a secret (6), or a check that failed (its code);
    each failed check's error is reported."""
    exit_code = ExitCode.OK
    for record in records:
        check = checks.get(str(record["name"]))
        if check is not None and check.error is not None:
            app.report(check.error)
        code = ExitCode.CONFIG if not record["set"] else check.exit_code if check else ExitCode.OK
        if exit_code == ExitCode.OK:
            exit_code = code
    return exit_code


def _status_profiles(app: AppContext, names: tuple[str, ...]) -> list[Profile]:
    """The named profiles in the order given (the built-in sandbox too), else every profile of the file."""
    from taskctl import providers

    store = app.profiles
    if not names:
        return list(store.profiles.values())
    chosen = []
    for name in dict.fromkeys(names):
        if name in store.profiles:
            chosen.append(store.profiles[name])
        elif name == SANDBOX_PROFILE:
            chosen.append(sandbox_profile(providers.names()[0]))
        else:
            raise UsageError(f"unknown profile '{name}'", f"known profiles: {', '.join(store.names())}")
    return chosen


def _status_record(profile: Profile, secret: Secret | None, trouble: KeyringUnavailable | None,
                   backend: Backend | None) -> dict[str, object]:
    from taskctl.commands.profile import ALL_PROVIDERS, display_source

    provider = ALL_PROVIDERS if profile.builtin_sandbox else profile.provider
    if profile.builtin_sandbox:
        from taskctl.sandbox import SANDBOX_TOKEN
        from taskctl.secrets import SecretSource, SourceKind

        secret = Secret(SANDBOX_TOKEN, SecretSource(SourceKind.BUILT_IN))
    kind = secret.kind if secret else secret_kind(profile)
    return {"name": profile.name, "provider": provider, "kind": kind.value, "set": secret is not None,
            "masked": secret.masked() if secret else None,
            "from": display_source(secret, profile) if secret else None,
            "remedy": None if secret else _remedy_cell(profile, backend, trouble),
            "unknown": trouble is not None}


def _print_status_table(app: AppContext, records: list[dict[str, object]], keyring_line: str, named: bool) -> None:
    from taskctl.render.records import print_records
    from taskctl.render.safe import inert

    checked = any("check" in r for r in records)
    rows = [[str(r["name"]), str(r["provider"]), secret_label(SecretKind(str(r["kind"]))),
             str(r["masked"] or ("(unknown)" if r["unknown"] else "(none)")), str(r["from"] or r["remedy"]),
             *([str(r["check"] or "not checked")] if checked else [])]
            for r in records]
    if rows:
        print_records(app.stdout_console(), ("PROFILE", "PROVIDER", "KIND", "SECRET", "FROM",
                                             *(["CHECK"] if checked else [])), rows)
        if not named:
            app.stdout.write(f"file: {inert(str(app.profiles.path))}\n")
        for line in _session_lines(app, records):
            app.stdout.write(inert(line) + "\n")
    else:
        app.stdout.write(f"no profiles in {inert(str(app.profiles.path))}\n")
    app.stdout.write(inert(keyring_line) + "\n")


def _print_status_json(app: AppContext, records: list[dict[str, object]], backend: Backend | None,
                       keyring_line: str, problem: KeyringUnavailable | None) -> None:
    """`auth status --json`: the profiles (secrets masked) and the keyring, for scripts."""
    from taskctl import jsonio

    profiles = [{key: _json_value(value) for key, value in record.items() if key != "unknown"} for record in records]
    keyring = {"backend": backend.name if backend else None, "label": backend.label if backend else None,
               "usable": backend is not None and problem is None, "note": keyring_line}
    app.stdout.write(jsonio.dumps({"file": str(app.profiles.path), "profiles": profiles, "keyring": keyring}) + "\n")


def _json_value(value: object) -> object:
    """A record's value for JSON: a time as ISO 8601 UTC with Z (as `-o summary` writes times)."""
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if isinstance(value, datetime) else value


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
