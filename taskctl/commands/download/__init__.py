"""`download`: save the files of a finished task, resumably; print each path written.

Any provider whose fetcher offers the files of a task (``taskctl.providers.files.FileSource``) has this
command; it knows nothing else about the provider. The files are links on a storage host, not on the API:
they are fetched by a client that carries no credentials (``HttpClient(credentials=False)``), with the
profile's timeouts, retries and TLS settings. Each goes to ``<name>.part`` beside its destination and is
renamed into place only once complete (``transfer``); ``names`` decides where, ``partfile`` keeps the
partial bytes safe, ``version`` says which version of the file they are, ``progress`` shows it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from taskctl.commands.download.names import STDOUT, Target, check_destination, plan_targets
from taskctl.commands.download.progress import ProgressBar
from taskctl.commands.download.transfer import DownloadInterrupted, Transfer
from taskctl.errors import ExitCode, ResponseError, TaskctlError, UsageError, WatchTimeoutError, about, task_label
from taskctl.providers.spec import FetchOptions

if TYPE_CHECKING:
    from taskctl.commands.watch import WatchPolicy
    from taskctl.config import Profile
    from taskctl.context import AppContext
    from taskctl.model import TaskResult
    from taskctl.providers.base import Fetcher
    from taskctl.providers.files import FileSource, RemoteFile


@dataclass(frozen=True)
class DownloadOptions:
    provider: str
    task_id: str  # as typed: the provider checks it
    profile: str | None
    dest: str | None = None  # a folder (the server names the file) or a file path; None: the current folder
    force: bool = False
    fetch_options: FetchOptions = field(default_factory=FetchOptions)
    wait: bool = False  # watch the task until it ends, then download
    interval: float | None = None  # with wait: seconds between polls; None: not given (the watch default)
    timeout: float | None = None  # with wait: give up after this many seconds (exit 8); None: not given
    inputs: bool = False  # the task's input files too (a provider whose spec has download_inputs)


def run(app: AppContext, options: DownloadOptions) -> ExitCode:
    """Fetch the task (with ``wait``: watch it until it ends), download its files, print each path written."""
    from taskctl import providers

    if not options.wait and (options.timeout is not None or options.interval is not None):
        raise UsageError("--interval and --timeout apply only with --wait", "add --wait to wait for the task")
    task_id = providers.load(options.provider).parse_task_id(options.task_id)
    policy = _wait_policy(options) if options.wait else None  # a bad value is a usage error, before any request
    check_destination(options.dest, options.force)  # so is a wrong --dest
    if options.dest == STDOUT and app.is_terminal(app.stdout):
        raise UsageError("--dest - writes the file to stdout, which is a terminal",
                         "redirect or pipe it (> FILE, | COMMAND), or name a file or folder")
    with app.connect(options.provider, options.profile, options.fetch_options) as connection:
        source = _file_source(connection.fetcher, options.provider)
        try:
            result = (connection.fetcher.fetch(task_id) if policy is None
                      else _fetch_when_done(app, options.provider, task_id, connection.fetcher, policy))
        except TaskctlError as error:
            raise _about(error, task_label(options.provider, task_id)) from None
        for path in download_files(app, connection.profile, result, source, dest=options.dest, force=options.force,
                                   inputs=options.inputs, secret=connection.secret.value):
            app.stdout.write(f"{path}\n")
            app.stdout.flush()
    return ExitCode.OK


def _wait_policy(options: DownloadOptions) -> WatchPolicy:
    from taskctl.commands.watch import WatchPolicy

    if options.interval is None:
        return WatchPolicy(timeout=options.timeout)
    return WatchPolicy(interval=options.interval, timeout=options.timeout)


def _file_source(fetcher: Fetcher, provider: str) -> FileSource:
    from taskctl.providers.files import file_source

    source = file_source(fetcher)
    if source is None:
        raise UsageError(f"{provider} tasks have no files to download", f"see `taskctl {provider} --help`")
    return source


def _fetch_when_done(app: AppContext, provider: str, task_id: str, fetcher: Fetcher,
                     policy: WatchPolicy) -> TaskResult:
    """`--wait`: watch the task until it ends (one connection), then hand it over."""
    from taskctl.commands.watch import outcome_message, watch_task

    outcome = watch_task(app, provider, task_id, fetcher, policy)
    if outcome.timed_out:
        verdict = outcome_message(provider, task_id, outcome)
        message = verdict.message.removeprefix("timed out: ") if verdict else f"task {task_id}"
        raise WatchTimeoutError(f"{message} (--timeout passed); nothing was downloaded",
                                "rerun the download with --wait and a longer --timeout")
    return outcome.result


def download_files(app: AppContext, profile: Profile, result: TaskResult, source: FileSource, *,
                   dest: str | None, force: bool, inputs: bool = False, secret: str | None = None) -> Iterator[Path]:
    """Download the files of a finished task, yielding each path once it is in place (``dest`` "-": the one
    file is written to stdout, and nothing is yielded).

    ``profile`` gives the network policy (timeouts, retries, TLS), never credentials. Call it inside
    ``app.connect(...)``: with the built-in sandbox profile, the files are served by that sandbox. A link that
    carries ``secret`` (the profile's, echoed by a service) is refused: it would reach the storage host.
    """
    label = task_label(result.task.provider, result.task.task_id)
    try:
        files = _checked(source.files(result, inputs=True) if inputs else source.files(result), label, secret)
        if dest == STDOUT:
            _to_stdout(app, profile, files)
            return
        targets = plan_targets(dest, files, result.task.task_id, force)
        yield from _transfer_all(app, profile, files, targets, force)
    except TaskctlError as error:
        raise _about(error, label) from None


def _checked(files: Sequence[RemoteFile], label: str, secret: str | None) -> Sequence[RemoteFile]:
    """The files a provider named, each link checked here whatever the provider did (fresh links too)."""
    if not files:
        raise TaskctlError(f"{label} has no files to download")
    for file in files:
        checked_link(file.url, label, secret)
    return [file if file.refresh is None else replace(file, refresh=_checked_refresh(file.refresh, label, secret))
            for file in files]


def _checked_refresh(refresh: Callable[[], str], label: str, secret: str | None) -> Callable[[], str]:
    return lambda: checked_link(refresh(), label, secret)


def checked_link(url: str, label: str, secret: str | None) -> str:
    from urllib.parse import quote, quote_plus, unquote_plus

    from taskctl.providers.files import usable_url

    usable_url(url, label)
    if secret and any(form in url or form in unquote_plus(url) for form in {secret, quote(secret, safe=""),
                                                                              quote_plus(secret)}):
        from taskctl.http.destination import host_port

        raise ResponseError(f"{label}: the download link carries the profile's credential; taskctl does not send it "
                            f"to {host_port(url)}", "report this to the service's operators")
    return url


def _transfer_all(app: AppContext, profile: Profile, files: Sequence[RemoteFile], targets: Sequence[Target],
                  force: bool) -> Iterator[Path]:
    client = app.http_client(profile, credentials=False)
    try:
        with ProgressBar(app, len(files)) as bar:
            for file, target in zip(files, targets, strict=True):
                path = Transfer(client, file, target, force, bar, app.warn).run()
                bar.file_done()
                yield path
    finally:
        client.close()


def _to_stdout(app: AppContext, profile: Profile, files: Sequence[RemoteFile]) -> None:
    from taskctl.commands.download.stdout import stream_to

    if len(files) != 1:
        raise UsageError(f"--dest - writes one file to stdout, but there are {len(files)} to download",
                         "name a folder instead")
    client = app.http_client(profile, credentials=False)
    try:
        with ProgressBar(app) as bar:  # on stderr, when that is a terminal
            stream_to(app.stdout, client, files[0], app.warn, bar)
    finally:
        client.close()


def _about(error: TaskctlError, label: str) -> TaskctlError:
    """Errors from the HTTP layer do not say which task they were about (a --dest mistake is not about it)."""
    return error if isinstance(error, UsageError | DownloadInterrupted) else about(error, label)
