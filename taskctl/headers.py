"""What may travel in an HTTP header: checked where profiles are read and again before each request."""

from __future__ import annotations

import re

# An HTTP header name (RFC 9110 token): anything else would be refused by the HTTP library, or split the request.
HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")

HEADER_TEXT = "printable text without line breaks (ASCII or Latin-1: what an HTTP header carries)"


def is_header_text(value: str) -> bool:
    """Printable Latin-1: what a token can be and still travel in an HTTP header unchanged."""
    return value.isprintable() and all(ord(char) < 256 for char in value)
