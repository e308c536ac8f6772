"""`koodrive download`: save a finished task's package from its pre-signed link, resumably.

The link points at a storage host, not at the API: it is fetched by a client that carries no credentials
(``HttpClient(credentials=False)``), with the profile's timeouts, retries and TLS settings. The bytes go to
``<name>.part`` beside the destination and are renamed into place only once complete. Beside it,
``<name>.part.meta`` records which version of the file those bytes are (strong ETag, else Last-Modified,
and the size): an interrupted download resumes with ``Range: bytes=<size>-`` and ``If-Range: <validator>``,
and starts over whenever an answer does not name that same version, so a file is never two versions
spliced. Without a validator nothing can be resumed safely: such a .part is removed on failure.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from taskctl.config import Profile
from taskctl.context import AppContext
from taskctl.errors import (
    ExitCode,
    NetworkError,
    ResponseError,
    ServiceError,
    TaskctlError,
    TaskEndedError,
    UsageError,
    WatchTimeoutError,
    about,
)
from taskctl.http import HttpClient, TruncatedBodyError, redact_query
from taskctl.http.destination import byte_count, host_port
from taskctl.model import State, TaskResult
from taskctl.providers.base import Fetcher, FetchOptions
from taskctl.render.safe import inert

if TYPE_CHECKING:
    import datetime

    import requests
    from rich.progress import Progress, TaskID

PART_SUFFIX = ".part"
DOWNLOAD_DEADLINE = 6 * 3600.0  # seconds one command downloads at most (however slowly the host sends); resumable
MAX_UNANNOUNCED_BYTES = 4 * 2**30  # a body without Content-Length or Content-Range: an endless one stops here
MIN_RANGE_BYTES = 64 * 1024  # a range answer that ends early must bring at least this much
MAX_NAME_BYTES = 200  # file systems allow 255; leave room for ".part" and an editor's backup suffix
LINK_GONE_STATUSES = frozenset({401, 403, 404, 410})
_CONTENT_RANGE = re.compile(r"\s*bytes\s+([0-9]{1,18})-([0-9]{1,18})/([0-9]{1,18}|\*)\s*", re.I)
MAX_SIZE = 10**18
# RFC 9110 entity-tag: a quoted string of visible characters other than '"' (weak ones start with W/).
_STRONG_ETAG = re.compile(r'"[\x21\x23-\x7e\x80-\xff]{0,1024}"')
_PRINTABLE = re.compile(r"[\x20-\x7e]{1,64}")
META_SUFFIX = ".meta"  # <name>.part.meta: the version the .part holds
META_FORMAT = "taskctl-part-1"
# Characters never kept in a file name: control characters (C0, DEL, C1), bidi overrides and line
# separators (they disguise a name on screen), and what Windows forbids.
_UNSAFE_IN_NAME = re.compile("[\\x00-\\x1f\\x7f-\\x9f\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069\\u2028\\u2029"
                             '<>:"|?*]')
_WINDOWS_RESERVED = frozenset({"CON", "PRN", "AUX", "NUL", *(f"COM{n}" for n in range(1, 10)),
                               *(f"LPT{n}" for n in range(1, 10))})

ResultSource = Callable[[Fetcher, str], TaskResult]
PROVIDER_OF_DOWNLOADS = "koodrive"
"""How ``run_download`` obtains the task: one fetch by default; a watch loop for ``--wait``."""


@dataclass(frozen=True)
class DownloadRequest:
    provider: str
    task_id: str
    profile: str | None
    dest: str | None = None  # a folder (the server names the file) or a file path; None: the current folder
    force: bool = False
    options: FetchOptions = field(default_factory=FetchOptions)


def run_download(app: AppContext, request: DownloadRequest, fetch: ResultSource | None = None) -> ExitCode:
    """Fetch the task (or obtain it through ``fetch``), download its package, print the path written."""
    label = f"{request.provider} task {request.task_id}"
    check_destination(request.dest, request.force)  # a wrong --dest fails before any request
    with app.connect(request.provider, request.profile, request.options) as connection:
        try:
            result = (fetch or _fetch_once)(connection.fetcher, request.task_id)
        except TaskctlError as error:
            raise _about(error, label) from None
        path = download_package(app, connection.profile, result, dest=request.dest, force=request.force)
    app.stdout.write(f"{path}\n")
    app.stdout.flush()
    return ExitCode.OK


def fetch_when_done(app: AppContext, interval: float, timeout: float | None) -> ResultSource:
    """A ResultSource for `download --wait`: watch the task until it ends (one connection), then hand it over."""
    from taskctl.watch import WatchPolicy, outcome_message, watch_task

    policy = WatchPolicy(interval=interval, timeout=timeout)  # a bad value is a usage error, before any request

    def fetch(fetcher: Fetcher, task_id: str) -> TaskResult:
        outcome = watch_task(app, PROVIDER_OF_DOWNLOADS, task_id, fetcher, policy)
        if outcome.timed_out:
            verdict = outcome_message(PROVIDER_OF_DOWNLOADS, task_id, outcome)
            message = verdict.message.removeprefix("timed out: ") if verdict else f"task {task_id}"
            raise WatchTimeoutError(f"{message} (--timeout passed); nothing was downloaded",
                                    "rerun the download with --wait and a longer --timeout")
        return outcome.result

    return fetch


def _fetch_once(fetcher: Fetcher, task_id: str) -> TaskResult:
    return fetcher.fetch(task_id)


def download_package(app: AppContext, profile: Profile, result: TaskResult, *, dest: str | None,
                     force: bool) -> Path:
    """Download the package of a finished task; returns the path written.

    ``profile`` gives the network policy (timeouts, retries, TLS), never credentials. Call it inside
    ``app.connect(...)``: with the built-in sandbox profile, the package is served by that sandbox.
    """
    label = f"{result.task.provider} task {result.task.task_id}"
    try:
        url = package_url(result, app.warn)
        target = plan_target(dest, url, result.task.task_id, force)
        client = HttpClient(profile, redact=app.redact, trace=app.trace if app.debug else None,
                            credentials=False)
        try:
            with _ProgressBar(app) as bar:
                return _Transfer(client, url, target, force, bar, app.warn).run()
        finally:
            client.close()
    except TaskctlError as error:
        raise _about(error, label) from None


def _about(error: TaskctlError, label: str) -> TaskctlError:
    """Errors from the HTTP layer do not say which task they were about (a --dest mistake is not about it)."""
    return error if isinstance(error, UsageError | DownloadInterrupted) else about(error, label)


# --- is there a package? ------------------------------------------------------------------------------


def package_url(result: TaskResult, warn: Callable[[str], None]) -> str:
    """The task's download link, or the error that says why there is none (a partial task: a warning)."""
    task, raw = result.task, result.raw
    label = f"{task.provider} task {task.task_id}"
    if task.state in (State.PENDING, State.RUNNING):
        progress = f", {task.progress}%" if task.progress is not None else ""
        raise TaskctlError(f"{label} is not finished yet ({task.state.value}{progress})",
                           "rerun with --wait to wait for it")
    if task.state in (State.FAILED, State.CANCELED):
        raise TaskEndedError(f"{label} ended {task.state.value} ({_reason(result)}): there is no package",
                             f"see `taskctl {task.provider} get {task.task_id}` (with the same --profile and "
                             "--share-id) for details")
    if task.state is State.UNKNOWN:
        raise TaskctlError(f"{label} is in a state taskctl does not know ({task.raw_status})",
                           f"see `taskctl {task.provider} get {task.task_id}`; only finished tasks have a package")
    url = raw.get("downloadUrl") if isinstance(raw, dict) else None
    if not isinstance(url, str) or not url.strip():
        shown = "empty" if url is not None else "missing"
        raise TaskctlError(f"{label} has no download link (downloadUrl is {shown})",
                           f"see `taskctl {task.provider} get {task.task_id} --json` for what the service sent")
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or not (url.isascii() and url.isprintable()) \
            or " " in url:
        raise ResponseError(f"{label}: the download link is not a usable http(s) URL ({redact_query(url)!r})")
    if task.state is State.PARTIAL:
        warn(f"{label} finished partially ({_reason(result)}): the package holds only the files that succeeded")
    return url


