"""The profiles file: find it, parse it, validate it into typed ``Profile`` objects, select one."""

from __future__ import annotations

import math
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from taskctl.errors import ConfigError, UsageError

PROVIDERS = ("eo", "koodrive", "modelarts")
SANDBOX_PROFILE = "sandbox"
DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_READ_TIMEOUT = 30.0
DEFAULT_TOTAL_TIMEOUT = 120.0
DEFAULT_RETRIES = 3

# key -> (accepted types, providers that may use it (None: all))
_KEYS: dict[str, tuple[tuple[type, ...], tuple[str, ...] | None]] = {
    "provider": ((str,), None),
    "endpoint": ((str,), None),
    "token": ((str,), None),
    "default": ((bool,), None),
    "auth_header": ((str,), ("eo",)),
    "share_id": ((str, int), ("koodrive",)),
    "project_id": ((str,), ("modelarts",)),
    "access_key": ((str,), ("modelarts",)),
    "allow_http": ((bool,), None),
    "ca_bundle": ((str,), None),
    "tls_verify": ((bool,), None),
    "timeout": ((int, float, dict), None),
    "retries": ((int,), None),
}


_TYPE_NAMES = {str: "a string", bool: "true or false", int: "a whole number", float: "a number",
               dict: "a mapping {connect: S, read: S, total: S}"}
_SECRET_KEYS = frozenset({"token"})


@dataclass(frozen=True)
class Timeouts:
    connect: float = DEFAULT_CONNECT_TIMEOUT
    read: float = DEFAULT_READ_TIMEOUT
    total: float | None = None  # None: DEFAULT_TOTAL_TIMEOUT, or connect + read when that is longer

    @property
    def deadline(self) -> float:
        """Seconds one request may take in all: connect, headers, body, retries and their waits."""
        return self.total if self.total is not None else max(DEFAULT_TOTAL_TIMEOUT, self.connect + self.read)


@dataclass(frozen=True)
class Profile:
    name: str
    provider: str
    endpoint: str
    token: str | None = None
    default: bool = False
    auth_header: str = "Authorization"
    share_id: str | None = None
    project_id: str | None = None
    access_key: str | None = None
    allow_http: bool = False
    ca_bundle: str | None = None
    tls_verify: bool = True
    timeouts: Timeouts = Timeouts()
    retries: int = DEFAULT_RETRIES
    source: str = "built-in"
    builtin_sandbox: bool = False
    lines: Mapping[str, int] = field(default_factory=dict)

    def origin(self, key: str) -> str:
        """Where a key's value came from, for `profile show`: `profiles.yaml:7`, `default` or `built-in`.

        The file is named by its base name (a full path would wrap the table); ``source`` has the full path.
        ``key`` "name" gives the line of the profile itself.
        """
        if self.builtin_sandbox:
            return "built-in"
        line = self.lines.get(key)
        return f"{Path(self.source).name}:{line}" if line else "default"


def sandbox_profile(provider: str) -> Profile:
    """The built-in profile; its endpoint is filled in once the in-process sandbox is listening."""
    from taskctl.sandbox import SANDBOX_PROJECT_ID, SANDBOX_SHARE_ID

    return Profile(name=SANDBOX_PROFILE, provider=provider, endpoint="", builtin_sandbox=True,
                   project_id=SANDBOX_PROJECT_ID if provider == "modelarts" else None,
                   share_id=SANDBOX_SHARE_ID if provider == "koodrive" else None)


def default_config_path(environ: Mapping[str, str]) -> Path:
    if environ.get("TASKCTL_CONFIG"):
        return Path(environ["TASKCTL_CONFIG"]).expanduser()
    base = environ.get("XDG_CONFIG_HOME", "")
    if not Path(base).is_absolute():  # the XDG spec: a relative value is invalid and ignored
        home = environ.get("HOME")
        base = str(Path(home) / ".config") if home else str(Path("~/.config").expanduser())
    return Path(base) / "taskctl" / "profiles.yaml"


