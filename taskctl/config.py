"""The profiles file: find it, parse it, validate it into typed ``Profile`` objects, select one."""

from __future__ import annotations

import math
import os
import re
import select
import stat
import time
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple

from taskctl import providers
from taskctl.errors import ConfigError, UsageError
from taskctl.headers import HEADER_TEXT, is_header_text
from taskctl.yamltree import YamlMapping, shorten

SANDBOX_PROFILE = "sandbox"
DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_READ_TIMEOUT = 30.0
DEFAULT_TOTAL_TIMEOUT = 120.0
DEFAULT_RETRIES = 3

# The keys of every profile, and their accepted types; each provider adds its own (``ProviderSpec.profile_keys``).
_KEYS: dict[str, tuple[type, ...]] = {
    "provider": (str,),
    "endpoint": (str,),
    "token": (str,),
    "auth": (str,),  # how the secret is used, when a provider offers several ways (ProviderSpec.auth_methods)
    "default": (bool,),
    "allow_http": (bool,),
    "ca_bundle": (str,),
    "tls_verify": (bool,),
    "timeout": (int, float, dict),
    "retries": (int,),
}


_TYPE_NAMES = {str: "a string", bool: "true or false", int: "a whole number", float: "a number",
               dict: "a mapping {connect: S, read: S, total: S}"}
_SECRET_KEYS = frozenset({"token"})
_NOTHING: Mapping[str, Any] = MappingProxyType({})


class Timeouts(NamedTuple):
    connect: float = DEFAULT_CONNECT_TIMEOUT
    read: float = DEFAULT_READ_TIMEOUT
    total: float | None = None  # None: DEFAULT_TOTAL_TIMEOUT, or connect + read when that is longer

    @property
    def deadline(self) -> float:
        """Seconds one request may take in all: connect, headers, body, retries and their waits."""
        return self.total if self.total is not None else max(DEFAULT_TOTAL_TIMEOUT, self.connect + self.read)


class Profile(NamedTuple):
    name: str
    provider: str
    endpoint: str
    token: str | None = None
    auth: str | None = None
    default: bool = False
    settings: Mapping[str, Any] = _NOTHING  # the provider's own keys (with their defaults)
    allow_http: bool = False
    ca_bundle: str | None = None
    tls_verify: bool = True
    timeouts: Timeouts = Timeouts()
    retries: int = DEFAULT_RETRIES
    source: str = "built-in"
    builtin_sandbox: bool = False
    lines: Mapping[str, int] = _NOTHING

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
    spec = providers.get(provider)
    settings = {key.name: key.default for key in spec.profile_keys} | dict(spec.sandbox_settings)
    return Profile(name=SANDBOX_PROFILE, provider=provider, endpoint="", builtin_sandbox=True, settings=settings)


def default_config_path(environ: Mapping[str, str]) -> Path:
    if environ.get("TASKCTL_CONFIG"):
        return Path(environ["TASKCTL_CONFIG"]).expanduser()
    base = environ.get("XDG_CONFIG_HOME", "")
    if not Path(base).is_absolute():  # the XDG spec: a relative value is invalid and ignored
        home = environ.get("HOME")
        base = str(Path(home) / ".config") if home else str(Path("~/.config").expanduser())
    return Path(base) / "taskctl" / "profiles.yaml"


START_COMMAND = "taskctl profile add NAME --provider P --endpoint URL (or: taskctl profile example)"


def article(word: str) -> str:
    """`a` or `an` before a word: a provider's name is the one use."""
    return "an" if word[:1].lower() in "aeiou" else "a"