def _reason(result: TaskResult) -> str:
    task = result.task
    details = [task.raw_status] + [f"{field.label.lower()} {field.value}" for field in task.summary
                                   if field.label == "Result code"]
    if task.message:
        details.append(task.message)
    return "; ".join(detail for detail in details if detail)


# --- where it goes ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """Where the package goes: a fixed path (``--dest FILE``), or a folder and a name the answer decides."""

    folder: Path
    fixed: Path | None  # --dest named a file
    fallback: str  # the name when the answer's Content-Disposition gives none: the URL's, else <task id>.zip
    part: Path

    def final(self, disposition: str | None) -> Path:
        if self.fixed is not None:
            return self.fixed
        name = safe_filename(filename_from_disposition(disposition)) if disposition else None
        final = self.folder / (name or self.fallback)
        return final.with_name(final.name + ".zip") if final in (self.part, self.meta) else final

    @property
    def meta(self) -> Path:
        """Beside the .part: the version its bytes belong to."""
        return self.part.with_name(self.part.name + META_SUFFIX)


def check_destination(dest: str | None, force: bool) -> Path | None:
    """Interpret --dest: None for a folder (the default: the current one), else the file to write."""
    if dest == "":
        raise UsageError("--dest is empty", "name a folder or a file, or leave --dest out for the current folder")
    path = Path(dest) if dest is not None else Path()
    try:
        return _destination_file(dest, path, force)
    except OSError as error:  # a name too long, a folder that may not be searched
        raise UsageError(f"--dest {dest}: {error.strerror or error}", "choose another --dest") from None


