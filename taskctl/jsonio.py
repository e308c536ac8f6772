"""JSON that round-trips a service's values unchanged.

``json.loads`` already keeps key order and exact integers; floats are the exception (``1.10`` would come
back as ``1.1``), so they are parsed into ``RawNumber``, a float that remembers the text it came from, and
written back from that text.
"""

from __future__ import annotations

import json
from typing import Any

from taskctl.render.safe import ESCAPE_IN_QUOTES


class RawNumber(float):
    """A float that remembers its exact source text (``1.10``, ``1e400``, ``NaN``)."""

    text: str

    def __new__(cls, text: str) -> RawNumber:
        number = super().__new__(cls, text)
        number.text = text
        return number


class RawInt(int):
    """An integer whose text ``int()`` would not give back (``-0``)."""

    text: str

    def __new__(cls, text: str) -> RawInt:
        number = super().__new__(cls, text)
        number.text = text
        return number


def _parse_int(text: str) -> int:
    return RawInt(text) if text == "-0" else int(text)


def loads(text: str) -> Any:
    """Parse JSON text, keeping every number exactly as written. Raises ``ValueError`` on bad JSON."""
    return json.loads(text, parse_float=RawNumber, parse_int=_parse_int, parse_constant=RawNumber)


def dumps(value: Any, indent: int | None = 2) -> str:
    """Serialize what ``loads`` returned, writing numbers back as they were received."""
    if _plain(value):  # the json module's C encoder writes the same text, four times faster
        return _escape_unsafe(json.dumps(value, indent=indent, ensure_ascii=False))
    return _dumps_exactly(value, indent)


def _dumps_exactly(value: Any, indent: int | None) -> str:
    parts: list[str] = []
    _write(value, parts, indent, 0)
    return "".join(parts)


_PLAIN_SCALARS = frozenset({str, int, bool, float, type(None)})


def _plain(value: Any) -> bool:
    """Nothing ``json.dumps`` would write differently from ``_write``: no RawNumber or RawInt (their text is
    theirs), no key other than a string (``_write`` writes True as "True"), no other type."""
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is dict:
            if not all(type(key) is str for key in item):
                return False
            stack.extend(item.values())
        elif kind is list or kind is tuple:
            stack.extend(item)
        elif kind not in _PLAIN_SCALARS:
            return False
    return True


def _write(value: Any, out: list[str], indent: int | None, level: int) -> None:
    if isinstance(value, RawNumber | RawInt):
        out.append(value.text)
    elif isinstance(value, dict):
        _write_container([(_string(str(k)) + ": ", v) for k, v in value.items()],
                         "{", "}", out, indent, level)
    elif isinstance(value, list | tuple):
        _write_container([("", v) for v in value], "[", "]", out, indent, level)
    elif isinstance(value, str):
        out.append(_string(value))
    else:
        out.append(json.dumps(value, ensure_ascii=False))


# Characters json.dumps(ensure_ascii=False) leaves raw that a terminal may act on: DEL, C1, bidi controls
# (the one list, in render/safe.py).
TERMINAL_UNSAFE = ESCAPE_IN_QUOTES


def _string(value: str) -> str:
    """A JSON string literal; characters a terminal could act on are written as \\u escapes (same value)."""
    return _escape_unsafe(json.dumps(value, ensure_ascii=False))


def _escape_unsafe(text: str) -> str:
    """Such characters occur only inside JSON strings, where a \\uXXXX escape reads back as the same string."""
    return TERMINAL_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _write_container(items: list[tuple[str, Any]], opening: str, closing: str, out: list[str],
                     indent: int | None, level: int) -> None:
    if not items:
        out.append(opening + closing)
        return
    inner = "" if indent is None else "\n" + " " * (indent * (level + 1))
    separator = ", " if indent is None else ","
    out.append(opening)
    for position, (prefix, item) in enumerate(items):
        out.append((separator if position else "") + inner + prefix)
        _write(item, out, indent, level + 1)
    out.append("" if indent is None else "\n" + " " * (indent * level))
    out.append(closing)


def describe_value(value: Any) -> str:
    """Any JSON value as one line of text for a human view (not for --json)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, RawNumber | RawInt):
        return value.text
    if isinstance(value, str | int | float):
        return str(value)
    if isinstance(value, list) and all(not isinstance(v, dict | list) for v in value):
        return ", ".join(describe_value(v) for v in value)
    return dumps(value, indent=None)


def json_type(value: Any) -> str:
    """The JSON name of a value's type, for messages about a response's shape."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "a list" if isinstance(value, list) else "an object"


def code_number(value: Any) -> int | None:
    """An error code as a number: an integer, an integral float, or a string of digits; None otherwise
    (1e309, NaN, "1e3", "²", booleans and objects included)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None  # inf and nan are not integers
    if isinstance(value, str):
        text = value.strip()
        digits = text[1:] if text[:1] == "-" else text
        return int(text) if digits.isascii() and digits.isdigit() and len(digits) <= 18 else None
    return None


def as_int(value: Any) -> int | None:
    """A JSON integer as an int; None for anything else (booleans included)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None
