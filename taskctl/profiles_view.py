"""`profile list` and `profile show`: profiles for humans (secrets masked) or as JSON."""

from __future__ import annotations

from taskctl import jsonio, providers
from taskctl.config import SANDBOX_PROFILE, Profile, sandbox_profile
from taskctl.context import AppContext
from taskctl.errors import ConfigError, UsageError
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


def list_profiles(app: AppContext, as_json: bool) -> None:
    store = app.profiles
    profiles = list(store.profiles.values())
    app.flush_config_warnings()
    if as_json:
        rows: list[dict[str, object]] = [
            {"name": p.name, "provider": p.provider, "endpoint": p.endpoint, "default": p.default, "builtin": False}
            for p in profiles]
        if SANDBOX_PROFILE not in store.profiles:  # the same list the table shows
            rows.append({"name": SANDBOX_PROFILE, "provider": None, "endpoint": None, "default": False,
                         "builtin": True})
        app.stdout.write(jsonio.dumps(rows) + "\n")
        return
    from rich.table import Table

    from taskctl.render.safe import inert, safe_text

    table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
    for column in ("NAME", "PROVIDER", "ENDPOINT", "DEFAULT"):
        table.add_column(column, overflow="fold")
    for p in profiles:
        table.add_row(safe_text(p.name), p.provider, safe_text(p.endpoint), "yes" if p.default else "")
    if SANDBOX_PROFILE not in store.profiles:
        table.add_row(SANDBOX_PROFILE, "all", "(built-in, in-process)", "")
    console = app.stdout_console()
    console.print(table)
    if not profiles:
        where = "in" if store.path.exists() else "file at"
        app.stderr.write(f"taskctl: no profiles {where} {inert(str(store.path))}; see profiles.example.yaml\n")


def show_profile(app: AppContext, name: str) -> None:
    """The profile's table; a keyring that cannot be read is shown in it, then reported (exit 6)."""
    profile = _find(app, name)
    try:
        secret, trouble = _secret_or_none(app, profile), None
    except KeyringUnavailable as exc:
        secret, trouble = None, exc
    rows: list[tuple[str, str, str]] = [
        ("name", profile.name, profile.origin("name")),
        ("provider", "all (" + ", ".join(providers.names()) + ")" if profile.builtin_sandbox else profile.provider,
         profile.origin("provider")),
        ("endpoint", profile.endpoint or "(loopback port chosen at run time)", profile.origin("endpoint")),
    ]
    optional = {"default": profile.default, **profile.settings,
                "allow_http": profile.allow_http, "ca_bundle": profile.ca_bundle, "tls_verify": profile.tls_verify,
                "timeout": f"connect {profile.timeouts.connect:g} s, read {profile.timeouts.read:g} s, "
                           f"total {profile.timeouts.deadline:g} s",
                "retries": profile.retries}
    for key, value in optional.items():
        if value is None:
            continue
        origin_key = "timeout" if key == "timeout" else key
        shown = jsonio.describe_value(value)
        if profile.token and profile.token in shown:  # a YAML alias can put the token anywhere
            shown = shown.replace(profile.token, "***")
        rows.append((key, shown, profile.origin(origin_key)))
    kind = secret.kind if secret else secret_kind(profile)
    if secret:
        rows.append((kind, secret.masked(), display_source(secret, profile)))
    elif trouble:
        rows.append((kind, "(unknown)", "the keyring cannot be read (see below)"))
    else:
        rows.append((kind, "(none)", f"run: taskctl auth login {profile.name}"))
    from rich.table import Table

    from taskctl.render.safe import inert, safe_text

    table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
    for column in ("KEY", "VALUE", "FROM"):
        table.add_column(column, overflow="fold")
    for key, value, origin in rows:
        table.add_row(key, safe_text(value), safe_text(origin))
    app.stdout_console().print(table)
    if not profile.builtin_sandbox:
        app.stdout.write(f"file: {inert(profile.source)}\n")
    if trouble:
        raise ConfigError(f"cannot read the {secret_label(kind)} of '{profile.name}': {trouble}",
                          with_remedy(trouble, secret_env(kind)))


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