def _destination_file(dest: str | None, path: Path, force: bool) -> Path | None:
    if path.is_dir():
        return None
    if dest is not None and dest.endswith(("/", os.sep)):
        raise UsageError(f"--dest {dest}: no such folder", "create it first, or name a file")
    if not path.parent.is_dir():
        raise UsageError(f"--dest {dest}: the folder {path.parent} does not exist", "create it first")
    _check_replaceable(path, force)
    return path


def plan_target(dest: str | None, url: str, task_id: str, force: bool) -> Target:
    """Where the package goes. The .part file's name is known before any request, so that a rerun finds it."""
    fixed = check_destination(dest, force)
    fallback = safe_filename(url_file_name(url)) or safe_filename(f"{task_id}.zip") or "package.zip"
    if fixed is None:
        folder = Path(dest) if dest is not None else Path()
        # Named after the task, not the link: a fresh link (new signature, maybe a new path) still resumes.
        stem = safe_filename(task_id) or "package"
        return Target(folder, None, fallback, folder / (stem + PART_SUFFIX))
    return Target(fixed.parent, fixed, fallback, fixed.with_name(fixed.name + PART_SUFFIX))


def _check_replaceable(path: Path, force: bool) -> None:
    if path.is_dir():
        raise TaskctlError(f"{path} is a folder", "choose another --dest")
    if not force and (path.exists() or path.is_symlink()):
        raise TaskctlError(f"{path} already exists", "pass --force to replace it")


def url_file_name(url: str) -> str:
    """The last segment of the URL's path, percent-decoded (not yet safe: see ``safe_filename``)."""
    return unquote(urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1])


def filename_from_disposition(value: str) -> str | None:
    """The file name a Content-Disposition header suggests (RFC 6266: ``filename*`` wins), not yet safe."""
    from email.message import Message

    with contextlib.suppress(UnicodeError):  # http.client decodes header bytes as Latin-1; most are UTF-8
        value = value.encode("latin-1").decode("utf-8")
    message = Message()
    try:
        message["Content-Disposition"] = value
        name = message.get_filename()
    except Exception:  # noqa: BLE001 - the email parser on hostile input: no name rather than a crash
        return None
    return name if isinstance(name, str) else None


