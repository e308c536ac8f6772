"""The YAML document ``-o yaml`` writes, without importing PyYAML (~10 ms of start-up).

``emit`` writes a raw task object (what ``jsonio.loads`` returns, strings already redacted) exactly as
``yaml.dump(value, Dumper=<SafeDumper with the representers of render/yaml.py>, sort_keys=False,
allow_unicode=True, default_flow_style=False, explicit_start=True, width=100)`` does, byte for byte: the same
layout, the same choice of plain, single- or double-quoted style per string (PyYAML 6's ``analyze_scalar``,
``choose_scalar_style`` and its YAML 1.1 implicit resolvers), the same line folding at ``width``. The writers
below are ports of PyYAML's ``Emitter`` (``write_indent``, ``write_plain``, ``write_single_quoted``,
``write_double_quoted``). What it does not reproduce it declines (``None``), and the caller uses PyYAML: a value
of another type, a container that occurs twice (PyYAML writes an anchor), a key that is not a string or that
PyYAML writes as a complex ``? key``, a number whose text would need an explicit tag, a document that is not a
mapping or a list. tests/test_yaml_emit.py compares both on random trees.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from taskctl.jsonio import RawInt, RawNumber
from taskctl.render.safe import ESCAPE_IN_QUOTES

WIDTH = 100
INDENT = 2
STR, INT, FLOAT, BOOL, NULL = "str", "int", "float", "bool", "null"
_BREAKS = "\n\x85\u2028\u2029"
_WHITESPACE = "\0 \t\r" + _BREAKS
# Regular expressions, compiled when first needed (``_compiled``): a class over much of Unicode takes ms.
# What PyYAML (allow_unicode) cannot write raw in a plain or single-quoted scalar: C0 but LF, DEL, C1 but NEL,
# surrogates, BOM and the non-characters U+FFFE, U+FFFF, U+10FFFF.
_SPECIAL = "[\x00-\x09\x0b-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufeff\ufffe\uffff\U0010ffff]"
_BREAK_NEXT_TO_SPACE = f"[{_BREAKS}] | [{_BREAKS}]"
# What PyYAML writes as an escape in a double-quoted scalar: '"', backslash, C0, DEL, C1, line and paragraph
# separators, surrogates, BOM, U+FFFE, U+FFFF and everything past the BMP.
_DOUBLE_ESCAPED = '["\\\\\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff\U00010000-\U0010ffff]'
_ESCAPES = {"\0": "0", "\x07": "a", "\x08": "b", "\x09": "t", "\x0a": "n", "\x0b": "v", "\x0c": "f", "\x0d": "r",
            "\x1b": "e", '"': '"', "\\": "\\", "\x85": "N", "\xa0": "_", "\u2028": "L", "\u2029": "P"}


class _Declined(Exception):
    """The value holds something this emitter does not write exactly as PyYAML does."""


def emit(value: Any) -> str | None:
    """``value`` as PyYAML writes it (see the module docstring), or None where that is not certain."""
    if type(value) is not dict and type(value) is not list:
        return None
    writer = _Writer()
    writer.indicator("---", True)
    try:
        _node(writer, value, None, mapping_value=False)
    except (_Declined, RecursionError, ValueError):  # ValueError: an int past str()'s digit limit
        return None  # PyYAML writes it, or fails on it as it always did
    writer.indent(0)
    return "".join(writer.parts)


def float_text(text: str) -> str:
    """JSON number text as a YAML 1.1 float that reads back as the same number."""
    lowered = text.lower()
    special = {"nan": ".nan", "infinity": ".inf", "-infinity": "-.inf"}
    if lowered in special:
        return special[lowered]
    if "e" in lowered and "." not in lowered.split("e")[0]:
        mantissa, exponent = lowered.split("e")
        return f"{mantissa}.0e{exponent if exponent[:1] in '+-' else '+' + exponent}"
    if "e" in lowered:
        mantissa, exponent = lowered.split("e")
        return f"{mantissa}e{exponent if exponent[:1] in '+-' else '+' + exponent}"
    return text


class _Writer:
    """The output and PyYAML's ``Emitter`` state that decides spaces and line breaks: the column, whether the
    last character written was whitespace, and whether it was indentation (spaces, ``-``)."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.column = 0
        self.whitespace = True
        self.indention = True
        self.seen: set[int] = set()

    def put(self, data: str) -> None:
        self.parts.append(data)
        self.column += len(data)

    def indicator(self, indicator: str, need_whitespace: bool, whitespace: bool = False,
                  indention: bool = False) -> None:
        self.put(indicator if self.whitespace or not need_whitespace else " " + indicator)
        self.whitespace = whitespace
        self.indention = self.indention and indention

    def indent(self, indent: int) -> None:
        if not self.indention or self.column > indent or (self.column == indent and not self.whitespace):
            self.line_break()
        if self.column < indent:
            self.whitespace = True
            self.put(" " * (indent - self.column))

    def line_break(self, data: str = "\n") -> None:
        self.parts.append(data)
        self.whitespace = True
        self.indention = True
        self.column = 0


