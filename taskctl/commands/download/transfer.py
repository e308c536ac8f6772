"""One file from a storage host into its ``.part``, resumably, then into place.

Beside the .part, ``<name>.part.meta`` records which version of the file those bytes are (strong ETag, else
Last-Modified, and the size): an interrupted download resumes with ``Range: bytes=<size>-`` and
``If-Range: <validator>``, and starts over whenever an answer does not name that same version, so a file is
never two versions spliced. Without a validator nothing can be resumed safely: such a .part is removed on
failure.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from taskctl.commands.download.names import Target, check_replaceable
from taskctl.commands.download.partfile import PartFile
from taskctl.commands.download.progress import ProgressBar
from taskctl.commands.download.version import Version, content_range, unsatisfied_range_size, version_of
from taskctl.errors import ExitCode, NetworkError, ResponseError, ServiceError, TaskctlError
from taskctl.http import HttpClient, TruncatedBodyError
from taskctl.http.destination import host_port
from taskctl.providers.files import RemoteFile

if TYPE_CHECKING:
    import requests

DOWNLOAD_DEADLINE = 6 * 3600.0  # seconds one command downloads at most (however slowly the host sends); resumable
MAX_UNANNOUNCED_BYTES = 4 * 2**30  # a body without Content-Length or Content-Range: an endless one stops here
MIN_RANGE_BYTES = 64 * 1024  # a range answer that ends early must bring at least this much
LINK_GONE_STATUSES = frozenset({401, 403, 404, 410})


class DownloadInterrupted(TaskctlError):
    """Ctrl-C with a resumable .part: exit 130, saying where the bytes are and that a rerun resumes."""

    exit_code = ExitCode.INTERRUPTED


class _Unsized(ResponseError):
    """A body of no announced size went past MAX_UNANNOUNCED_BYTES."""


class _Overdue(TaskctlError):
    """The download went past DOWNLOAD_DEADLINE: a timeout (exit 5), not retried within this command."""

    exit_code = ExitCode.NETWORK


class _Restart(Exception):
    """The .part cannot be continued: the file changed, or the answer does not fit it. Says why."""


class _BodyBroke(Exception):
    """The body stopped short: worth resuming from what arrived."""

    def __init__(self, error: TaskctlError) -> None:
        super().__init__(error.message)
        self.error = error


@dataclass(frozen=True)
class _Span:
    """Which bytes of the file an answer's body holds, as far as its headers say."""

    start: int
    end: int | None  # one past its last byte, when the answer is a range
    total: int | None  # the file's size, when announced

    @property
    def expected(self) -> int | None:
        """The .part's size once the body is in."""
        return self.end if self.end is not None else self.total


