"""Make server text inert before it reaches a terminal.

Control characters are shown visibly (C0 and DEL in caret notation like ``cat -v``: ESC is ``^[``; C1 as
``M-^[``), bidirectional overrides as ``<U+202E>``, and text is wrapped in ``rich.text.Text`` so that rich
markup inside it (``[bold]``, ``[link=...]``) is printed literally instead of interpreted.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

if TYPE_CHECKING:
    from rich.text import Text

# What is not allowed in a URL: neither RFC 3986 nor an IRI's non-ASCII text (from U+00A0); bidi controls are refused
# separately. The complement is written out: a class over the whole of Unicode costs 3 ms to compile.
_NOT_URL_CHARACTERS = re.compile(r'[\x00-\x20"<>\\^`{|}\x7f-\x9f]')
_BIDI = "\\u061c\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069"  # marks, embeddings, overrides, isolates
UNSAFE_CHARACTERS = f"\\x00-\\x1f\\x7f-\\x9f{_BIDI}\\u2028\\u2029"
"""The characters a terminal acts on or that disguise text (a regex character-class body): C0, DEL, C1, bidi
controls, line and paragraph separators. Views show them visibly; file names replace them."""
_UNSAFE = re.compile(f"[{UNSAFE_CHARACTERS}]")
ESCAPE_IN_QUOTES = re.compile(f"[\\x7f-\\x9f{_BIDI}\\u2028\\u2029]")
"""What a JSON or YAML emitter may leave raw inside a quoted string although a terminal acts on it (they escape
C0 themselves): such text is written as ``\\uXXXX`` escapes, which read back as the same string."""


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20:
        return "^" + chr(code + 0x40)
    if code == 0x7F:
        return "^?"
    if code <= 0x9F:
        return "M-^" + chr(code - 0x80 + 0x40)
    return f"<U+{code:04X}>"


def inert(text: str) -> str:
    """The same text with every terminal control character replaced by a visible form."""
    return _UNSAFE.sub(_visible, text)


def safe_text(text: str, style: str = "") -> Text:
    """A rich Text that shows ``text`` literally: no markup, no control characters."""
    from rich.text import Text

    return Text(inert(text), style=style)


def shorten_url(url: str, limit: int = 36) -> str:
    """A human-sized name for a long link: its last path segment, query dropped, e.g. ``…/b4_thumb.jpg``."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return _ellipsize(url, limit)
    name = unquote(parts.path).rstrip("/").rsplit("/", 1)[-1]
    if not name:
        return _ellipsize(parts.netloc, limit)
    with_host = f"{parts.netloc}/…/{name}"
    return with_host if len(with_host) <= limit else "…/" + _ellipsize(name, limit - 2)


def link_target(url: str) -> str | None:
    """The URL itself when it is safe to make a terminal hyperlink of: http(s) with a host, and nothing but the
    characters RFC 3986 allows in a URL, or non-ASCII text (so no control character, no space, and none of the
    ``^[`` or ``<U+202E>`` that ``inert`` shows a control as)."""
    if url.startswith(("http://", "https://")) and urlsplit(url).netloc and not _NOT_URL_CHARACTERS.search(url) \
            and not _UNSAFE.search(url):
        return url
    return None


def _ellipsize(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    keep = limit - 1
    return text[: keep // 2] + "…" + text[len(text) - (keep - keep // 2):]
