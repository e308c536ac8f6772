"""Hiding secrets in text: known values in every encoding a server echoes them in, and signature parameters."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable
from functools import cache
from typing import NamedTuple
from urllib.parse import unquote_plus, urlsplit

# Query parameters that carry a signature or a token: pre-signed storage URLs (S3 `X-Amz-Signature`, OBS
# `Signature`, Azure SAS `sig`, GCS `X-Goog-Signature`) and their temporary-credential tokens.
SECRET_QUERY_PARAMS = frozenset({"sig", "signature", "x-amz-signature", "x-amz-security-token", "x-goog-signature",
                                 "x-obs-security-token", "security-token", "token", "access_token"})
# JSON fields that hold a secret whatever its length; each provider adds its own (ProviderSpec.secret_fields),
# which are also secret as query parameters.
SECRET_FIELDS = frozenset({"access_token", "password", "secret_key"})
MIN_SECRET_LENGTH = 4  # very short values would redact innocent text; real tokens are long


def _secret_params() -> frozenset[str]:
    from taskctl import providers

    return _with(SECRET_QUERY_PARAMS, providers.secret_fields())


def _secret_fields() -> frozenset[str]:
    from taskctl import providers

    return _with(SECRET_FIELDS, providers.secret_fields())


@cache
def _with(names: frozenset[str], more: frozenset[str]) -> frozenset[str]:
    """One object per union, so the patterns below are found in their cache by a hash computed once."""
    return names | more


@cache
def _query_in_text(names: frozenset[str]) -> re.Pattern[str]:
    """The parameters inside any traced text (a task object holding a pre-signed link), also as JSON encoders
    that escape & and = (Gson: \\u0026, \\u003d) write them."""
    return re.compile(r"((?:[?&;]|\\u0026|%26)(?:" + "|".join(re.escape(name) for name in sorted(names)) +
                      r")(?:=|\\u003[dD]|%3[dD]))[^&#\s\"'<>\\]+", re.IGNORECASE)


@cache
def _fields_in_json(names: frozenset[str]) -> re.Pattern[str]:
    """Those JSON body fields in traced request bodies."""
    return re.compile(r'("(?:' + "|".join(re.escape(name) for name in sorted(names)) + r')"\s*:\s*)"(?:[^"\\]|\\.)*"')


def _is_secret_param(pair: str) -> bool:
    return unquote_plus(pair.split("=", 1)[0]).lower() in _secret_params()


def secret_query_values(url: str) -> list[str]:
    """The values of a URL's signature/token query parameters, as written in it and percent-decoded."""
    values: list[str] = []
    try:
        query = urlsplit(url).query
    except ValueError:  # a malformed URL (bad brackets): its query is still the text after '?'
        query = url.partition("?")[2].partition("#")[0]
    for pair in query.split("&"):
        if "=" in pair and _is_secret_param(pair):
            value = pair.split("=", 1)[1]
            values += [value, unquote_plus(value)]
    return [value for value in values if value]