@dataclass
class ProfileStore:
    """The profiles of one file, loaded on first use."""

    path: Path
    explicit: bool = False
    _profiles: dict[str, Profile] | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def profiles(self) -> dict[str, Profile]:
        if self._profiles is None:
            self._profiles = self._load()
        return self._profiles

    def _load(self) -> dict[str, Profile]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            if self.explicit:
                raise ConfigError(f"profiles file {self.path} does not exist",
                                  "check --config / $TASKCTL_CONFIG, or copy profiles.example.yaml") from None
            return {}
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read profiles file {self.path}: {exc}") from None
        profiles = parse_profiles(text, str(self.path))
        if any(p.token for p in profiles.values()) and _readable_by_others(self.path):
            self.warnings.append(f"{self.path} holds a token and is readable by group or others; "
                                 f"run: chmod 600 {self.path}")
        return profiles

    def names(self, provider: str | None = None) -> list[str]:
        """Profile names, those of ``provider`` only when given, the built-in sandbox included."""
        names = [n for n, p in self.profiles.items() if provider is None or p.provider == provider]
        if SANDBOX_PROFILE not in self.profiles:
            names.append(SANDBOX_PROFILE)
        return names

    def get(self, name: str, provider: str) -> Profile:
        profile = self.profiles.get(name)
        if profile is None and name == SANDBOX_PROFILE:
            return sandbox_profile(provider)
        if profile is None:
            known = ", ".join(self.names(provider))
            raise UsageError(f"unknown profile '{name}'", f"{provider} profiles: {known} (file: {self.path})")
        if profile.provider != provider:
            article = "an" if profile.provider[0] in "aeiou" else "a"
            raise UsageError(f"profile '{name}' is {article} {profile.provider} profile, not {provider}",
                             f"pick a {provider} profile: {', '.join(self.names(provider))}")
        return profile

    def select(self, provider: str, requested: str | None, environ: Mapping[str, str]) -> Profile:
        """--profile, else $TASKCTL_PROFILE, else the provider's default, else its only profile."""
        name = requested or environ.get("TASKCTL_PROFILE")
        if name:
            return self.get(name, provider)
        candidates = [p for p in self.profiles.values() if p.provider == provider]
        defaults = [p for p in candidates if p.default]
        if len(defaults) == 1:
            return defaults[0]
        if len(candidates) == 1 and not defaults:
            return candidates[0]
        if not candidates:
            where = f"in {self.path}" if self.path.exists() else f"(no profiles file at {self.path})"
            raise ConfigError(f"no {provider} profile {where}",
                              f"add one (provider, endpoint: see README 'Profiles' or profiles.example.yaml), "
                              f"or try: --profile {SANDBOX_PROFILE}")
        names = ", ".join(p.name for p in (defaults or candidates))
        reason = "several are marked default" if defaults else "there are several"
        raise UsageError(f"which {provider} profile? {reason}: {names}",
                         "pass --profile NAME, set $TASKCTL_PROFILE, or " +
                         ("keep `default: true` on only one of them" if defaults else "mark one `default: true`"))


def _readable_by_others(path: Path) -> bool:
    try:
        return bool(path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO)) and os.name == "posix"
    except OSError:
        return False


def parse_profiles(text: str, source: str) -> dict[str, Profile]:
    """Parse and validate the YAML text of a profiles file."""
    import yaml

    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        raise ConfigError(_describe_yaml_error(exc, source), "fix the YAML syntax of the profiles file") from None
    finally:
        loader.dispose()
    if data is None:
        return {}
    lines = _key_lines(node, source)
    if not isinstance(data, dict):
        line = node.start_mark.line + 1 if node is not None else 1
        raise ConfigError(f"{source}:{line}: expected a mapping with a `profiles:` key "
                          f"at the top, got {_kind(data)}", "see profiles.example.yaml")
    unknown_top = [k for k in data if k != "profiles"]
    if unknown_top:
        line = lines.get((str(unknown_top[0]),), 1)
        raise ConfigError(f"{source}:{line}: unknown top-level key '{unknown_top[0]}'",
                          "the file holds one key, `profiles:`")
    entries = data.get("profiles") or {}
    if not isinstance(entries, dict):
        raise ConfigError(f"{source}:{lines.get(('profiles',), 1)}: profiles: expected a mapping of profile "
                          f"names to profiles, got {_kind(entries)}", "see profiles.example.yaml")
    profiles: dict[str, Profile] = {}
    for name, entry in entries.items():
        profiles[str(name)] = _build_profile(str(name), entry, source, lines)
    return profiles


def _describe_yaml_error(exc: Exception, source: str) -> str:
    """`file:line: problem`, plus where the unfinished construct began when YAML knows it."""
    mark = getattr(exc, "problem_mark", None)
    where = f"{source}:{mark.line + 1}" if mark else source
    problem = getattr(exc, "problem", None) or "invalid YAML"
    context = getattr(exc, "context", None)
    context_mark = getattr(exc, "context_mark", None)
    if context and context_mark is not None and (mark is None or context_mark.line != mark.line):
        problem += f" ({context} started on line {context_mark.line + 1})"
    return f"{where}: {problem}"


def _kind(value: Any) -> str:
    """A YAML-flavoured name for the type of a value, never the value itself (it may be a secret)."""
    from taskctl.jsonio import json_type

    if isinstance(value, dict):
        return "a mapping"
    if value is None:
        return "nothing"
    return json_type(value) if isinstance(value, bool | int | float | str | list) else f"a {type(value).__name__}"


