"""`profile add` and `profile example`: start a profiles file without the repository (pip does not install it).

``add`` appends one profile to the file (created 0600 when missing), after checking it as the loader will, and
then asks for its secret and puts it in the keyring, as `auth login` does.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from taskctl import providers
from taskctl.config import SANDBOX_PROFILE, Profile, decode_profiles, parse_profiles, read_profiles_file
from taskctl.errors import ConfigError, ExitCode, TaskctlError, UsageError

if TYPE_CHECKING:
    from taskctl.context import AppContext

EXAMPLE = "profiles.example.yaml"
_BARE = re.compile(r"true|false|[0-9]+")  # written as YAML booleans and numbers; anything else as a string
_PLAIN_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
# A name typed after --profile without quotes, and one the keyring's user names (`NAME:password`) keep apart.
_USABLE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,99}")
_YAML_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null"}


@dataclass(frozen=True)
class AddOptions:
    name: str
    provider: str
    endpoint: str | None = None
    settings: tuple[tuple[str, str], ...] = ()  # --set KEY=VALUE, in the order given
    default: bool = False
    ask_secret: bool = True


def example_text() -> str:
    """The commented example profiles file, as installed with the package."""
    from importlib.resources import files

    return files("taskctl").joinpath(EXAMPLE).read_text(encoding="utf-8")


def run_example(app: AppContext) -> ExitCode:
    app.stdout.write(example_text())
    return ExitCode.OK


def run_add(app: AppContext, options: AddOptions) -> ExitCode:
    """Append the profile to the profiles file, then ask for its secret (skipped when none is given)."""
    path = app.profiles.path
    text = _current_text(path)
    profile = _checked_entry(options, entry := _entry_lines(options))
    if options.name in parse_profiles(text, str(path)):
        raise UsageError(f"profile '{options.name}' already exists in {path}", "edit the file, or pick another name")
    updated = _appended(text, entry)
    try:
        added = parse_profiles(updated, str(path)).get(options.name)
    except ConfigError:
        added = None
    if added is None or added.provider != profile.provider or added.endpoint != profile.endpoint:
        raise ConfigError(f"cannot add to {path} safely (its layout is not `profiles:` at the top with entries "
                          "indented below)", "add these lines under `profiles:` yourself:\n" + entry.rstrip())
    _write(path, updated)
    app.stderr_line(None, "", f"added profile '{options.name}' ({options.provider}) to {path}")
    if added.token:
        app.warn(f"the token of '{options.name}' is now in {path} (and in your shell's history); the keyring "
                 f"keeps it out of both: taskctl auth login {options.name}, then remove `token:` from the file")
    elif options.ask_secret:
        _ask_secret(app, added)
    return ExitCode.OK


def _ask_secret(app: AppContext, profile: Profile) -> None:
    from taskctl.commands.auth import ask_and_store
    from taskctl.secrets import secret_kind, secret_label

    label = secret_label(secret_kind(profile))
    try:
        stored = ask_and_store(app, profile, f"{label.capitalize()} for {profile.name} (empty: later): ",
                               required=False)
    except TaskctlError as error:  # the profile is written: say what to do about its secret, do not fail
        app.warn(f"{error.message}" + (f"; {error.hint}" if error.hint else ""))
        return
    if not stored:
        app.stderr_line(None, "", f"no {label} stored; later: taskctl auth login {profile.name}")


def _entry_lines(options: AddOptions) -> str:
    """The profile as YAML lines indented under `profiles:` (values quoted as JSON strings: valid YAML)."""
    values: list[tuple[str, str]] = [("provider", options.provider)]
    if options.endpoint is not None:
        values.append(("endpoint", options.endpoint))
    if options.default:
        values.append(("default", "true"))
    values += list(options.settings)
    plain = _PLAIN_NAME.fullmatch(options.name) and options.name.lower() not in _YAML_WORDS
    lines = [f"  {options.name if plain else json.dumps(options.name)}:"]
    for key, value in values:
        bare = key == "provider" or (_BARE.fullmatch(value) and key != "endpoint")
        shown = value if bare else json.dumps(value)
        lines.append(f"    {key}: {shown}")
    return "\n".join(lines) + "\n"


def _checked_entry(options: AddOptions, entry: str) -> Profile:
    """The new profile as the loader reads it; what is wrong with it is a usage error (the options made it)."""
    if options.name == SANDBOX_PROFILE:
        raise UsageError(f"'{SANDBOX_PROFILE}' is the built-in sandbox profile", "pick another name")
    if not _USABLE_NAME.fullmatch(options.name):
        raise UsageError(f"cannot add profile {json.dumps(options.name)}: a name is letters, digits, '.', '_', '-' "
                         "and '@', starting with a letter or digit", "e.g. eo-prod")
    if options.provider not in providers.names():
        raise UsageError(f"unknown provider '{options.provider}'", f"one of: {', '.join(providers.names())}")
    try:
        return parse_profiles("profiles:\n" + entry, "profile add")[options.name]
    except ConfigError as error:
        message = re.sub(r"^profile add:\d+: ", "", error.message)
        raise UsageError(f"cannot add profile '{options.name}': {message}", error.hint) from None


def _current_text(path: Path) -> str:
    try:
        data, _mode = read_profiles_file(path)
    except FileNotFoundError:
        return ""
    return decode_profiles(data, str(path))


def _appended(text: str, entry: str) -> str:
    if not text.strip() or not re.search(r"^profiles:[ \t]*(#.*)?$", text, re.MULTILINE):
        return (text.rstrip("\n") + "\n\n" if text.strip() else text) + "profiles:\n" + entry
    return text.rstrip("\n") + "\n" + entry


def _write(path: Path, text: str) -> None:
    """Replace the file in one step (a reader never sees half of it); a new file is private (0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o600
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise ConfigError(f"cannot write {path}: {error.strerror or error}") from None