def _node(writer: _Writer, value: Any, indent: int | None, mapping_value: bool) -> None:
    kind = type(value)
    if kind is dict or kind is list:
        if id(value) in writer.seen:  # PyYAML would write an anchor and an alias
            raise _Declined
        writer.seen.add(id(value))
        if not value:
            writer.indicator("{" if kind is dict else "[", True, whitespace=True)
            writer.indicator("}" if kind is dict else "]", False)
        elif kind is dict:
            _mapping(writer, value, 0 if indent is None else indent + INDENT)
        else:
            indentless = mapping_value and not writer.indention
            _sequence(writer, value, 0 if indent is None else indent if indentless else indent + INDENT)
        return
    tag, text = _scalar(value)
    _write_scalar(writer, tag, text, (indent or 0) + INDENT, simple_key=False)


def _mapping(writer: _Writer, mapping: dict[Any, Any], indent: int) -> None:
    for key, item in mapping.items():
        writer.indent(indent)
        if type(key) is not str or not _simple_key(key):
            raise _Declined
        _write_scalar(writer, STR, key, indent + INDENT, simple_key=True)
        writer.indicator(":", False)
        _node(writer, item, indent, mapping_value=True)


def _sequence(writer: _Writer, sequence: list[Any], indent: int) -> None:
    for item in sequence:
        writer.indent(indent)
        writer.indicator("-", True, indention=True)
        _node(writer, item, indent, mapping_value=False)


def _simple_key(key: str) -> bool:
    """Whether PyYAML writes ``key`` as a simple key (``key: value``; else ``? key``): under 128 characters
    with its tag (``!!str``), neither empty nor multi-line."""
    return bool(key) and len(key) + len("!!str") < 128 and not any(ch in key for ch in _BREAKS)


def _scalar(value: Any) -> tuple[str, str]:
    """The tag and text the representers give a scalar (render/yaml.py's, SafeRepresenter's)."""
    kind = type(value)
    if kind is str:
        return STR, value
    if kind is bool:
        return BOOL, "true" if value else "false"
    if value is None:
        return NULL, "null"
    if kind is int:
        return INT, str(value)
    if kind is RawInt:
        return INT, value.text
    if kind is RawNumber:
        return FLOAT, float_text(value.text)
    raise _Declined


def _write_scalar(writer: _Writer, tag: str, text: str, indent: int, simple_key: bool) -> None:
    """One scalar in the style PyYAML chooses; ``indent`` is where its continuation lines start."""
    style = _style(tag, text, simple_key)
    if style == "":
        _plain(writer, text, indent, split=not simple_key)
    elif style == "'":
        _single_quoted(writer, text, indent, split=not simple_key)
    else:
        _double_quoted(writer, text, indent, split=not simple_key)


def _style(tag: str, text: str, simple_key: bool) -> str:
    """PyYAML's ``choose_scalar_style``: "" (plain), "'" or '"'. render/yaml.py forces double quotes on a string
    with a character a terminal acts on; a scalar of another tag is written plain or not at all here (PyYAML
    would add its tag)."""
    if tag == STR and ESCAPE_IN_QUOTES.search(text):
        return '"'
    multiline = any(ch in text for ch in _BREAKS)
    allow_plain, allow_single_quoted = _allowed_styles(text, multiline)
    if allow_plain and _implicit_tag(text) == tag and not (simple_key and (not text or multiline)):
        return ""
    if tag != STR:
        raise _Declined
    return "'" if allow_single_quoted and not (simple_key and multiline) else '"'


