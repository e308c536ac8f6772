"""What an object-storage host answers, for the emulators that serve files (standard library only).

Byte ranges as a storage host serves them: ``Accept-Ranges: bytes``; a single range ``bytes=N-``,
``bytes=N-M`` or ``bytes=-N`` gets 206 with ``Content-Range``; one that starts at or past the end gets 416
with ``Content-Range: bytes */TOTAL``; any other ``Range`` is ignored (200, RFC 9110 allows it). Every
file answer names its version (a strong ETag, the MD5 of its bytes in quotes as object stores send it, and
``Last-Modified``), and ``If-Range`` is honoured: unless it equals that ETag or that date exactly, the
``Range`` is ignored and the whole current file is sent.
"""

from __future__ import annotations

from taskctl.sandbox.server import Request, Response


def storage_error(status: int, code: str, message: str, key: str) -> Response:
    """An object-storage (OBS/S3-style) XML error, as a pre-signed URL's host answers."""
    xml = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
           f"<Error><Code>{code}</Code><Message>{message}</Message><Key>{key}</Key>"
           "<RequestId>0000019A5B6C7D8E9F0A1B2C3D4E5F60</RequestId><HostId>sandbox</HostId></Error>")
    return Response(status, xml.encode("utf-8"), "application/xml")


def byte_range(spec: str | None, total: int) -> tuple[int, int] | str | None:
    """``Range: bytes=...`` as (first, last) inclusive; "unsatisfiable"; or None to send the whole body."""
    if not spec or not spec.strip().lower().startswith("bytes=") or "," in spec:
        return None
    first_text, dash, last_text = spec.strip()[6:].strip().partition("-")
    first_text, last_text = first_text.strip(), last_text.strip()
    if not dash or not (first_text or last_text) or not all(part.isdigit() for part in (first_text, last_text)
                                                            if part):
        return None
    if not first_text:  # bytes=-N: the last N bytes
        suffix = int(last_text)
        return (max(0, total - suffix), total - 1) if suffix and total else "unsatisfiable"
    first = int(first_text)
    last = min(int(last_text), total - 1) if last_text else total - 1
    if first >= total:
        return "unsatisfiable"
    return None if last < first else (first, last)


def file_etag(data: bytes) -> str:
    """The strong ETag the sandbox sends for a file: a digest of its bytes, as object stores do."""
    import hashlib

    return '"' + hashlib.md5(data, usedforsecurity=False).hexdigest() + '"'


def ranged_response(request: Request, data: bytes, content_type: str, headers: tuple[tuple[str, str], ...],
                    last_modified: str, key: str) -> Response:
    """A file, or the byte range the request asks for (if its If-Range still names this version)."""
    total = len(data)
    etag = file_etag(data)
    headers = (*headers, ("Accept-Ranges", "bytes"), ("ETag", etag), ("Last-Modified", last_modified))
    if_range = request.header("If-Range")
    current = if_range is None or if_range.strip() in (etag, last_modified)  # a weak tag never matches
    wanted = byte_range(request.header("Range"), total) if current else None
    if wanted == "unsatisfiable":
        invalid = storage_error(416, "InvalidRange", "The requested range cannot be satisfied.", key)
        return invalid._replace(headers=(("Content-Range", f"bytes */{total}"),))
    if isinstance(wanted, tuple):
        first, last = wanted
        return Response(206, data[first:last + 1], content_type,
                        (*headers, ("Content-Range", f"bytes {first}-{last}/{total}")))
    return Response(200, data, content_type, headers)


class _Truncated(bytes):
    """A body that claims its full length: the server announces ``announced`` bytes (Content-Length is
    ``len(body)``) but writes only these, then closes the connection."""

    announced: int

    def __new__(cls, data: bytes, announced: int) -> _Truncated:
        body = super().__new__(cls, data)
        body.announced = announced
        return body

    def __len__(self) -> int:
        return self.announced


def cut_short(response: Response, after: int) -> Response:
    """``response`` announcing its whole length but sending only ``after`` body bytes, then hanging up (a
    download that breaks mid-body)."""
    if after >= len(response.body):
        return response
    return response._replace(body=_Truncated(response.body[:after], len(response.body)),
                             headers=(*response.headers, ("Connection", "close")))
