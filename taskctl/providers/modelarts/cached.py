"""JSON objects in taskctl's private user cache (``taskctl.user_cache``): read as {} when absent or in doubt."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from taskctl.user_cache import read_private, write_private


def read_json(path: Path) -> dict[str, Any]:
    data = read_private(path)
    try:
        value = json.loads(data) if data else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def write_json(path: Path, value: Mapping[str, Any]) -> None:
    write_private(path, json.dumps(value).encode())


def remove(path: Path) -> bool:
    """Delete ``path``; False when there was nothing to delete."""
    with contextlib.suppress(OSError):
        path.unlink()
        return True
    return False
