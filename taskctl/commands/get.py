"""`PROVIDER get`: fetch one or more tasks (concurrently, printed in argument order) and render them.

A task that cannot be fetched does not stop the others: its error goes to ``app.report`` (the boundary prints
it, between the tasks before and after it) and the first such error's exit code is the command's.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, NamedTuple

from taskctl import providers
from taskctl.errors import ExitCode, TaskctlError, about, task_label
from taskctl.history import MAX_PER_PROFILE
from taskctl.http import POOL_SIZE
from taskctl.model import Outcome, TaskResult
from taskctl.output_streams import reader_gone, reader_safe

WINDOW_PER_WORKER = 2

if TYPE_CHECKING:
    from taskctl.context import AppContext
    from taskctl.providers.base import Fetcher
    from taskctl.providers.spec import FetchOptions
    from taskctl.render.output import Output


class GetOptions(NamedTuple):
    provider: str
    task_ids: tuple[str, ...]
    profile: str | None
    output: str
    options: FetchOptions | None = None  # None: the provider's defaults
    jq: str | None = None  # --jq: a jq expression each task's JSON document goes through


def parse_task_ids(provider: str, raw_ids: Sequence[str]) -> tuple[str, ...]:
    """Validate every id before any request is sent (UsageError on the first bad one)."""
    module = providers.load(provider)
    return tuple(module.parse_task_id(raw) for raw in raw_ids)


def run(app: AppContext, options: GetOptions) -> ExitCode:
    from taskctl.render.output import Output

    exit_code = ExitCode.OK
    with app.connect(options.provider, options.profile, options.options) as connection:
        stdout = reader_safe(app.stdout)
        output = Output(options.output, stdout, app.stdout_console, redact=app.redact, now=app.now,
                        profile=connection.profile.name, jq=options.jq, plain_width=app.plain_width(stdout))
        seen: deque[TaskResult] = deque(maxlen=MAX_PER_PROFILE)  # many ids, constant memory
        for outcome in fetch_in_order(connection.fetcher, options.task_ids):
            failure = _show(app, options.provider, outcome, output)
            if failure is not None and exit_code == ExitCode.OK:
                exit_code = failure
            if outcome.result is not None:
                seen.append(outcome.result)
        app.remember(options.provider, connection.profile.name, seen)
    return exit_code


def _show(app: AppContext, provider: str, outcome: Outcome, output: Output) -> ExitCode | None:
    """Print one outcome where it belongs: the task on stdout, or its error to the boundary's reporter."""
    if outcome.result is not None:
        # `| head` stopped reading: render no more, but still report errors and exit with the first.
        if not reader_gone(output.stream):
            label = task_label(provider, outcome.requested_id)
            return output.write_or_report(outcome.result, lambda error: app.report(about(error, label)))
        return None
    if not isinstance(outcome.error, TaskctlError):
        return None
    app.report(about(outcome.error, task_label(provider, outcome.requested_id)))
    return outcome.error.exit_code


def fetch_in_order(fetcher: Fetcher, task_ids: Sequence[str]) -> Iterator[Outcome]:
    """Fetch concurrently over one session (one worker per pooled connection); yield outcomes in the order given.

    At most WINDOW_PER_WORKER requests per worker are ahead of the one printed next: memory stays the same for ten
    ids or ten thousand, and a slow task holds back only that many finished ones.
    """
    if len(task_ids) == 1:
        yield _fetch_one(fetcher, task_ids[0])
        return
    from concurrent.futures import Future, ThreadPoolExecutor  # only for several ids: 4 ms of imports

    workers = min(POOL_SIZE, len(task_ids))
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fetch")
    ahead: deque[Future[Outcome]] = deque()
    try:
        for task_id in task_ids:
            ahead.append(pool.submit(_fetch_one, fetcher, task_id))
            if len(ahead) >= workers * WINDOW_PER_WORKER:
                yield ahead.popleft().result()
        while ahead:
            yield ahead.popleft().result()
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def _fetch_one(fetcher: Fetcher, task_id: str) -> Outcome:
    try:
        return Outcome(task_id, result=fetcher.fetch(task_id))
    except TaskctlError as error:
        return Outcome(task_id, error=error)
