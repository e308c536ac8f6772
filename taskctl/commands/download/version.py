"""Which version of a file an answer is about (ETag, Last-Modified, size), and its Content-Range."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from taskctl.errors import ResponseError
from taskctl.http.destination import byte_count

if TYPE_CHECKING:
    import datetime

    import requests

MAX_SIZE = 10**18
META_FORMAT = "taskctl-part-1"
_CONTENT_RANGE = re.compile(r"\s*bytes\s+([0-9]{1,18})-([0-9]{1,18})/([0-9]{1,18}|\*)\s*", re.I)
_UNSATISFIED_RANGE = re.compile(r"\s*bytes\s+\*/([0-9]{1,18})\s*", re.I)
_RANGE_TOTAL = re.compile(r"\s*bytes\s+(?:[0-9]+-[0-9]+|\*)/([0-9]{1,18})\s*", re.I | re.ASCII)
# RFC 9110 entity-tag: a quoted string of visible characters other than '"' (weak ones start with W/).
_STRONG_ETAG = re.compile(r'"[\x21\x23-\x7e\x80-\xff]{0,1024}"')
_PRINTABLE = re.compile(r"[\x20-\x7e]{1,64}")


@dataclass(frozen=True)
class Version:
    """What names one version of the object on the storage host, as an answer's headers say.

    ``etag`` only when strong (a weak ``W/"..."`` may not go into If-Range); ``last_modified`` exactly as
    sent; ``size`` from Content-Length (200) or the Content-Range total (206, 416).
    """

    etag: str | None = None
    last_modified: str | None = None
    size: int | None = None

    @property
    def validator(self) -> str | None:
        """What If-Range carries: the strong ETag, else the Last-Modified date, else nothing."""
        return self.etag or self.last_modified

    def same_as(self, answered: Version) -> bool | None:
        """Whether an answer is about this version: True, False, or None when it does not say."""
        if self.size is not None and answered.size is not None and answered.size != self.size:
            return False
        mine, theirs = (self.etag, answered.etag) if self.etag else (self.last_modified, answered.last_modified)
        if mine is None or theirs is None:
            return None
        return mine == theirs

    def to_json(self) -> str:
        import json

        return json.dumps({"format": META_FORMAT, "etag": self.etag, "last_modified": self.last_modified,
                           "size": self.size})

    @classmethod
    def from_json(cls, text: bytes) -> Version | None:
        """A stored version, or None when the record is not one taskctl wrote (then nothing can be resumed)."""
        import json

        try:
            record = json.loads(text)
        except ValueError:
            return None
        if not isinstance(record, dict) or record.get("format") != META_FORMAT:
            return None
        etag, modified, size = record.get("etag"), record.get("last_modified"), record.get("size")
        version = cls(_strong_etag(etag) if isinstance(etag, str) else None,
                      _http_date(modified) if isinstance(modified, str) else None,
                      size if isinstance(size, int) and not isinstance(size, bool) and 0 <= size < MAX_SIZE else None)
        if version.validator is None or (etag, modified) != (version.etag, version.last_modified):
            return None
        return version


def version_of(response: requests.Response, host: str) -> Version:
    """The version an answer is about; malformed validators count as absent, a malformed length is an error."""
    headers = response.headers
    status = response.status_code
    if status == 200:
        size = _content_length(response, host)
    else:
        range_total = _RANGE_TOTAL.fullmatch(headers.get("Content-Range", ""))
        size = int(range_total[1]) if range_total else None
    modified = _http_date(headers.get("Last-Modified"))
    if status == 200 and not _strong_date(modified, headers.get("Date")):
        modified = None  # a fresh start may not rely on it; a 206 or 416 is only compared with what is stored
    return Version(_strong_etag(headers.get("ETag")), modified, size)


def content_range(value: str) -> tuple[int | None, int | None, str]:
    """A 206's ``Content-Range: bytes first-last/total`` as (first, last, total); total is "*" when unknown,
    and (None, None, "") when the header is not one."""
    match = _CONTENT_RANGE.fullmatch(value)
    return (byte_count(match[1]), byte_count(match[2]), match[3]) if match else (None, None, "")


def unsatisfied_range_size(value: str) -> int | None:
    """A 416's ``Content-Range: bytes */size``: the file's size, or None when the header is not one."""
    match = _UNSATISFIED_RANGE.fullmatch(value)
    return int(match[1]) if match else None


def _strong_etag(value: str | None) -> str | None:
    value = value.strip() if value else ""
    return value if _STRONG_ETAG.fullmatch(value) else None


def _http_date(value: str | None) -> str | None:
    """An HTTP date as sent (If-Range must repeat it exactly), or None when it does not parse as one."""
    value = value.strip() if value else ""
    return value if _PRINTABLE.fullmatch(value) and _parse_date(value) is not None else None


def _strong_date(modified: str | None, date: str | None) -> bool:
    """RFC 9110 §8.8.2.2: a Last-Modified a second or more before the answer's Date is a strong validator
    (the file cannot have changed again within that second unseen). Without a Date, it is taken as is."""
    if modified is None:
        return False
    when, now = _parse_date(modified), _parse_date(_http_date(date))
    return when is not None and (now is None or (now - when).total_seconds() >= 1)


def _parse_date(value: str | None) -> datetime.datetime | None:
    import datetime
    from email.utils import parsedate_to_datetime

    if not value:
        return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=datetime.UTC)


def _content_length(response: requests.Response, host: str) -> int | None:
    """Content-Length as a byte count; None when absent or chunked; an error when it is not a byte count."""
    value = response.headers.get("Content-Length")
    if value is None or "chunked" in response.headers.get("Transfer-Encoding", "").lower():
        return None
    counts = {byte_count(item.strip()) for item in value.split(",")}  # "5, 5" is allowed (RFC 9112 §6.3)
    if len(counts) != 1 or None in counts:
        raise ResponseError(f"{host} sent an invalid Content-Length ({_shown(value)}): the download cannot be "
                            "checked for completeness", "retry later; if it persists, the storage host is broken")
    return counts.pop()


def _shown(value: str) -> str:
    return repr(value[:40] + ("..." if len(value) > 40 else ""))