def safe_filename(name: str | None) -> str | None:
    """A name that stays inside the destination folder and shows as itself, or None when nothing is left.

    Only the last path component is kept (``/`` and ``\\`` both separate); control characters, bidi
    overrides, other non-printable characters and those Windows forbids become ``_``; leading dots (hidden
    files, ``..``), trailing dots and surrounding blanks go; a leading ``-`` gets a ``_`` before it; the name
    is cut to 200 UTF-8 bytes (the extension kept).
    """
    if not name:
        return None
    base = _UNSAFE_IN_NAME.sub("_", re.split(r"[/\\]", name)[-1])
    base = "".join(char if char.isprintable() else "_" for char in base)  # format, unassigned, odd spaces
    base = base.strip().lstrip(".").strip().rstrip(". ")
    if not base:
        return None
    base = _shorten(base, MAX_NAME_BYTES)
    if base.split(".", 1)[0].upper() in _WINDOWS_RESERVED or base.startswith("-"):
        base = "_" + base  # "-rf" printed on stdout would be an option to the next command of a script
    return base


def _shorten(name: str, limit: int) -> str:
    if len(name.encode("utf-8")) <= limit:
        return name
    stem, suffix = os.path.splitext(name)
    if len(suffix.encode("utf-8")) > 16:
        stem, suffix = name, ""
    room = limit - len(suffix.encode("utf-8"))
    return stem.encode("utf-8")[:room].decode("utf-8", "ignore").rstrip(". ") + suffix


# --- which version of the file ------------------------------------------------------------------------


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
        range_total = re.fullmatch(r"\s*bytes\s+(?:[0-9]+-[0-9]+|\*)/([0-9]{1,18})\s*",
                                   headers.get("Content-Range", ""), re.I | re.ASCII)
        size = int(range_total[1]) if range_total else None
    modified = _http_date(headers.get("Last-Modified"))
    if status == 200 and not _strong_date(modified, headers.get("Date")):
        modified = None  # a fresh start may not rely on it; a 206 or 416 is only compared with what is stored
    return Version(_strong_etag(headers.get("ETag")), modified, size)


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


# --- the .part file and its record --------------------------------------------------------------------


