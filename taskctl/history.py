"""The tasks this user has seen lately (through get, list and watch), kept per provider and profile so that TAB
can complete task ids without a request: ``$XDG_CACHE_HOME/taskctl/history.json`` (``~/.cache/...``), mode 0600.

Best effort and bounded: at most ``MAX_PER_PROFILE`` tasks a profile, each forgotten ``MAX_AGE`` seconds after it
was last seen; a missing, unreadable, malformed or not private file is an empty history, and a failure to write
one is ignored (a command never fails for its history; ``taskctl.user_cache`` reads and writes the file).
``TASKCTL_NO_HISTORY`` (any non-empty value) turns it off.
Standard library only: completion imports it on every TAB.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from taskctl.user_cache import read_private, user_cache_dir, write_private

MAX_PER_PROFILE = 200
MAX_AGE = 30 * 86400.0
MAX_TEXT = 80  # characters of a name kept for a completion's description


class Seen(NamedTuple):
    task_id: str
    name: str
    state: str
    seen: float  # epoch seconds


def history_path(environ: Mapping[str, str]) -> Path | None:
    """Where the history lives (None: turned off)."""
    if environ.get("TASKCTL_NO_HISTORY"):
        return None
    return user_cache_dir(environ) / "history.json"


def recent(environ: Mapping[str, str], provider: str, profile: str | None = None,
           now: float | None = None) -> list[Seen]:
    """The tasks of ``provider`` seen lately (through ``profile``; None: any profile), most recent first."""
    path = history_path(environ)
    if path is None:
        return []
    clock = time.time() if now is None else now
    profiles = _load(path).get(provider, {})
    chosen = [profiles.get(profile, [])] if profile is not None else list(profiles.values())
    entries: dict[str, Seen] = {}
    for entry in (item for items in chosen for item in items):
        if clock - entry.seen < MAX_AGE and entry.seen > entries.get(entry.task_id, entry._replace(seen=-1)).seen:
            entries[entry.task_id] = entry
    return sorted(entries.values(), key=lambda entry: entry.seen, reverse=True)


def remember(environ: Mapping[str, str], provider: str, profile: str, tasks: Iterable[tuple[str, str, str]],
             now: float | None = None) -> None:
    """Add ``(task_id, name, state)``s as seen now; drop what is expired or beyond the cap. Never raises."""
    path = history_path(environ)
    if path is None:
        return
    clock = time.time() if now is None else now
    try:
        data = _load(path)
        kept = {entry.task_id: entry for entry in data.setdefault(provider, {}).get(profile, [])
                if clock - entry.seen < MAX_AGE}
        for task_id, name, state in tasks:
            kept.pop(task_id, None)
            kept[task_id] = Seen(_clean(task_id, 200), _clean(name, MAX_TEXT), _clean(state, 20), clock)
        data[provider][profile] = sorted(kept.values(), key=lambda entry: entry.seen)[-MAX_PER_PROFILE:]
        _save(path, data)
    except (OSError, ValueError, TypeError):
        return


def _clean(text: str, limit: int) -> str:
    """Printable characters only (a name goes into a shell's completion menu), cut to ``limit``."""
    return "".join(char if char.isprintable() else " " for char in str(text))[:limit]


History = dict[str, dict[str, list[Seen]]]


def _load(path: Path) -> History:
    """The history in the file (a file that is not private to this user, too big or damaged: none)."""
    raw = read_private(path)
    try:
        return _parsed(json.loads(raw)) if raw else {}
    except ValueError:
        return {}


def _parsed(document: Any) -> History:
    """Only what has the expected shape; anything else is left out."""
    history: History = {}
    providers = document.get("providers") if isinstance(document, dict) and document.get("version") == 1 else None
    for provider, profiles in (providers.items() if isinstance(providers, dict) else ()):
        for profile, items in (profiles.items() if isinstance(profiles, dict) else ()):
            entries = [Seen(*item) for item in (items if isinstance(items, list) else ())
                       if isinstance(item, list) and len(item) == 4 and all(isinstance(v, str) for v in item[:3])
                       and isinstance(item[3], int | float)]
            history.setdefault(provider, {})[profile] = entries
    return history


def _save(path: Path, history: History) -> None:
    """Written whole to a private temporary file beside it, then renamed over it (``user_cache``)."""
    document = {"version": 1, "providers": {provider: {profile: [list(entry) for entry in entries]
                                                       for profile, entries in profiles.items()}
                                            for provider, profiles in history.items()}}
    write_private(path, json.dumps(document, separators=(",", ":")).encode())