class ProfileStore:
    """The profiles of one file, loaded on first use (parsed through ``profiles_cache`` when ``cache_dir`` is given)."""

    def __init__(self, path: Path, explicit: bool = False, cache_dir: Path | None = None) -> None:
        self.path = path
        self.explicit = explicit
        self.cache_dir = cache_dir
        self._profiles: dict[str, Profile] | None = None
        self.warnings: list[str] = []

    @property
    def profiles(self) -> dict[str, Profile]:
        if self._profiles is None:
            self._profiles = self._load()
        return self._profiles

    def _load(self) -> dict[str, Profile]:
        try:
            data, mode = read_profiles_file(self.path)
        except FileNotFoundError:
            if self.explicit:
                raise ConfigError(f"profiles file {self.path} does not exist",
                                  f"check --config / $TASKCTL_CONFIG, or start it: {START_COMMAND}") from None
            return {}
        text = decode_profiles(data, str(self.path))
        try:
            profiles = self._parse(text, data, regular=stat.S_ISREG(mode))
        except ConfigError as error:
            raise _without_tokens(error, text) from None
        if any(p.token for p in profiles.values()) and _readable_by_others(mode):
            self.warnings.append(f"{self.path} holds a token and is readable by group or others; "
                                 f"run: chmod 600 {self.path}")
        return profiles

    def _parse(self, text: str, data: bytes, regular: bool) -> dict[str, Profile]:
        """Validated profiles; the YAML parse comes from the cache when these bytes were parsed before."""
        if self.cache_dir is None or not regular:  # a FIFO or device is read once: nothing to reuse
            return parse_profiles(text, str(self.path))
        from taskctl import profiles_cache

        tree = profiles_cache.load(self.cache_dir, self.path, data)
        if tree is not None:
            return profiles_from_tree(tree, str(self.path))
        tree = load_yaml(text, str(self.path))
        profiles = profiles_from_tree(tree, str(self.path))
        profiles_cache.store(self.cache_dir, self.path, data, tree)
        return profiles

    def names(self, provider: str | None = None) -> list[str]:
        """Profile names, those of ``provider`` only when given, the built-in sandbox included."""
        names = [n for n, p in self.profiles.items() if provider is None or p.provider == provider]
        if SANDBOX_PROFILE not in self.profiles:
            names.append(SANDBOX_PROFILE)
        return names

    def get(self, name: str, provider: str) -> Profile:
        if name == SANDBOX_PROFILE and not self.path.exists():  # needs no file, even one --config names
            return sandbox_profile(provider)
        profile = self.profiles.get(name)
        if profile is None and name == SANDBOX_PROFILE:
            return sandbox_profile(provider)
        if profile is None:
            known = ", ".join(self.names(provider))
            raise UsageError(f"unknown profile '{name}'", f"{provider} profiles: {known} ({self.where()})")
        if profile.provider != provider:
            raise UsageError(f"profile '{name}' is {article(profile.provider)} {profile.provider} profile, "
                             f"not {provider}",
                             f"pick {article(provider)} {provider} profile: {', '.join(self.names(provider))}")
        return profile

    def where(self) -> str:
        """The profiles file, for a message: `file: PATH`, or that there is none."""
        return f"file: {self.path}" if self.path.exists() else f"no profiles file at {self.path}"

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
                              f"add one: taskctl profile add NAME --provider {provider} --endpoint URL; "
                              f"or try: --profile {SANDBOX_PROFILE}")
        names = ", ".join(p.name for p in (defaults or candidates))
        reason = "several are marked default" if defaults else "there are several"
        raise UsageError(f"which {provider} profile? {reason}: {names}",
                         "pass --profile NAME, set $TASKCTL_PROFILE, or " +
                         ("keep `default: true` on only one of them" if defaults else "mark one `default: true`"))


# A `token:` line: its value, plain or quoted, after an optional anchor (&a).
_TOKEN_LINE = re.compile(r"""^[ \t-]*["']?token["']?[ \t]*:[ \t]*(?:&\S+[ \t]+)?["']?"""
                         r"""([^"'\s#][^"'#\r\n]*?)["']?[ \t]*(?:#.*)?$""", re.MULTILINE)


def _without_tokens(error: ConfigError, text: str) -> ConfigError:
    """The error, with any value that a `token:` line of the file holds shown as *** (a wrong-typed `retries:`
    or a key may quote the very text that is someone's token)."""
    values = {match[1] for match in _TOKEN_LINE.finditer(text)}
    tokens = sorted((value for value in values if len(value) >= 4 and value[0] not in "!*"),  # not a tag or alias
                    key=len, reverse=True)
    message, hint = error.message, error.hint
    for token in tokens:
        message = message.replace(token, "***")
        hint = hint.replace(token, "***") if hint else hint
    return ConfigError(message, hint) if tokens else error


