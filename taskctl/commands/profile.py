"""`profile list` and `profile show`: profiles for humans (secrets masked) or as JSON."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from taskctl import jsonio, providers
from taskctl.config import SANDBOX_PROFILE, Profile, sandbox_profile
from taskctl.context import AppContext
from taskctl.errors import ConfigError, ExitCode, UsageError
from taskctl.providers.spec import SecretKind
from taskctl.render.records import print_records
from taskctl.render.safe import inert
from taskctl.secrets import (
    KeyringUnavailable,
    Secret,
    SecretSource,
    SourceKind,
    secret_env,
    secret_kind,
    secret_label,
    with_remedy,
)


@dataclass(frozen=True)
class ListOptions:
    as_json: bool = False


@dataclass(frozen=True)
class ShowOptions:
    name: str
    as_json: bool = False


ALL_PROVIDERS = "all"
"""The provider of the built-in sandbox profile, which serves every provider."""
START_HINT = ("start one with `taskctl profile add NAME --provider P --endpoint URL`, or see the commented example: "
              "taskctl profile example")


def run_list(app: AppContext, options: ListOptions) -> ExitCode:
    """The profiles of the file, and the built-in sandbox, as a table or (--json) a list."""
    store = app.profiles
    profiles = list(store.profiles.values())
    app.flush_config_warnings()
    builtin = SANDBOX_PROFILE not in store.profiles  # the same list the table shows
    if options.as_json:
        rows: list[dict[str, object]] = [
            {"name": p.name, "provider": p.provider, "endpoint": p.endpoint, "default": p.default, "builtin": False,
             "providers": [p.provider]} for p in profiles]
        if builtin:
            rows.append({"name": SANDBOX_PROFILE, "provider": ALL_PROVIDERS, "endpoint": None, "default": False,
                         "builtin": True, "providers": list(providers.names())})
        app.stdout.write(jsonio.dumps(rows) + "\n")
        return ExitCode.OK
    cells = [[p.name, p.provider, p.endpoint, "yes" if p.default else ""] for p in profiles]
    if builtin:
        cells.append([SANDBOX_PROFILE, ALL_PROVIDERS, "(built-in, in-process)", ""])
    print_records(app.stdout_console(), ("NAME", "PROVIDER", "ENDPOINT", "DEFAULT"), cells)
    if not builtin:
        app.stderr_line("note", "yellow", f"the profile '{SANDBOX_PROFILE}' of {store.path} replaces the built-in "
                                          "sandbox; rename it to use the bundled sandbox again")
    if not profiles:
        where = "in" if store.path.exists() else "file at"
        app.stderr_line(None, "", f"no profiles {where} {store.path}; {START_HINT}")
    return ExitCode.OK


def run_show(app: AppContext, options: ShowOptions) -> ExitCode:
    """The profile's table; a keyring that cannot be read is shown in it, then reported (exit 6)."""
    profile = _find(app, options.name)
    try:
        secret, trouble = _secret_or_none(app, profile), None
    except KeyringUnavailable as exc:
        secret, trouble = None, exc
    kind = secret.kind if secret else secret_kind(profile)
    if options.as_json:
        app.stdout.write(jsonio.dumps(_show_document(profile, kind, secret, trouble)) + "\n")
    else:
        rows = [*_value_rows(profile), _secret_row(profile, kind, secret, trouble)]
        print_records(app.stdout_console(), ("KEY", "VALUE", "FROM"), rows)
        if not profile.builtin_sandbox:
            app.stdout.write(f"file: {inert(profile.source)}\n")
    if trouble:
        raise ConfigError(f"cannot read the {secret_label(kind)} of '{profile.name}': {trouble}",
                          with_remedy(trouble, secret_env(kind)))
    return ExitCode.OK


def _values(profile: Profile) -> list[tuple[str, Any, str]]:
    """KEY, VALUE, FROM for every value the profile has, its provider's own keys included; a value that holds the
    profile's token (a YAML alias can put it anywhere) masked."""
    values: list[tuple[str, Any, str]] = [
        ("name", profile.name, profile.origin("name")),
        ("provider", ALL_PROVIDERS if profile.builtin_sandbox else profile.provider, profile.origin("provider")),
        ("endpoint", profile.endpoint or None, profile.origin("endpoint"))]
    optional = {"default": profile.default, "auth": profile.auth, **profile.settings,
                "allow_http": profile.allow_http, "ca_bundle": profile.ca_bundle, "tls_verify": profile.tls_verify,
                "timeout": {"connect": profile.timeouts.connect, "read": profile.timeouts.read,
                            "total": profile.timeouts.deadline},
                "retries": profile.retries}
    for key, value in optional.items():
        if value is None:
            continue
        if profile.token and profile.token in jsonio.describe_value(value):
            value = jsonio.describe_value(value).replace(profile.token, "***")
        values.append((key, value, profile.origin(key)))
    return values


def _value_rows(profile: Profile) -> list[tuple[str, str, str]]:
    """The table's rows of ``_values``."""
    rows = []
    for key, value, origin in _values(profile):
        if key == "provider" and profile.builtin_sandbox:
            shown = f"{ALL_PROVIDERS} ({', '.join(providers.names())})"
        elif key == "endpoint" and value is None:
            shown = "(loopback port chosen at run time)"
        elif key == "timeout":
            shown = f"connect {value['connect']:g} s, read {value['read']:g} s, total {value['total']:g} s"
        else:
            shown = jsonio.describe_value(value)
        rows.append((key, shown, origin))
    return rows


def _show_document(profile: Profile, kind: SecretKind, secret: Secret | None,
                   trouble: KeyringUnavailable | None) -> dict[str, Any]:
    """`profile show --json`: each value with where it came from; the secret masked, never its value."""
    _key, masked, origin = _secret_row(profile, kind, secret, trouble)
    return {"name": profile.name, "file": None if profile.builtin_sandbox else profile.source,
            "builtin": profile.builtin_sandbox,
            "values": {key: {"value": value, "from": origin} for key, value, origin in _values(profile)},
            "secret": {"kind": kind.value, "set": secret is not None, "masked": masked if secret else None,
                       "from": origin if secret or trouble else None}}


def _secret_row(profile: Profile, kind: SecretKind, secret: Secret | None,
                trouble: KeyringUnavailable | None) -> tuple[str, str, str]:
    if secret:
        return kind.value, secret.masked(), display_source(secret, profile)
    if trouble:
        return kind.value, "(unknown)", "the keyring cannot be read (see below)"
    return kind.value, "(none)", f"run: taskctl auth login {profile.name}"


def display_source(secret: Secret, profile: Profile) -> str:
    """A secret's source for a table: `env TASKCTL_TOKEN`, `keyring`, `built-in`, or `profiles.yaml:LINE`."""
    if secret.source.kind is SourceKind.FILE:
        return profile.origin("token")
    return str(secret.source)


def _find(app: AppContext, name: str) -> Profile:
    store = app.profiles
    if name in store.profiles:
        return store.profiles[name]
    if name == SANDBOX_PROFILE:
        return sandbox_profile(providers.names()[0])
    raise UsageError(f"unknown profile '{name}'", f"known profiles: {', '.join(store.names())}")


def _secret_or_none(app: AppContext, profile: Profile) -> Secret | None:
    if profile.builtin_sandbox:
        from taskctl.sandbox import SANDBOX_TOKEN

        return Secret(SANDBOX_TOKEN, SecretSource(SourceKind.BUILT_IN))
    return app.secrets.find(profile)