class _PartFile:
    """The ``.part`` being written, and beside it ``<name>.part.meta``: the version its bytes belong to.

    Both are created with O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600, and reused only when the opened descriptor
    is a regular file of the caller's with a single link (someone else may have planted one in a shared
    folder such as /tmp). The .part is locked while open. Its bytes always belong to the recorded version:
    the .part is truncated before the record changes, and the record is written before any byte.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.meta = path.with_name(path.name + META_SUFFIX)
        self._descriptor: int | None = None

    def __enter__(self) -> _PartFile:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._descriptor is not None:
            os.close(self._descriptor)
            self._descriptor = None

    def open_existing(self) -> bool:
        """Open (and lock) the .part if there is one; False if there is none."""
        descriptor = _open_own_file(self.path, create=False)
        if descriptor is not None:
            self._adopt(descriptor)
        return descriptor is not None

    def create(self) -> None:
        """Make sure the .part is open: created afresh, or (appearing meanwhile) checked like an existing one."""
        if self._descriptor is None:
            self._adopt(_open_own_file(self.path, create=True))

    def _adopt(self, descriptor: int | None) -> None:
        assert descriptor is not None
        try:
            _lock(descriptor, self.path)  # another taskctl may be writing it
        except BaseException:
            os.close(descriptor)
            raise
        self._descriptor = descriptor

    @property
    def descriptor(self) -> int:
        assert self._descriptor is not None, "the .part is not open"
        return self._descriptor

    def size(self) -> int:
        return os.fstat(self._descriptor).st_size if self._descriptor is not None else 0

    def load_version(self) -> Version | None:
        """The version recorded beside the .part, or None (no record, or not one taskctl wrote)."""
        descriptor = _open_own_file(self.meta, create=False)
        if descriptor is None:
            return None
        try:
            return Version.from_json(os.read(descriptor, 4096))
        except OSError as error:
            raise _write_error(self.meta, error) from None
        finally:
            os.close(descriptor)

    def start_over(self, version: Version | None) -> None:
        """Empty the .part, then record which version its bytes will belong to (None: no record)."""
        self.create()
        try:
            os.ftruncate(self.descriptor, 0)
        except OSError as error:
            raise _write_error(self.path, error) from None
        self._forget_version()
        if version is not None and version.validator is not None:
            self._record(version)

    def _record(self, version: Version) -> None:
        descriptor = _open_own_file(self.meta, create=True)
        assert descriptor is not None
        try:
            os.ftruncate(descriptor, 0)
            os.write(descriptor, version.to_json().encode())
            with contextlib.suppress(OSError):
                os.fsync(descriptor)
        except OSError as error:
            raise _write_error(self.meta, error) from None
        finally:
            os.close(descriptor)

    def _forget_version(self) -> None:
        try:
            os.unlink(self.meta)
        except FileNotFoundError:
            pass
        except OSError as error:
            raise TaskctlError(f"cannot remove {self.meta}: {error.strerror or error}",
                               "remove it, or choose another --dest") from None

    def write_from(self, start: int, chunks: Iterator[bytes], advance: Callable[[int], None]) -> int:
        """Write ``chunks`` into the .part from byte ``start`` on; returns the .part's size."""
        descriptor = self.descriptor
        try:
            os.ftruncate(descriptor, start)
            os.lseek(descriptor, start, os.SEEK_SET)
        except OSError as error:
            raise _write_error(self.path, error) from None
        size = start
        for chunk in chunks:
            view = memoryview(chunk)
            try:
                while view:
                    written = os.write(descriptor, view)
                    view = view[written:]
            except OSError as error:
                raise _write_error(self.path, error) from None
            size += len(chunk)
            advance(len(chunk))
        return size

    def move_to(self, final: Path, force: bool) -> None:
        """Put the whole file in place; without --force an existing file is never replaced, not even one
        made meanwhile. (A record left behind by a crash is harmless: a new .part always starts over.)"""
        descriptor = self.descriptor
        with contextlib.suppress(OSError):  # a file system without fsync: the data is written all the same
            os.fsync(descriptor)
        if not self._still_mine():
            raise TaskctlError(f"{self.path} was replaced while taskctl wrote it",
                               "remove it, or choose another --dest")
        try:
            if force or not _link_no_clobber(self.path, final):
                os.replace(self.path, final)
        except FileExistsError:
            raise TaskctlError(f"{final} already exists", "pass --force to replace it") from None
        except OSError as error:
            raise TaskctlError(f"cannot rename {self.path} to {final}: {error.strerror or error}") from None
        with contextlib.suppress(TaskctlError):  # the file is in place; a stray record only costs a restart
            self._forget_version()

    def discard(self) -> None:
        """Remove a .part that cannot be resumed (nothing names the version its bytes belong to)."""
        if self._descriptor is None or not self._still_mine():
            return
        with contextlib.suppress(OSError):
            self._forget_version()
            os.unlink(self.path)

    def _still_mine(self) -> bool:
        try:
            return os.path.samestat(os.fstat(self.descriptor), os.lstat(self.path))
        except OSError:
            return False


def _link_no_clobber(part: Path, final: Path) -> bool:
    """Give the .part its final name without replacing anything (link, then unlink); False where the file
    system has no hard links (then the caller renames). Raises FileExistsError when ``final`` exists."""
    try:
        os.link(part, final, follow_symlinks=False)
    except FileExistsError:
        raise
    except OSError as error:
        if error.errno in (errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EMLINK, errno.ENOSYS):
            return False
        raise
    os.unlink(part)
    return True


_OPEN_FLAGS = (os.O_RDWR | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
               | getattr(os, "O_BINARY", 0))