def redact_query(url: str) -> str:
    """The URL with the values of its signature/token query parameters shown as ***."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if not parts.query:
        return url
    pairs = [pair.split("=", 1)[0] + "=***" if "=" in pair and _is_secret_param(pair) else pair
             for pair in parts.query.split("&")]
    return parts._replace(query="&".join(pairs)).geturl()


# One escaped character as servers write them: JSON (\\uXXXX, \\/, \\", \\\\), percent-encoding, HTML references;
# and one character that is invisible or a control, which a server (or a line break in a log) may put inside a
# secret: it stands for nothing.
_INVISIBLE = ("\x00-\x1f\x7f-\x9f\u00ad\u034f\u115f\u1160\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064"
              "\u2066-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff9-\ufffb\U000e0000-\U000e007f")
_IS_INVISIBLE = re.compile(f"[{_INVISIBLE}]")
_PERCENT_UTF8 = (r"%[cCdD][0-9a-fA-F]%[89abAB][0-9a-fA-F]|%[eE][0-9a-fA-F](?:%[89abAB][0-9a-fA-F]){2}"
                 r"|%[fF][0-7](?:%[89abAB][0-9a-fA-F]){3}")
_ESCAPE = re.compile(r'\\u[0-9a-fA-F]{4}|\\u\{[0-9a-fA-F]{1,6}\}|\\x[0-9a-fA-F]{2}|\\["\\/bfnrt]|%u[0-9a-fA-F]{4}'
                     f"|{_PERCENT_UTF8}"
                     r'|%[0-9a-fA-F]{2}|&#[xX][0-9a-fA-F]{1,8};?|&#[0-9]{1,8};?|&[a-zA-Z]{2,8};'
                     f"|[{_INVISIBLE}]")
_JSON_CONTROLS = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


def _unescape(unit: str) -> str:
    """The character one escape stands for (percent-encoded bytes above 0x7f as Latin-1: see ``_forms``); an
    invisible or control character, escaped or not, stands for nothing."""
    char = _decode_unit(unit)
    return "" if len(char) == 1 and _IS_INVISIBLE.fullmatch(char) else char


def _decode_unit(unit: str) -> str:
    if len(unit) == 1:
        return unit
    if unit.startswith(("\\u{", "\\x", "%u", "\\u")):
        code = int(unit.strip("\\ux%{}"), 16)
        return chr(code) if code <= 0x10FFFF else unit
    if unit.startswith("\\"):
        return _JSON_CONTROLS.get(unit[1], unit[1])
    if unit.startswith("%") and len(unit) > 3:  # one character's UTF-8 bytes
        return bytes.fromhex(unit.replace("%", "")).decode("utf-8", "replace")
    if unit.startswith("%"):
        return chr(int(unit[1:], 16))
    if unit[1] != "#":  # a named HTML reference: &shy; &amp; ...
        from html import unescape

        return unescape(unit)
    hexadecimal = unit[2] in "xX"
    code = int(unit[3 if hexadecimal else 2:].rstrip(";"), 16 if hexadecimal else 10)
    return chr(code) if code <= 0x10FFFF else unit


def _forms(secret: str) -> set[str]:
    """A secret as it reads once every escape in a text is undone: itself, its UTF-8 bytes (percent-encoded
    non-ASCII), its UTF-16 code units (JSON escapes surrogate pairs), its own escapes undone."""
    utf16 = secret.encode("utf-16-be", "surrogatepass")
    units = "".join(chr(int.from_bytes(utf16[i:i + 2], "big")) for i in range(0, len(utf16), 2))
    # A secret that itself looks escaped (a literal %41) reads unescaped too.
    return {secret, secret.encode("utf-8", "surrogateescape").decode("latin-1"), units, _Unescaped.of(secret).text}


class _Unescaped(NamedTuple):
    """A text with its escapes undone, and where each piece of it came from in the original."""

    text: str
    starts: list[int]  # start of each piece in ``text``
    pieces: list[tuple[int, int, bool]]  # (start, end) in the original, and whether the piece is literal

    @classmethod
    def of(cls, original: str) -> _Unescaped:
        chunks: list[str] = []
        starts: list[int] = []
        pieces: list[tuple[int, int, bool]] = []
        length, position = 0, 0
        for match in _ESCAPE.finditer(original):
            if match.start() > position:
                starts.append(length)
                pieces.append((position, match.start(), True))
                chunks.append(original[position:match.start()])
                length += match.start() - position
            starts.append(length)
            pieces.append((match.start(), match.end(), False))
            chunks.append(_unescape(match.group()))
            length += len(chunks[-1])
            position = match.end()
        starts.append(length)
        pieces.append((position, len(original), True))
        chunks.append(original[position:])
        return cls("".join(chunks), starts, pieces)

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original span of ``text[start:end]``."""
        first, last = bisect_right(self.starts, start) - 1, bisect_right(self.starts, end - 1) - 1
        begin, _stop, literal = self.pieces[first]
        origin_start = begin + (start - self.starts[first]) if literal else begin
        begin, stop, literal = self.pieces[last]
        origin_end = begin + (end - self.starts[last]) if literal else stop
        return origin_start, origin_end


class Redactor:
    """Replaces every known secret value in text with ***, however a server escaped or encoded it."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: list[str] = []
        self._needles: frozenset[str] = frozenset()  # every form of every secret, lower case: see _hide_disguised
        self.add(*secrets)

    def add(self, *secrets: str) -> None:
        given = {secret for secret in secrets if secret and len(secret) >= MIN_SECRET_LENGTH}
        new = (given | {encoded for secret in given for encoded in _base64_forms(secret)}) - set(self._secrets)
        if new:  # longest first: a secret that contains another is hidden whole
            self._secrets = sorted({*self._secrets, *new}, key=len, reverse=True)
            # Once per secret, not per string shown: a table of a hundred strings paid this a hundred times.
            self._needles = self._needles | {_lower(form) for secret in new for form in _forms(secret)}

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        if self._secrets:
            text = self._hide_disguised(text)
        return _fields_in_json(_secret_fields()).sub(r'\1"***"', text)

    def _hide_disguised(self, text: str) -> str:
        """Secrets escaped, encoded, with invisible characters inside, or in another letter case."""
        unescaped = _Unescaped.of(text)
        haystack = _lower(unescaped.text)
        spans: list[tuple[int, int]] = []
        for needle in self._needles:
            at = haystack.find(needle)
            while at >= 0:
                spans.append(unescaped.span(at, at + len(needle)))
                at = haystack.find(needle, at + len(needle))
        for start, end in _merged(spans)[::-1]:
            text = text[:start] + "***" + text[end:]
        return text


def _base64_forms(secret: str) -> set[str]:
    """The secret base64-encoded (standard and URL-safe alphabets) wherever it starts in the encoded bytes (an
    echoed `Basic` header encodes "user:" before it): the characters that depend on its bytes alone, for each of
    the three offsets; and its hex digits (the search ignores case)."""
    raw = secret.encode("utf-8", "surrogateescape")  # a secret from the environment may hold any byte
    if len(raw) < 8:
        return set()
    import base64

    forms = {raw.hex()}
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + raw).decode()
        core = encoded[-(-offset * 8 // 6):((offset + len(raw)) * 8) // 6]
        forms |= {core, core.replace("+", "-").replace("/", "_")}
    return {form for form in forms if len(form) >= MIN_SECRET_LENGTH}


def _lower(text: str) -> str:
    """Lower case, one character for one: U+0130 is the only character whose str.lower() is longer."""
    return text.replace("\u0130", "i").lower()


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def redact_signature_params(text: str) -> str:
    """Signature and token query parameters inside any text, shown as ***."""
    return _query_in_text(_secret_params()).sub(r"\1***", text)