def _allowed_styles(text: str, multiline: bool) -> tuple[bool, bool]:
    """PyYAML's ``analyze_scalar`` in block context: whether ``text`` may be plain, and single-quoted."""
    if not text:
        return True, True
    if not (text.isascii() and text.isprintable()) and (  # printable ASCII: neither special nor a break
            _compiled(_SPECIAL).search(text) or (multiline and _compiled(_BREAK_NEXT_TO_SPACE).search(text))):
        return False, False
    edges = text[0] + text[-1]
    return not (multiline or " " in edges or _block_indicators(text)), True


def _block_indicators(text: str) -> bool:
    """Whether ``text`` holds what a plain scalar in block context cannot: a leading indicator, ``: ``, `` #``."""
    if text.startswith(("---", "...")) or text[0] in "#,[]{}&*!|>'\"%@`":
        return True
    if text[0] in "?:-" and (len(text) == 1 or text[1] in _WHITESPACE):
        return True
    # ": " or " #" inside: asked only of a text without special characters or breaks, whose whitespace is spaces
    return ": " in text or text.endswith(":") or " #" in text


def _implicit_tag(text: str) -> str:
    """The tag a plain scalar ``text`` reads back as (PyYAML's YAML 1.1 implicit resolvers, in their order).
    Only asked of a text without line breaks, so a word list is the same test as PyYAML's ``^(?:...)$``."""
    if text.isdigit() and text.isascii():  # an id, a date in digits: skip compiling the float, int, date patterns
        return INT if text[0] != "0" or not text.strip("01234567") else STR  # decimal, octal (0...) or neither
    for tag in _RESOLVERS_BY_FIRST.get(text[:1], ()):
        words = _RESOLVER_WORDS.get(tag)
        if text in words if words is not None else _resolver(tag).match(text):
            return tag
    return STR


_RESOLVER_FIRSTS = ((BOOL, "yYnNtTfFoO"), (FLOAT, "-+0123456789."), (INT, "-+0123456789"), ("merge", "<"),
                    (NULL, "~nN"), ("timestamp", "0123456789"), ("value", "="), ("yaml", "!&*"))
_RESOLVERS_BY_FIRST: dict[str, tuple[str, ...]] = {
    first: tuple(tag for tag, firsts in _RESOLVER_FIRSTS if first in firsts)
    for first in {first for _tag, firsts in _RESOLVER_FIRSTS for first in firsts}
}
_RESOLVERS_BY_FIRST[""] = (NULL,)


_RESOLVER_WORDS = {
    BOOL: frozenset(("yes", "Yes", "YES", "no", "No", "NO", "true", "True", "TRUE", "false", "False", "FALSE",
                     "on", "On", "ON", "off", "Off", "OFF")),
    NULL: frozenset(("~", "null", "Null", "NULL", "")), "merge": frozenset(("<<",)), "value": frozenset(("=",)),
    "yaml": frozenset(("!", "&", "*")),
}


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


