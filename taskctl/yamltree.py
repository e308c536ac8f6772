"""The profiles file's YAML as plain values: mappings that remember the line of each key."""

from __future__ import annotations

from typing import Any


class YamlMapping(dict):  # type: ignore[type-arg]
    """A mapping from the file that remembers the 1-based line of each of its keys."""

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.key_lines: dict[Any, int] = {}


def shorten(text: str, limit: int = 80) -> str:
    """Text from the file as a message quotes it: at most ``limit`` characters."""
    return text if len(text) <= limit else text[:limit - 3] + "..."