def _readable_by_others(mode: int) -> bool:
    return os.name == "posix" and stat.S_ISREG(mode) and bool(mode & (stat.S_IRWXG | stat.S_IRWXO))


# --- reading the file: bounded in size and time, whatever the path names -----------------------------------

MAX_FILE_BYTES = 4 * 1024 * 1024  # a hand-written file is a few KB; this admits 20,000+ generated profiles
STREAM_READ_SECONDS = 5.0  # a FIFO or device (`--config <(sops -d ...)`): how long its writer may take
_CHUNK = 64 * 1024


def read_profiles_file(path: Path) -> tuple[bytes, int]:
    """The file's bytes and mode; FileNotFoundError when it is absent, else a ConfigError for anything unusable.

    Opened without blocking, so a FIFO without a writer cannot hold the command; never more than
    MAX_FILE_BYTES is read, so `/dev/zero` or a huge file ends at once.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise
    except (OSError, ValueError) as exc:
        raise _unreadable(path, exc) from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise ConfigError(f"cannot read profiles file {path}: it is a directory",
                              "point --config / $TASKCTL_CONFIG at the profiles.yaml file")
        if stat.S_ISREG(info.st_mode) and info.st_size > MAX_FILE_BYTES:
            raise _too_big(path)
        regular = stat.S_ISREG(info.st_mode) or not hasattr(select, "poll")
        data = _read_regular(fd, path) if regular else _read_stream(fd, path)
        return data, info.st_mode
    except OSError as exc:
        raise _unreadable(path, exc) from None
    finally:
        os.close(fd)


def _read_regular(fd: int, path: Path) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while chunk := os.read(fd, min(_CHUNK, MAX_FILE_BYTES + 1 - size)):
        chunks.append(chunk)
        size += len(chunk)
        if size > MAX_FILE_BYTES:  # it grew while being read
            raise _too_big(path)
    return b"".join(chunks)


def _read_stream(fd: int, path: Path) -> bytes:
    """A FIFO, pipe or device: read until its end, at most MAX_FILE_BYTES, within STREAM_READ_SECONDS."""
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    deadline = time.monotonic() + STREAM_READ_SECONDS
    chunks: list[bytes] = []
    size = 0
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise ConfigError(f"cannot read profiles file {path}: it did not come to an end within "
                              f"{STREAM_READ_SECONDS:g} s (a FIFO or device, not a regular file)",
                              "point --config / $TASKCTL_CONFIG at a regular file")
        if not poller.poll(remaining * 1000):
            continue
        try:
            chunk = os.read(fd, _CHUNK)
        except BlockingIOError:
            continue
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
        if size > MAX_FILE_BYTES:
            raise _too_big(path)


def _too_big(path: Path) -> ConfigError:
    return ConfigError(f"profiles file {path} is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB",
                       "check that --config / $TASKCTL_CONFIG names the profiles file")


def _unreadable(path: Path, exc: BaseException) -> ConfigError:
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
    return ConfigError(f"cannot read profiles file {path}: {reason}")


def decode_profiles(data: bytes, source: str) -> str:
    """UTF-8 text (a BOM is dropped) with only the characters YAML allows; errors name the line, not the text."""
    import codecs

    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ConfigError(f"{source}:{line}: not UTF-8 text", "save the profiles file as UTF-8") from None
    bad = _NON_PRINTABLE.search(text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        raise ConfigError(f"{source}:{line}: the control character U+{ord(bad.group()):04X} is not allowed in YAML",
                          "remove it (a NUL byte or a binary file?)")
    return text


# The characters YAML 1.1 does not accept (PyYAML's reader rejects them with an error that quotes the text): the
# complement of its printable set, written out, because a class over the whole of Unicode costs 5 ms to compile.
_NON_PRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")


def load_yaml(text: str, source: str) -> tuple[Any, int]:
    """The document as plain values (mappings are YamlMapping) and the line where it starts (``yamlparse``:
    imported, with PyYAML, only when a file is actually parsed)."""
    from taskctl.yamlparse import load_yaml as parse

    return parse(text, source)


# --- validation --------------------------------------------------------------------------------------------


def parse_profiles(text: str, source: str) -> dict[str, Profile]:
    """Parse and validate the YAML text of a profiles file (linear in its size)."""
    return profiles_from_tree(load_yaml(text, source), source)


def profiles_from_tree(tree: tuple[Any, int], source: str) -> dict[str, Profile]:
    """Validate what ``load_yaml`` made of a profiles file."""
    data, line = tree
    if data is None:
        return {}
    if not isinstance(data, YamlMapping):
        raise ConfigError(f"{source}:{line}: expected a mapping with a `profiles:` key "
                          f"at the top, got {_kind(data)}", "see the commented example: taskctl profile example")
    unknown_top = [k for k in data if k != "profiles"]
    if unknown_top:
        raise ConfigError(f"{source}:{data.key_lines.get(unknown_top[0], 1)}: unknown top-level key "
                          f"'{shorten(str(unknown_top[0]))}'", "the file holds one key, `profiles:`")
    entries = data.get("profiles")
    if not entries:  # `profiles:` with nothing under it yet
        return {}
    if not isinstance(entries, YamlMapping):
        raise ConfigError(f"{source}:{data.key_lines.get('profiles', 1)}: profiles: expected a mapping of profile "
                          f"names to profiles, got {_kind(entries)}",
                          "see the commented example: taskctl profile example")
    profiles: dict[str, Profile] = {}
    for name, entry in entries.items():
        name_line = entries.key_lines.get(name, 1)
        text_name = _profile_name(name, name_line, source)
        if text_name in profiles:
            raise ConfigError(f"{source}:{name_line}: profiles -> {text_name}: duplicate profile "
                              f"(first on line {profiles[text_name].lines.get('name')})", "keep one of them")
        profiles[text_name] = _build_profile(text_name, entry, source, name_line)
    return profiles


def _profile_name(name: Any, line: int, source: str) -> str:
    text = str(name) if isinstance(name, str | int) and not isinstance(name, bool) else ""
    if not text or ":" in text or not text.isprintable() or text != text.strip():
        raise ConfigError(f"{source}:{line}: profiles -> {shorten(str(name))}: a profile name must be non-empty "
                          "printable text without ':' or surrounding spaces", "quote it if YAML reads it otherwise")
    return text


def _kind(value: Any) -> str:
    """A YAML-flavoured name for the type of a value, never the value itself (it may be a secret)."""
    from taskctl.jsonio import json_type

    if isinstance(value, dict):
        return "a mapping"
    if value is None:
        return "nothing"
    return json_type(value) if isinstance(value, bool | int | float | str | list) else f"a {type(value).__name__}"


def _build_profile(name: str, entry: Any, source: str, name_line: int) -> Profile:
    key_lines = entry.key_lines if isinstance(entry, YamlMapping) else {}

    def fail(key: Any, problem: str, hint: str | None = None) -> ConfigError:
        path = ("profiles", name, shorten(str(key))) if key is not None else ("profiles", name)
        line = key_lines.get(key, name_line) if key is not None else name_line
        return ConfigError(f"{source}:{line}: {' -> '.join(path)}: {problem}", hint)

    if not isinstance(entry, dict):
        raise fail(None, "expected a mapping of keys (provider, endpoint, ...)")
    provider = entry.get("provider")
    if provider not in providers.names():
        shown = f", not {shorten(repr(provider))}" if isinstance(provider, str) and provider else ""
        raise fail("provider" if "provider" in entry else None,
                   f"provider must be one of {', '.join(providers.names())}{shown}")
    for key, value in entry.items():
        _check_key(key, value, provider, fail)
    settings = _settings(provider, entry)
    _check_whole(provider, settings, entry.get("auth"), fail)
    endpoint = _endpoint(provider, entry, fail)
    retries = entry.get("retries", DEFAULT_RETRIES)
    if not 0 <= retries <= 10:
        raise fail("retries", "must be between 0 and 10")
    lines = {str(key): line for key, line in key_lines.items()}
    lines["name"] = name_line
    implied_by = providers.get(provider).endpoint_from
    if "endpoint" not in lines and implied_by and implied_by.key in lines:
        lines["endpoint"] = lines[implied_by.key]
    return Profile(
        name=name, provider=provider, endpoint=endpoint.rstrip("/"), token=entry.get("token") or None,
        auth=entry.get("auth"), default=entry.get("default", False), settings=settings,
        allow_http=entry.get("allow_http", False), ca_bundle=entry.get("ca_bundle"),
        tls_verify=entry.get("tls_verify", True), timeouts=_timeouts(entry.get("timeout"), fail),
        retries=retries, source=source, lines=lines)


def _endpoint(provider: str, entry: Mapping[Any, Any], fail: Any) -> str:
    """The profile's `endpoint`, else the one its provider derives from another key."""
    endpoint = entry.get("endpoint")
    implied_by = providers.get(provider).endpoint_from
    if not endpoint and implied_by and entry.get(implied_by.key):
        problem = implied_by.check(entry[implied_by.key]) if implied_by.check else None
        if problem:
            raise fail(implied_by.key, *problem)
        return implied_by.url(entry[implied_by.key])
    if not endpoint:
        alternative = f" or `{implied_by.key}`" if implied_by else ""
        raise fail(None, f"missing `endpoint` (the service's base URL){alternative}")
    _check_endpoint(endpoint, fail)
    return str(endpoint)