def _open_own_file(path: Path, *, create: bool) -> int | None:
    """A descriptor on ``path``: created 0600 when absent (``create``), else reused only when it is a regular
    file of the caller's with one link, as the opened descriptor shows (no race between check and use).
    None when it does not exist and ``create`` is false."""
    for _attempt in range(3):
        if create:
            try:
                return os.open(path, _OPEN_FLAGS | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass
            except OSError as error:
                raise _write_error(path, error) from None
        try:
            _refuse_untrusted(path, os.lstat(path))  # a FIFO or device is not even opened
            descriptor = os.open(path, _OPEN_FLAGS)  # O_NONBLOCK: a FIFO swapped in meanwhile cannot hang it
        except FileNotFoundError:
            if not create:
                return None
            continue  # removed in between: create it after all
        except OSError as error:
            raise _write_error(path, error) from None
        try:
            _refuse_untrusted(path, os.fstat(descriptor))
        except BaseException:
            os.close(descriptor)
            raise
        return descriptor
    raise TaskctlError(f"{path} keeps appearing and disappearing", "choose another --dest")


def _refuse_untrusted(path: Path, status: os.stat_result) -> None:
    """Refuse a file that is not plainly the caller's own: taskctl would write into, or rename, someone
    else's data (a symbolic or hard link to another file, a FIFO, another user's file in /tmp)."""
    import stat

    hint = "remove it, or choose another --dest"
    if stat.S_ISLNK(status.st_mode):
        raise TaskctlError(f"{path} is a symbolic link; taskctl does not write through one", hint)
    if stat.S_ISDIR(status.st_mode):
        raise TaskctlError(f"{path} is a folder, not a partial download", hint)
    if not stat.S_ISREG(status.st_mode):
        kind = "a FIFO" if stat.S_ISFIFO(status.st_mode) else "a socket" if stat.S_ISSOCK(status.st_mode) \
            else "a device" if stat.S_ISCHR(status.st_mode) or stat.S_ISBLK(status.st_mode) else "not a regular file"
        raise TaskctlError(f"{path} is {kind}, not a partial download", hint)
    getuid = getattr(os, "getuid", None)
    if getuid is not None and status.st_uid != getuid():
        raise TaskctlError(f"{path} belongs to another user (uid {status.st_uid}); taskctl does not write into it",
                           hint)
    if status.st_nlink != 1:
        raise TaskctlError(f"{path} has {status.st_nlink} hard links (it may be another file's name); "
                           "taskctl does not write into it", hint)


def _lock(descriptor: int, part: Path) -> None:
    """An exclusive lock on the .part (POSIX), held until it is closed."""
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks here
        return
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise TaskctlError(f"{part} is being written by another taskctl", "wait for it to finish") from None
    except OSError as error:
        if error.errno not in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS):  # a file system without locks
            raise _write_error(part, error) from None


def _write_error(path: Path, error: OSError) -> TaskctlError:
    if error.errno == errno.ELOOP:
        return TaskctlError(f"{path} is a symbolic link; taskctl does not write through one",
                            "remove it, or choose another --dest")
    if error.errno == errno.EISDIR:
        return TaskctlError(f"{path} is a folder, not a partial download", "remove it, or choose another --dest")
    return TaskctlError(f"cannot write {path}: {error.strerror or error}")


# --- the transfer -------------------------------------------------------------------------------------


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