@cache
def _resolver(tag: str) -> re.Pattern[str]:
    """PyYAML's ``yaml/resolver.py`` regular expressions for numbers and dates, compiled when first needed."""
    patterns = {
        FLOAT: r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?
                    |\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?
                    |[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*
                    |[-+]?\.(?:inf|Inf|INF)
                    |\.(?:nan|NaN|NAN))$""",
        INT: r"""^(?:[-+]?0b[0-1_]+
                    |[-+]?0[0-7_]+
                    |[-+]?(?:0|[1-9][0-9_]*)
                    |[-+]?0x[0-9a-fA-F_]+
                    |[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$""",
        "timestamp": r"""^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]
                    |[0-9][0-9][0-9][0-9] -[0-9][0-9]? -[0-9][0-9]?
                     (?:[Tt]|[ \t]+)[0-9][0-9]?
                     :[0-9][0-9] :[0-9][0-9] (?:\.[0-9]*)?
                     (?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$""",
    }
    return re.compile(patterns[tag], re.X)


def _plain(writer: _Writer, text: str, indent: int, split: bool) -> None:
    """PyYAML's ``write_plain`` (a plain scalar never holds a line break): folded at a single space past
    ``WIDTH``."""
    if not text:
        return
    if not writer.whitespace:
        writer.put(" ")
    writer.whitespace = writer.indention = False
    if not split or " " not in text or writer.column + len(text) <= WIDTH:
        writer.put(text)
        return
    spaces = False
    start = 0
    for end in range(len(text) + 1):
        ch = text[end] if end < len(text) else None
        if spaces:
            if ch != " ":
                if start + 1 == end and writer.column > WIDTH:
                    writer.indent(indent)
                    writer.whitespace = writer.indention = False
                else:
                    writer.put(text[start:end])
                start = end
        elif ch is None or ch == " ":
            writer.put(text[start:end])
            start = end
        spaces = ch == " "


def _single_quoted(writer: _Writer, text: str, indent: int, split: bool) -> None:
    """PyYAML's ``write_single_quoted``: ``'`` doubled, folded at a single inner space past ``WIDTH``, a run of
    line breaks written with one more."""
    writer.indicator("'", True)
    quoted = text.replace("'", "''")
    if not any(ch in text for ch in _BREAKS) and (not split or writer.column + len(quoted) <= WIDTH):
        writer.put(quoted)
    else:
        _single_quoted_lines(writer, text, indent, split)
    writer.indicator("'", False)


def _single_quoted_lines(writer: _Writer, text: str, indent: int, split: bool) -> None:
    spaces = breaks = False
    start = end = 0
    while end <= len(text):
        ch = text[end] if end < len(text) else None
        if spaces:
            if ch != " ":
                if start + 1 == end and writer.column > WIDTH and split and start != 0 and end != len(text):
                    writer.indent(indent)
                else:
                    writer.put(text[start:end])
                start = end
        elif breaks:
            if ch is None or ch not in _BREAKS:
                if text[start] == "\n":
                    writer.line_break()
                for line_break in text[start:end]:
                    writer.line_break(line_break)
                writer.indent(indent)
                start = end
        elif (ch is None or ch in " '" + _BREAKS) and start < end:
            writer.put(text[start:end])
            start = end
        if ch == "'":
            writer.put("''")
            start = end + 1
        if ch is not None:
            spaces, breaks = ch == " ", ch in _BREAKS
        end += 1


def _double_quoted(writer: _Writer, text: str, indent: int, split: bool) -> None:
    """PyYAML's ``write_double_quoted``: escapes, and folding past ``WIDTH`` with a ``\\`` at the line end."""
    writer.indicator('"', True)
    escaped = _compiled(_DOUBLE_ESCAPED).sub(lambda match: _escape(match.group()), text)
    if not split or writer.column + len(escaped) <= WIDTH:
        writer.put(escaped)
    else:
        _double_quoted_lines(writer, text, indent)
    writer.indicator('"', False)


def _double_quoted_lines(writer: _Writer, text: str, indent: int) -> None:
    start = end = 0
    while end <= len(text):
        ch = text[end] if end < len(text) else None
        if ch is None or _compiled(_DOUBLE_ESCAPED).match(ch):
            if start < end:
                writer.put(text[start:end])
                start = end
            if ch is not None:
                writer.put(_escape(ch))
                start = end + 1
        if 0 < end < len(text) - 1 and (ch == " " or start >= end) and writer.column + (end - start) > WIDTH:
            data = text[start:end] + "\\"
            if start < end:
                start = end
            writer.put(data)
            writer.indent(indent)
            writer.whitespace = writer.indention = False
            if text[start] == " ":
                writer.put("\\")
        end += 1


def _escape(ch: str) -> str:
    if ch in _ESCAPES:
        return "\\" + _ESCAPES[ch]
    if ch <= "\xff":
        return f"\\x{ord(ch):02X}"
    if ch <= "\uffff":
        return f"\\u{ord(ch):04X}"
    return f"\\U{ord(ch):08X}"