def _check_whole(provider: str, settings: Mapping[str, Any], auth: Any, fail: Any) -> None:
    """`auth:` among the provider's methods, and the provider's rules across keys."""
    spec = providers.get(provider)
    if auth is not None and auth not in spec.auth_methods:
        offered = [s.name for s in providers.specs() if auth in s.auth_methods]
        known = f"{provider} profiles take {', '.join(sorted(spec.auth_methods))}" if spec.auth_methods else (
            f"{provider} profiles take no `auth:`")
        raise fail("auth", f"{known}, not {shorten(repr(auth))}",
                   f"`auth: {shorten(str(auth))}` applies to {', '.join(offered)} profiles" if offered else None)
    problem = spec.check_profile(settings, auth) if spec.check_profile else None
    if problem:
        key, text, hint = problem
        raise fail(key, text, hint)


def _settings(provider: str, entry: Mapping[Any, Any]) -> dict[str, Any]:
    """The provider's own keys of a (checked) profile entry, each converted, or its default."""
    settings = {}
    for key in providers.get(provider).profile_keys:
        value = entry.get(key.name, key.default)
        settings[key.name] = key.convert(value) if key.convert and key.name in entry else value
    return settings


def _key_types(key: Any, provider: str, fail: Any) -> tuple[type, ...]:
    """The types a key accepts in a profile of this provider; a ConfigError for a key it does not know."""
    if key in _KEYS:
        return _KEYS[key]
    spec_key = providers.get(provider).key(key) if isinstance(key, str) else None
    if spec_key is not None:
        return spec_key.types
    owners = [spec.name for spec in providers.specs() if isinstance(key, str) and spec.key(key)]
    if owners:
        raise fail(key, f"only applies to {', '.join(owners)} profiles")
    known = [*_KEYS, *(k.name for k in providers.get(provider).profile_keys)]
    raise fail(key, "unknown key", f"known keys: {', '.join(known)}")


def _check_key(key: Any, value: Any, provider: str, fail: Any) -> None:
    """One key of a profile: known, meant for this provider, of the right type, free of control characters."""
    types = _key_types(key, provider, fail)
    if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
        expected = " or ".join(_TYPE_NAMES[t] for t in types if not (t is int and float in types))
        opaque = key in _SECRET_KEYS or not isinstance(value, str | int | float)
        shown = _kind(value) if opaque else shorten(repr(value))
        raise fail(key, f"expected {expected}, got {shown}")
    if key in _SECRET_KEYS and isinstance(value, str) and not is_header_text(value):
        raise fail(key, f"must be {HEADER_TEXT}", "check the value: a stray quote, tab or line break copied along?")
    if isinstance(value, str) and not value.isprintable():
        raise fail(key, "must not contain control characters or line breaks")
    spec_key = providers.get(provider).key(key) if key not in _KEYS else None
    problem = spec_key.check(value) if spec_key and spec_key.check else None
    if problem:
        raise fail(key, *problem)


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
    if parts.query or parts.fragment or "@" in parts.netloc:
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
