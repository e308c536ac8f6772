"""`koodrive download`: save a finished task's package from its pre-signed link, resumably.

The link points at a storage host, not at the API: it is fetched by a client that carries no credentials
(``HttpClient(credentials=False)``), with the profile's timeouts, retries and TLS settings. The bytes go to
``<name>.part`` beside the destination and are renamed into place only once complete; an interrupted
download resumes from the ``.part`` with ``Range: bytes=<size>-``.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
from collections.abc import Callable
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
)
from taskctl.http import HttpClient, TruncatedBodyError, redact_query
from taskctl.model import State, TaskResult
from taskctl.providers.base import Fetcher, FetchOptions
from taskctl.render.safe import inert

if TYPE_CHECKING:
    import requests
    from rich.progress import Progress, TaskID

PART_SUFFIX = ".part"
MAX_NAME_BYTES = 200  # file systems allow 255; leave room for ".part" and an editor's backup suffix
LINK_GONE_STATUSES = frozenset({401, 403, 404, 410})
_CONTENT_RANGE = re.compile(r"\s*bytes\s+(\d+)-(\d+)/(\d+|\*)\s*", re.I)
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
    if not isinstance(error, UsageError) and not error.message.startswith(label):
        error.message = f"{label}: {error.message}"
    return error


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
        return final.with_name(final.name + ".zip") if final == self.part else final


def check_destination(dest: str | None, force: bool) -> Path | None:
    """Interpret --dest: None for a folder (the default: the current one), else the file to write."""
    if dest == "":
        raise UsageError("--dest is empty", "name a folder or a file, or leave --dest out for the current folder")
    path = Path(dest) if dest is not None else Path()
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
    files, ``..``), trailing dots and surrounding blanks go; the name is cut to 200 UTF-8 bytes (the
    extension kept).
    """
    if not name:
        return None
    base = _UNSAFE_IN_NAME.sub("_", re.split(r"[/\\]", name)[-1])
    base = "".join(char if char.isprintable() else "_" for char in base)  # format, unassigned, odd spaces
    base = base.strip().lstrip(".").strip().rstrip(". ")
    if not base:
        return None
    base = _shorten(base, MAX_NAME_BYTES)
    if base.split(".", 1)[0].upper() in _WINDOWS_RESERVED:
        base = "_" + base
    return base


def _shorten(name: str, limit: int) -> str:
    if len(name.encode("utf-8")) <= limit:
        return name
    stem, suffix = os.path.splitext(name)
    if len(suffix.encode("utf-8")) > 16:
        stem, suffix = name, ""
    room = limit - len(suffix.encode("utf-8"))
    return stem.encode("utf-8")[:room].decode("utf-8", "ignore").rstrip(". ") + suffix


# --- the transfer -------------------------------------------------------------------------------------


class _Restart(Exception):
    """The .part cannot be continued (the server answered another range, or it is longer than the file)."""


class _BodyBroke(Exception):
    """The body stopped short: worth resuming from what arrived."""

    def __init__(self, error: TaskctlError) -> None:
        super().__init__(error.message)
        self.error = error


