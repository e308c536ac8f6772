"""Hiding secrets in text: known values in every encoding a server echoes them in, and signature parameters."""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import unquote_plus, urlsplit

# Query parameters that carry a signature or a token: pre-signed storage URLs (S3 `X-Amz-Signature`, OBS
# `Signature`, Azure SAS `sig`, GCS `X-Goog-Signature`) and their temporary-credential tokens.
SECRET_QUERY_PARAMS = frozenset({"sig", "signature", "x-amz-signature", "x-amz-security-token", "x-goog-signature",
                                 "x-obs-security-token", "security-token", "token", "access_token", "kdstoken"})
MIN_SECRET_LENGTH = 4  # very short values would redact innocent text; real tokens are long

# The same parameters inside any traced text (a task object holding a pre-signed link), also as JSON
# encoders that escape & and = (Gson: \u0026, \u003d) write them.
_SECRET_QUERY_IN_TEXT = re.compile(
    r"((?:[?&;]|\\u0026|%26)(?:" + "|".join(re.escape(name) for name in sorted(SECRET_QUERY_PARAMS)) +
    r")(?:=|\\u003[dD]|%3[dD]))[^&#\s\"'<>\\]+", re.IGNORECASE)
# JSON body fields that hold a secret whatever its length (traced request bodies).
_SECRET_FIELDS = re.compile(r'("(?:kdstoken|access_token|password|secret_key)"\s*:\s*)"(?:[^"\\]|\\.)*"')


def _is_secret_param(pair: str) -> bool:
    return unquote_plus(pair.split("=", 1)[0]).lower() in SECRET_QUERY_PARAMS


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


def _char_forms(char: str) -> str:
    """A regex matching one character in any encoding a server commonly echoes text in.

    Literal; JSON ``\\uXXXX`` (any hex case, surrogate pairs above U+FFFF) and ``\\/``; percent-encoded UTF-8
    (``+`` for a space, as forms write it); HTML character references (``&#67;``, ``&#x43;``).
    """
    code = ord(char)
    utf16 = char.encode("utf-16-be")
    units = [int.from_bytes(utf16[i:i + 2], "big") for i in range(0, len(utf16), 2)]
    forms = [re.escape(char), "".join(rf"\\u(?i:{unit:04x})" for unit in units),
             "".join(rf"%(?i:{byte:02x})" for byte in char.encode("utf-8")),
             rf"&#0*{code};", rf"&#(?i:x)0*(?i:{code:x});"]
    if char == "/":
        forms.append(r"\\/")
    if char == " ":
        forms.append(r"\+")
    return "(?:" + "|".join(forms) + ")"


def secret_pattern(secret: str) -> str:
    return "".join(_char_forms(char) for char in secret)


class Redactor:
    """Replaces every known secret value in text with ***, however a server encoded it."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self.add(*secrets)

    def add(self, *secrets: str) -> None:
        new = {secret for secret in secrets if secret and len(secret) >= MIN_SECRET_LENGTH} - self._secrets
        if new:
            self._secrets |= new
            self._pattern = None

    def __call__(self, text: str) -> str:
        if self._secrets:
            if self._pattern is None:  # longest first: a secret that contains another is hidden whole
                longest_first = sorted(self._secrets, key=len, reverse=True)
                self._pattern = re.compile("|".join(secret_pattern(secret) for secret in longest_first))
            text = self._pattern.sub("***", text)
        return _SECRET_FIELDS.sub(r'\1"***"', text)


def redact_signature_params(text: str) -> str:
    """Signature and token query parameters inside any text, shown as ***."""
    return _SECRET_QUERY_IN_TEXT.sub(r"\1***", text)