@dataclass
class _Transfer:
    """One download into ``target.part``: fresh, or resumed when the .part's recorded version allows it.

    A range is asked for only with ``If-Range`` naming the version the .part holds; a 200 then starts over
    (the file changed, or the host ignores ranges), and a 206 or 416 that does not name the same version
    starts over too. So the file is always exactly one version, never two spliced.
    """

    client: HttpClient
    url: str
    target: Target
    force: bool
    bar: _ProgressBar
    warn: Callable[[str], None]
    version: Version | None = None
    _overlap: int = 0  # 1: ask again for the last byte held, to learn whether a 416 means "already whole"
    _ends: float = 0.0  # monotonic: when this command stops downloading (DOWNLOAD_DEADLINE)

    def run(self) -> Path:
        self._ends = time.monotonic() + DOWNLOAD_DEADLINE
        with _PartFile(self.target.part) as part:
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

    def _resumable(self, part: _PartFile) -> bool:
        return self.version is not None and self.version.validator is not None and part.size() > 0

    def _resume_point(self, part: _PartFile) -> None:
        """Open a .part left by an earlier run, and the version it holds; without a record, start over."""
        if not part.open_existing() or not part.size():
            return
        self.version = part.load_version()
        if self.version is None:
            self.warn(f"{part.path} does not record which version of the file it holds; downloading from the "
                      "start")
            part.start_over(None)

    def _attempts(self, part: _PartFile) -> Path:
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

    def _attempt(self, part: _PartFile) -> Path | None:
        """One request; the final path once complete, None when more is to come."""
        offset = self._offset(part)
        headers = {"Accept": "*/*", "Accept-Encoding": "identity"}
        if offset and self.version is not None and self.version.validator is not None:
            headers["Range"] = f"bytes={offset}-"
            headers["If-Range"] = self.version.validator
        response = self.client.stream(self.url, headers=headers)
        try:
            status = response.status_code
            if status not in (200, 206, 416) or (status == 416 and not offset):
                raise self._http_error(response)
            final = self.target.final(response.headers.get("Content-Disposition"))
            _check_replaceable(final, self.force)
            answered = version_of(response, host_port(self.url))
            if status == 416:
                return self._already_whole(part, response, offset, answered, final)
            start, end, total = self._body_range(part, response, offset, answered)
            expected = end if end is not None else total
            self.bar.show(final.name, start, total)
            body = self._bounded(self.client.iter_body(response), None if expected is None else expected - start)
            try:
                size = part.write_from(start, body, self.bar.advance)
            except (TruncatedBodyError, NetworkError) as error:
                raise _BodyBroke(error) from None
        finally:
            response.close()
        if expected is not None and size != expected:
            # Without an exception this means the body's length disagreed with its own Content-Range.
            raise _BodyBroke(TruncatedBodyError(f"the download ended at {size} bytes, not the {expected} "
                                                "announced"))
        if total is not None and size < total:
            if size - start < MIN_RANGE_BYTES:  # a host dealing the file out in crumbs: count it as a break
                raise _BodyBroke(TruncatedBodyError(f"{host_port(self.url)} sent only {size - start} bytes of the "
                                                    f"remaining {total - start}"))
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
                    raise _Restart(f"{host_port(self.url)} sent more bytes than it announced; downloading from the "
                                   "start")
                room -= len(chunk)
            elif unannounced is not None:
                unannounced -= len(chunk)
                if unannounced < 0:
                    raise _Unsized(f"{host_port(self.url)} announced no size and sent more than "
                                        f"{MAX_UNANNOUNCED_BYTES // 2**30} GiB; taskctl stopped there",
                                        "a storage host that announces the size (Content-Length) has no such limit")
            if time.monotonic() > self._ends:
                raise _Overdue(f"the download took longer than {DOWNLOAD_DEADLINE / 3600:g} hours",
                               "the partial download is kept: rerun the same command to resume")
            yield chunk

    def _offset(self, part: _PartFile) -> int:
        """Where to resume: the .part's size when its version is known (one byte less to confirm a 416)."""
        if self.version is None or self.version.validator is None:
            return 0
        offset, self._overlap = max(part.size() - self._overlap, 0), 0
        return offset

    def _body_range(self, part: _PartFile, response: requests.Response, offset: int,
                    answered: Version) -> tuple[int, int | None, int | None]:
        """(where the body starts in the file, where it ends, the file's size), as far as the answer says."""
        host = host_port(self.url)
        if response.status_code == 200:
            if offset:
                self.warn(self._why_from_the_start(offset, answered))
            part.start_over(answered)
            self.version = answered
            return 0, None, answered.size
        match = _CONTENT_RANGE.fullmatch(response.headers.get("Content-Range", ""))
        if not offset:
            raise ResponseError(f"{host} answered a byte range that was not asked for")
        assert self.version is not None
        if self.version.same_as(answered) is not True:
            raise _Restart(f"the file on {host} changed since {part.path} was begun (or the answer does not say "
                           "which version it is); downloading it again from the start")
        first, last, total = (byte_count(match[1]), byte_count(match[2]), match[3]) if match else (None, None, "")
        if first != offset or last is None or last < first or (total != "*" and last >= int(total)):
            raise _Restart(f"{host} answered another byte range than asked for; downloading from the start")
        end = last + 1
        return offset, end, int(total) if total != "*" else end

    def _why_from_the_start(self, offset: int, answered: Version) -> str:
        host = host_port(self.url)
        assert self.version is not None
        if self.version.same_as(answered) is False:
            return (f"the file on {host} changed since {self.target.part} was begun; downloading the new version "
                    "from the start")
        return f"{host} ignored the request to resume at byte {offset}; downloading from the start"

    def _already_whole(self, part: _PartFile, response: requests.Response, offset: int, answered: Version,
                       final: Path) -> Path | None:
        """416 to ``Range: bytes=<size of .part>-``: the .part may hold the whole file already, if the answer
        names the same version; when it does not say, ask again for the last byte (a 206 names it)."""
        match = re.fullmatch(r"\s*bytes\s+\*/([0-9]{1,18})\s*", response.headers.get("Content-Range", ""), re.I)
        assert self.version is not None
        if not match or int(match[1]) != offset or offset != part.size():  # (a 416 to the last byte: neither)
            raise _Restart(f"{part.path} does not fit the file on {host_port(self.url)}; downloading from the start")
        same = self.version.same_as(answered)
        if same is False:
            raise _Restart(f"the file on {host_port(self.url)} changed since {part.path} was begun; downloading the "
                           "new version from the start")
        if same is None:
            self._overlap = 1
            return None
        part.move_to(final, self.force)
        return final

    def _incomplete(self, part: _PartFile, error: TaskctlError) -> TaskctlError:
        """A broken body, retries spent: the same kind of error, saying where the partial data is."""
        error.message = f"the download stopped after {part.size()} bytes: {error.message}"
        if self._resumable(part):
            error.hint = f"the partial download is kept in {part.path}; rerun the same command to resume"
        else:
            error.hint = (f"{host_port(self.url)} names no version of the file (no strong ETag or Last-Modified), so "
                          "it cannot be resumed safely: rerun to download it again from the start")
        return error

    def _http_error(self, response: requests.Response) -> TaskctlError:
        status, host = response.status_code, host_port(self.url)
        code = _storage_error_code(response)
        shown = f"HTTP {status}" + (f" {code}" if code else "") + f" from {host}"
        if status in LINK_GONE_STATUSES:
            return TaskctlError(f"the download link has expired or is gone ({shown})",
                                "fetch the task again for a fresh link (rerun this command); if that fails too, "
                                "the package may have been deleted")
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


# --- progress -----------------------------------------------------------------------------------------


class _ProgressBar:
    """A rich progress bar on stderr while it is a terminal; nothing otherwise."""

    def __init__(self, app: AppContext) -> None:
        self._app = app
        self._progress: Progress | None = None
        self._task: TaskID | None = None

    def __enter__(self) -> _ProgressBar:
        if self._app.is_terminal(self._app.stderr):
            from rich.progress import (
                BarColumn,
                DownloadColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
                TransferSpeedColumn,
            )

            self._progress = Progress(TextColumn("{task.description}", markup=False), BarColumn(),
                                      DownloadColumn(), TransferSpeedColumn(), TimeRemainingColumn(),
                                      console=self._app.stderr_console(), transient=True)
            self._progress.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if self._progress is not None:
            self._progress.stop()

    def show(self, name: str, completed: int, total: int | None) -> None:
        if self._progress is None:
            return
        if self._task is None:
            self._task = self._progress.add_task(inert(name), total=total, completed=completed)
        else:
            self._progress.update(self._task, description=inert(name), total=total, completed=completed)

    def advance(self, size: int) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.advance(self._task, size)