@dataclass
class _Transfer:
    client: HttpClient
    url: str
    target: Target
    force: bool
    bar: _ProgressBar
    warn: Callable[[str], None]

    def run(self) -> Path:
        """Request, write, resume after a broken body (up to the profile's retries), rename into place."""
        attempt, restart = 0, False
        while True:
            try:
                final = self._attempt(restart)
            except _Restart:
                restart = True
                continue
            except _BodyBroke as broke:
                if attempt >= self.client.profile.retries:
                    raise self._incomplete(broke.error) from None
                self.client.wait_before_retry(attempt, broke.error.message)
                attempt += 1
                restart = False
                continue
            if final is not None:
                return final
            restart = False  # the server sent a range that ends early: ask for the rest

    def _attempt(self, restart: bool) -> Path | None:
        """One request; the final path once complete, None when more is to come."""
        offset = 0 if restart else _part_size(self.target.part)
        headers = {"Accept": "*/*", "Accept-Encoding": "identity"}
        if offset:
            headers["Range"] = f"bytes={offset}-"
        response = self.client.stream(self.url, headers=headers)
        try:
            if response.status_code not in (200, 206, 416) or (response.status_code == 416 and not offset):
                raise self._http_error(response)
            final = self.target.final(response.headers.get("Content-Disposition"))
            _check_replaceable(final, self.force)
            if response.status_code == 416:
                return self._already_whole(response, offset, final)
            start, end, total = self._body_range(response, offset)
            self.bar.show(final.name, start, total)
            size = self._receive(response, start)
        finally:
            response.close()
        expected = end if end is not None else total
        if expected is not None and size != expected:
            # Without an exception this means the body's length disagreed with its own Content-Range.
            raise _BodyBroke(TruncatedBodyError(f"the download ended at {size} bytes, not the {expected} "
                                                "announced"))
        if total is not None and size < total:
            return None
        return self._rename(final)

    def _body_range(self, response: requests.Response, offset: int) -> tuple[int, int | None, int | None]:
        """(where the body starts in the file, where it ends, the file's size), as far as the answer says."""
        status = response.status_code
        if status == 200:
            if offset:
                self.warn(f"{_host(self.url)} ignored the request to resume at byte {offset}; "
                          "downloading from the start")
            return 0, None, _int_header(response, "Content-Length")
        if status == 206:
            match = _CONTENT_RANGE.fullmatch(response.headers.get("Content-Range", ""))
            if not match or int(match[1]) != offset or int(match[2]) < int(match[1]):
                if not offset:
                    raise ResponseError(f"{_host(self.url)} answered a byte range that was not asked for")
                self.warn(f"{_host(self.url)} answered another byte range than asked for; downloading from the "
                          "start")
                raise _Restart
            end = int(match[2]) + 1
            return offset, end, int(match[3]) if match[3] != "*" else end
        raise self._http_error(response)

    def _already_whole(self, response: requests.Response, offset: int, final: Path) -> Path:
        """416 to ``Range: bytes=<size of .part>-``: the .part may hold the whole file already."""
        match = re.fullmatch(r"\s*bytes\s+\*/(\d+)\s*", response.headers.get("Content-Range", ""), re.I)
        if match and int(match[1]) == offset:
            return self._rename(final)
        self.warn(f"{self.target.part} does not fit the file on {_host(self.url)}; downloading from the start")
        raise _Restart

    def _receive(self, response: requests.Response, start: int) -> int:
        """Write the body into the .part at ``start``, flushing each chunk; returns the .part's size."""
        part = self.target.part
        try:
            descriptor = os.open(part, os.O_WRONLY | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o666)
        except OSError as error:
            raise _write_error(part, error) from None
        try:
            _lock(descriptor, part)  # before truncating: another taskctl may be writing it
            os.ftruncate(descriptor, start)
            os.lseek(descriptor, start, os.SEEK_SET)
        except BaseException:
            os.close(descriptor)
            raise
        size = start
        with os.fdopen(descriptor, "wb") as out:
            try:
                for chunk in self.client.iter_body(response):
                    out.write(chunk)
                    out.flush()
                    size += len(chunk)
                    self.bar.advance(len(chunk))
            except (TruncatedBodyError, NetworkError) as error:
                raise _BodyBroke(error) from None
            except OSError as error:
                raise _write_error(part, error) from None
            with contextlib.suppress(OSError):  # a file system without fsync: the data is written all the same
                os.fsync(out.fileno())
        return size

    def _rename(self, final: Path) -> Path:
        try:
            os.replace(self.target.part, final)
        except OSError as error:
            raise TaskctlError(f"cannot rename {self.target.part} to {final}: {error.strerror or error}") from None
        return final

    def _incomplete(self, error: TaskctlError) -> TaskctlError:
        """A broken body, retries spent: the same kind of error, saying where the partial data is."""
        size = _part_size(self.target.part)
        error.message = f"the download stopped after {size} bytes: {error.message}"
        error.hint = f"the partial download is kept in {self.target.part}; rerun the same command to resume"
        return error

    def _http_error(self, response: requests.Response) -> TaskctlError:
        status, host = response.status_code, _host(self.url)
        code = _storage_error_code(response)
        shown = f"HTTP {status}" + (f" {code}" if code else "") + f" from {host}"
        if status in LINK_GONE_STATUSES:
            return TaskctlError(f"the download link has expired or is gone ({shown})",
                                "fetch the task again for a fresh link (rerun this command); if that fails too, "
                                "the package may have been deleted")
        if status == 416:
            return ResponseError(f"{host} refused a download without a range ({shown})")
        return ServiceError(f"the download failed ({shown})", "retry later; if it persists, fetch the task again")


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


def _part_size(part: Path) -> int:
    try:
        return part.lstat().st_size
    except FileNotFoundError:
        return 0
    except OSError as error:
        raise _write_error(part, error) from None


def _write_error(path: Path, error: OSError) -> TaskctlError:
    if error.errno == errno.ELOOP:
        return TaskctlError(f"{path} is a symbolic link; taskctl does not write through one", "remove it")
    return TaskctlError(f"cannot write {path}: {error.strerror or error}")


def _int_header(response: requests.Response, name: str) -> int | None:
    value = response.headers.get(name, "").strip()
    return int(value) if value.isdigit() else None


def _storage_error_code(response: requests.Response) -> str | None:
    """The ``<Code>`` of an object-storage XML error (e.g. AccessDenied), from its first 4 KB."""
    try:
        head = response.raw.read(4096, decode_content=True) or b""
    except Exception:  # noqa: BLE001 - only a nicer message is at stake
        return None
    match = re.search(rb"<Code>([A-Za-z0-9.]{1,64})</Code>", head)
    return match[1].decode("ascii") if match else None


def _host(url: str) -> str:
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    return f"{parts.hostname}:{port}" if port else str(parts.hostname)


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