@dataclass
class Transfer:
    """One download into ``target.part``: fresh, or resumed when the .part's recorded version allows it.

    A range is asked for only with ``If-Range`` naming the version the .part holds; a 200 then starts over
    (the file changed, or the host ignores ranges), and a 206 or 416 that does not name the same version
    starts over too. So the file is always exactly one version, never two spliced.
    """

    client: HttpClient
    file: RemoteFile
    target: Target
    force: bool
    bar: ProgressBar
    warn: Callable[[str], None]
    version: Version | None = None
    _overlap: int = 0  # 1: ask again for the last byte held, to learn whether a 416 means "already whole"
    _ends: float = 0.0  # monotonic: when this command stops downloading (DOWNLOAD_DEADLINE)
    _fresh_url: str | None = None  # the link asked for again after the storage host refused the first

    @property
    def url(self) -> str:
        return self._fresh_url or self.file.url

    @property
    def host(self) -> str:
        return host_port(self.file.url)

    def run(self) -> Path:
        self._ends = time.monotonic() + DOWNLOAD_DEADLINE
        with PartFile(self.target.part) as part:
            try:
                self._resume_point(part)
                return self._attempts(part)
            except _Unsized:
                part.discard()  # an endless body of no announced size: nothing a rerun could resume
                raise
            except KeyboardInterrupt:
                if self._resumable(part):
                    raise DownloadInterrupted(f"interrupted; the partial download is kept in {part.path}",
                                              "rerun the same command to resume") from None
                part.discard()
                raise
            except BaseException:
                if not self._resumable(part):
                    part.discard()  # bytes that no validator names are of no use to a rerun
                raise

    def _resumable(self, part: PartFile) -> bool:
        return self.version is not None and self.version.validator is not None and part.size() > 0

    def _resume_point(self, part: PartFile) -> None:
        """Open a .part left by an earlier run, and the version it holds; without a record, start over."""
        if not part.open_existing() or not part.size():
            return
        self.version = part.load_version()
        if self.version is None:
            self.warn(f"{part.path} does not record which version of the file it holds; downloading from the "
                      "start")
            part.start_over(None)

    def _attempts(self, part: PartFile) -> Path:
        """Request, write, resume after a broken body (up to the profile's retries), rename into place."""
        attempt = 0
        while True:
            try:
                final = self._attempt(part)
            except _Restart as restart:  # bounded: only a broken body, which counts, leads to another range
                self.warn(str(restart))
                self.version = None
                part.start_over(None)
                continue
            except _BodyBroke as broke:
                if attempt >= self.client.profile.retries:
                    raise self._incomplete(part, broke.error) from None
                self.client.wait_before_retry(attempt, broke.error.message)
                attempt += 1
                continue
            if final is not None:
                return final
            # else: the server sent a range that ends early, or must confirm a 416: ask for the rest

    def _attempt(self, part: PartFile) -> Path | None:
        """One request; the final path once complete, None when more is to come."""
        offset = self._offset(part)
        response = self.client.stream(self.url, headers=self._headers(offset))
        try:
            status = response.status_code
            if status in LINK_GONE_STATUSES and self.file.refresh is not None and self._fresh_url is None:
                self._refresh_link(status)
                return None
            if status not in (200, 206, 416) or (status == 416 and not offset):
                raise self._http_error(response)
            final = self.target.final(response.headers.get("Content-Disposition"))
            check_replaceable(final, self.force)
            answered = version_of(response, self.host)
            if status == 416:
                return self._already_whole(part, response, offset, answered, final)
            span = self._body_range(part, response, offset, answered)
            size = self._receive(part, response, final.name, span)
        finally:
            response.close()
        return self._complete(part, span, size, final)

    def _refresh_link(self, status: int) -> None:
        """The storage host refused the link (it expired, as pre-signed links do): ask the service for a fresh
        one, once."""
        assert self.file.refresh is not None
        self.warn(f"the download link of the {self.file.what} was refused (HTTP {status} from {self.host}); "
                  "asking the service for a fresh one")
        self._fresh_url = self.file.refresh()

    def _headers(self, offset: int) -> dict[str, str]:
        headers = {"Accept": "*/*", "Accept-Encoding": "identity"}
        if offset and self.version is not None and self.version.validator is not None:
            headers["Range"] = f"bytes={offset}-"
            headers["If-Range"] = self.version.validator
        return headers

    def _receive(self, part: PartFile, response: requests.Response, name: str, span: _Span) -> int:
        """Write the body into the .part from ``span.start`` on; returns the .part's size."""
        self.bar.show(name, span.start, span.total)
        expected = span.expected
        body = self._bounded(self.client.iter_body(response), None if expected is None else expected - span.start)
        try:
            return part.write_from(span.start, body, self.bar.advance)
        except (TruncatedBodyError, NetworkError) as error:
            raise _BodyBroke(error) from None

    def _complete(self, part: PartFile, span: _Span, size: int, final: Path) -> Path | None:
        """Once the body is in: the final path when the file is whole, None when more is to come."""
        if span.expected is not None and size != span.expected:
            # Without an exception this means the body's length disagreed with its own Content-Range.
            raise _BodyBroke(TruncatedBodyError(f"the download ended at {size} bytes, not the {span.expected} "
                                                "announced"))
        if span.total is not None and size < span.total:
            if size - span.start < MIN_RANGE_BYTES:  # a host dealing the file out in crumbs: count it as a break
                raise _BodyBroke(TruncatedBodyError(f"{self.host} sent only {size - span.start} bytes of the "
                                                    f"remaining {span.total - span.start}"))
            return None
        part.move_to(final, self.force)
        return final

    def _bounded(self, chunks: Iterator[bytes], room: int | None) -> Iterator[bytes]:
        """The body, up to what its headers announced (bytes past that would land where they do not belong), or
        MAX_UNANNOUNCED_BYTES when they announced nothing (an endless body must not fill the disk)."""
        unannounced = MAX_UNANNOUNCED_BYTES if room is None else None
        for chunk in chunks:
            if room is not None:
                if len(chunk) > room:
                    raise _Restart(f"{self.host} sent more bytes than it announced; downloading from the start")
                room -= len(chunk)
            elif unannounced is not None:
                unannounced -= len(chunk)
                if unannounced < 0:
                    raise _Unsized(f"{self.host} announced no size and sent more than "
                                   f"{MAX_UNANNOUNCED_BYTES // 2**30} GiB; taskctl stopped there",
                                   "a storage host that announces the size (Content-Length) has no such limit")
            if time.monotonic() > self._ends:
                raise _Overdue(f"the download took longer than {DOWNLOAD_DEADLINE / 3600:g} hours",
                               "the partial download is kept: rerun the same command to resume")
            yield chunk

    def _offset(self, part: PartFile) -> int:
        """Where to resume: the .part's size when its version is known (one byte less to confirm a 416)."""
        if self.version is None or self.version.validator is None:
            return 0
        offset, self._overlap = max(part.size() - self._overlap, 0), 0
        return offset

    def _body_range(self, part: PartFile, response: requests.Response, offset: int, answered: Version) -> _Span:
        """Where the body starts in the file, where it ends and the file's size, as far as the answer says."""
        if response.status_code == 200:
            if offset:
                self.warn(self._why_from_the_start(offset, answered))
            part.start_over(answered)
            self.version = answered
            return _Span(0, None, answered.size)
        if not offset:
            raise ResponseError(f"{self.host} answered a byte range that was not asked for")
        assert self.version is not None
        if self.version.same_as(answered) is not True:
            raise _Restart(f"the file on {self.host} changed since {part.path} was begun (or the answer does not "
                           "say which version it is); downloading it again from the start")
        first, last, total = content_range(response.headers.get("Content-Range", ""))
        if first != offset or last is None or last < first or (total != "*" and last >= int(total)):
            raise _Restart(f"{self.host} answered another byte range than asked for; downloading from the start")
        end = last + 1
        return _Span(offset, end, int(total) if total != "*" else end)

    def _why_from_the_start(self, offset: int, answered: Version) -> str:
        assert self.version is not None
        if self.version.same_as(answered) is False:
            return (f"the file on {self.host} changed since {self.target.part} was begun; downloading the new "
                    "version from the start")
        return f"{self.host} ignored the request to resume at byte {offset}; downloading from the start"

    def _already_whole(self, part: PartFile, response: requests.Response, offset: int, answered: Version,
                       final: Path) -> Path | None:
        """416 to ``Range: bytes=<size of .part>-``: the .part may hold the whole file already, if the answer
        names the same version; when it does not say, ask again for the last byte (a 206 names it)."""
        size = unsatisfied_range_size(response.headers.get("Content-Range", ""))
        assert self.version is not None
        if size is None or size != offset or offset != part.size():  # (a 416 to the last byte: neither)
            raise _Restart(f"{part.path} does not fit the file on {self.host}; downloading from the start")
        same = self.version.same_as(answered)
        if same is False:
            raise _Restart(f"the file on {self.host} changed since {part.path} was begun; downloading the new "
                           "version from the start")
        if same is None:
            self._overlap = 1
            return None
        part.move_to(final, self.force)
        return final

    def _incomplete(self, part: PartFile, error: TaskctlError) -> TaskctlError:
        """A broken body, retries spent: the same kind of error, saying where the partial data is."""
        message = f"the download stopped after {part.size()} bytes: {error.message}"
        if self._resumable(part):
            hint = f"the partial download is kept in {part.path}; rerun the same command to resume"
        else:
            hint = (f"{self.host} names no version of the file (no strong ETag or Last-Modified), so it cannot be "
                    "resumed safely: rerun to download it again from the start")
        return error.revised(message=message, hint=hint)

    def _http_error(self, response: requests.Response) -> TaskctlError:
        return storage_http_error(response, self.host, self.file.what, refreshed=self._fresh_url is not None)


