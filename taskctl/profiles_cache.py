"""The parsed profiles file, kept in the user's cache folder so that a command need not import PyYAML.

Importing PyYAML and parsing costs about 10 ms of every command's start-up. The cache holds what the YAML parser
made of the file (values and key lines; validation runs on it every time, as on a fresh parse), under a name
derived from the file's path, and is used only while the file's bytes hash to the digest it records, for the same
taskctl. It holds nothing the file does not: a secret written in the file is in it, one from the environment or
the keyring never is. It is private to the user (``user_cache``). Only a file that validated is stored (so no
alias bomb); a value JSON would not give back as it was (a date) keeps the file out of the cache.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from taskctl import __version__
from taskctl.user_cache import read_private, write_private
from taskctl.yamltree import YamlMapping

FORMAT = 1

Tree = tuple[Any, int]
"""What ``config.load_yaml`` returns: the document (mappings are ``YamlMapping``) and the line it starts on."""


def cache_file(cache_dir: Path, profiles_path: Path) -> Path:
    name = hashlib.sha256(str(profiles_path.absolute()).encode("utf-8", "surrogateescape")).hexdigest()[:32]
    return cache_dir / "profiles" / f"{name}.json"


def load(cache_dir: Path, profiles_path: Path, data: bytes) -> Tree | None:
    """The tree cached for exactly these bytes of the file, or None."""
    raw = read_private(cache_file(cache_dir, profiles_path))
    if raw is None:
        return None
    try:
        cached = json.loads(raw)
        if cached["format"] != FORMAT or cached["taskctl"] != __version__ or cached["digest"] != _digest(data):
            return None
        return _decode(cached["tree"]), int(cached["line"])
    except (ValueError, TypeError, KeyError, IndexError, RecursionError):
        return None


def store(cache_dir: Path, profiles_path: Path, data: bytes, tree: Tree) -> None:
    try:
        encoded = _encode(tree[0])
    except _NotCacheable:
        return
    document = {"format": FORMAT, "taskctl": __version__, "digest": _digest(data), "line": tree[1], "tree": encoded}
    write_private(cache_file(cache_dir, profiles_path), json.dumps(document, separators=(",", ":")).encode())


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class _NotCacheable(Exception):
    pass


_SCALARS = (str, int, float, bool, type(None))


def _encode(value: Any) -> Any:
    """JSON for the tree: a mapping is ``{"l": line, "k": [[key, key line, value], ...]}`` (keys may be numbers,
    booleans or null), a list a list, a scalar itself."""
    if isinstance(value, YamlMapping):
        if not all(isinstance(key, _SCALARS) for key in value):
            raise _NotCacheable
        return {"l": value.line, "k": [[key, value.key_lines.get(key, value.line), _encode(item)]
                                        for key, item in value.items()]}
    if isinstance(value, list):
        return [_encode(item) for item in value]
    if isinstance(value, _SCALARS):
        return value
    raise _NotCacheable  # a date or time, or anything else JSON would not give back as it was


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        mapping = YamlMapping(int(value["l"]))
        for key, line, item in value["k"]:
            mapping[key] = _decode(item)
            mapping.key_lines[key] = int(line)
        return mapping
    if isinstance(value, list):
        return [_decode(item) for item in value]
    if isinstance(value, _SCALARS):
        return value
    raise TypeError(type(value).__name__)