def _key_lines(node: Any, source: str) -> dict[tuple[str, ...], int]:
    """Map each key path (up to profiles -> name -> key) to its 1-based line; reject duplicate keys."""
    import yaml

    result: dict[tuple[str, ...], int] = {}

    def walk(current: Any, path: tuple[str, ...]) -> None:
        if not isinstance(current, yaml.MappingNode) or len(path) > 2:
            return
        for key_node, value_node in current.value:
            key_path = (*path, str(key_node.value))
            line = key_node.start_mark.line + 1
            if key_path in result:
                raise ConfigError(f"{source}:{line}: {' -> '.join(key_path)}: duplicate key "
                                  f"(first on line {result[key_path]})", "keep one of them")
            result[key_path] = line
            walk(value_node, key_path)

    walk(node, ())
    return result


def _build_profile(name: str, entry: Any, source: str,
                   lines: dict[tuple[str, ...], int]) -> Profile:
    def fail(key: str | None, problem: str, hint: str | None = None) -> ConfigError:
        path = ("profiles", name, key) if key else ("profiles", name)
        line = lines.get(path) or lines.get(("profiles", name), 1)
        where = " -> ".join(path)
        return ConfigError(f"{source}:{line}: {where}: {problem}", hint)

    if not name or ":" in name or not name.isprintable() or name != name.strip():
        raise fail(None, "a profile name must be non-empty printable text without ':' or surrounding spaces")
    if not isinstance(entry, dict):
        raise fail(None, "expected a mapping of keys (provider, endpoint, ...)")
    provider = entry.get("provider")
    if provider not in PROVIDERS:
        raise fail("provider" if "provider" in entry else None,
                   f"provider must be one of {', '.join(PROVIDERS)}" + (f", not {provider!r}" if provider else ""))
    for key, value in entry.items():
        if key not in _KEYS:
            raise fail(str(key), "unknown key", f"known keys: {', '.join(_KEYS)}")
        types, only_for = _KEYS[key]
        if only_for and provider not in only_for:
            raise fail(key, f"only applies to {', '.join(only_for)} profiles")
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            expected = " or ".join(_TYPE_NAMES[t] for t in types if not (t is int and float in types))
            opaque = key in _SECRET_KEYS or value is None or isinstance(value, list | dict)
            shown = _kind(value) if opaque else repr(value)
            raise fail(key, f"expected {expected}, got {shown}")
    endpoint = entry.get("endpoint")
    if not endpoint:
        raise fail(None, "missing `endpoint` (the service's base URL)")
    _check_endpoint(endpoint, fail)
    retries = entry.get("retries", DEFAULT_RETRIES)
    if not 0 <= retries <= 10:
        raise fail("retries", "must be between 0 and 10")
    key_lines = {k[2]: v for k, v in lines.items() if len(k) == 3 and k[1] == name}
    key_lines["name"] = lines.get(("profiles", name), 1)
    return Profile(
        name=name, provider=provider, endpoint=endpoint.rstrip("/"), token=entry.get("token") or None,
        default=entry.get("default", False), auth_header=entry.get("auth_header", "Authorization"),
        share_id=str(entry["share_id"]) if "share_id" in entry else None,
        project_id=entry.get("project_id"), access_key=entry.get("access_key"),
        allow_http=entry.get("allow_http", False), ca_bundle=entry.get("ca_bundle"),
        tls_verify=entry.get("tls_verify", True), timeouts=_timeouts(entry.get("timeout"), fail),
        retries=retries, source=source, lines=key_lines)


def _check_endpoint(endpoint: str, fail: Any) -> None:
    from urllib.parse import urlsplit

    if any(char.isspace() or not char.isprintable() for char in endpoint):
        raise fail("endpoint", "must not contain spaces or control characters")
    try:
        parts = urlsplit(endpoint)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise fail("endpoint", f"not a valid URL: {exc}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        shown = "" if "@" in endpoint else f", got {endpoint!r}"
        raise fail("endpoint", f"expected an http(s) URL like https://host/path{shown}")
    if parts.query or parts.fragment or parts.username:
        raise fail("endpoint", "must not carry a query, fragment or user info")


def _timeouts(value: Any, fail: Any) -> Timeouts:
    if value is None:
        return Timeouts()
    if isinstance(value, int | float):
        if not 0 < value < math.inf:
            raise fail("timeout", "must be a positive number of seconds")
        return Timeouts(connect=min(float(value), DEFAULT_CONNECT_TIMEOUT), read=float(value))
    unknown = set(value) - {"connect", "read", "total"}
    if unknown:
        raise fail("timeout", f"unknown key {sorted(map(str, unknown))[0]!r}; use connect, read and total (seconds)")
    numbers = {k: v for k, v in value.items()}
    if any(not isinstance(v, int | float) or isinstance(v, bool) or not 0 < v < math.inf
           for v in numbers.values()):
        raise fail("timeout", "connect, read and total must be positive numbers of seconds")
    total = numbers.get("total")
    return Timeouts(connect=float(numbers.get("connect", DEFAULT_CONNECT_TIMEOUT)),
                    read=float(numbers.get("read", DEFAULT_READ_TIMEOUT)),
                    total=float(total) if total is not None else None)