def storage_http_error(response: requests.Response, host: str, what: str, *, refreshed: bool) -> TaskctlError:
    """What a storage host's refusal means (``refreshed``: the link was already a fresh one)."""
    status = response.status_code
    code = _storage_error_code(response)
    shown = f"HTTP {status}" + (f" {code}" if code else "") + f" from {host}"
    if status in LINK_GONE_STATUSES and refreshed:
        return TaskctlError(f"the download link was refused, and so was a fresh one ({shown})",
                            f"the {what} may have been deleted, or your access to it revoked; "
                            "check it in the service's console")
    if status in LINK_GONE_STATUSES:
        return TaskctlError(f"the download link has expired or is gone ({shown})",
                            "fetch the task again for a fresh link (rerun this command); if that fails too, "
                            f"the {what} may have been deleted")
    if status == 416:
        return ResponseError(f"{host} refused a download without a range ({shown})")
    return ServiceError(f"the download failed ({shown})", "retry later; if it persists, fetch the task again")


def _storage_error_code(response: requests.Response) -> str | None:
    """The ``<Code>`` of an object-storage XML error (e.g. AccessDenied), from its first 4 KB."""
    try:
        head = response.raw.read(4096, decode_content=True) or b""
    except Exception:  # noqa: BLE001 - only a nicer message is at stake
        return None
    match = re.search(rb"<Code>([A-Za-z0-9.]{1,64})</Code>", head)
    return match[1].decode("ascii") if match else None
