"""`PROVIDER watch`: poll one or more tasks until they end (or a timeout passes), then print them as `get` would.

Parts, imported one way only (``__init__`` → ``many``/``board`` → ``view`` → ``loop``):

* ``loop.py``: the polling loop and its data (policy, observer protocol, outcome), clock and sleep injected.
* ``view.py``: what the watch of one task shows on stderr while it waits (a live line on a terminal, change
  lines elsewhere).
* ``many.py`` and ``board.py``: several tasks at once (their schedule; a live table or change lines).
* here: the loops wired to an ``AppContext``: one connection (one keep-alive session) for every poll, the clock
  and sleep of the context, the display on stderr, the final tasks on stdout and the verdicts for the boundary.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from taskctl.commands.watch.loop import DEFAULT_INTERVAL, WatchOutcome, WatchPolicy, outcome_message, watch
from taskctl.errors import ExitCode, TaskctlError, about, task_label

if TYPE_CHECKING:
    from taskctl.context import AppContext
    from taskctl.model import TaskResult
    from taskctl.providers.base import Fetcher
    from taskctl.providers.spec import FetchOptions
    from taskctl.render.output import Output

__all__ = ["DEFAULT_INTERVAL", "WatchOptions", "WatchOutcome", "WatchPolicy", "outcome_message", "run",
           "watch_task"]


@dataclass(frozen=True)
class WatchOptions:
    provider: str
    task_ids: tuple[str, ...]
    profile: str | None
    output: str
    policy: WatchPolicy = field(default_factory=WatchPolicy)
    options: FetchOptions | None = None  # None: the provider's defaults
    fail_fast: bool = False  # several tasks: stop at the first that ends badly
    jq: str | None = None  # --jq: a jq expression each task's JSON document goes through


def run(app: AppContext, options: WatchOptions) -> ExitCode:
    """Watch, then print the last task seen exactly as `get` would, and hand the verdict to ``app.report``."""
    if len(options.task_ids) != 1:
        from taskctl.commands.watch.many import run_several

        return run_several(app, options)
    from taskctl.http import time_budget
    from taskctl.render.output import Output

    task_id = options.task_ids[0]
    # --timeout bounds what connecting asks too (a project lookup, a session token), not only the polls.
    with time_budget(options.policy.timeout), app.connect(options.provider, options.profile,
                                                         options.options) as connection:
        try:
            outcome = watch_task(app, options.provider, task_id, connection.fetcher, options.policy)
        except TaskctlError as error:  # named as `get` names it
            raise about(error, task_label(options.provider, task_id)) from None
        profile = connection.profile.name
    output = Output(options.output, app.stdout, app.stdout_console, redact=app.redact, now=app.now,
                    profile=profile, jq=options.jq, plain_width=app.plain_width(app.stdout))
    _print_task(output, outcome.result)
    app.remember(options.provider, profile, [outcome.result])
    verdict = outcome_message(options.provider, task_id, outcome)
    if verdict is not None:
        app.report(verdict)
    return outcome.exit_code


def watch_task(app: AppContext, provider: str, task_id: str, fetcher: Fetcher, policy: WatchPolicy) -> WatchOutcome:
    """Watch one task with ``fetcher`` (its connection reused for every poll) on the context's clock and sleep,
    showing progress on stderr.

    Prints nothing on stdout and decides no exit code: the caller does (``run``, or a command that waits for a
    task before doing more, e.g. a download).
    """
    from taskctl.commands.watch.view import watch_display
    from taskctl.http import time_budget

    # --timeout bounds the HTTP layer too: its retries and Retry-After waits end with the watch.
    with watch_display(app, provider, task_id, app.clock) as observer, time_budget(policy.timeout):
        return watch(lambda: fetcher.fetch(task_id), policy, clock=app.clock, sleep=app.sleep, observer=observer)


def _print_task(output: Output, result: TaskResult) -> None:
    from taskctl.output_streams import silence_stdout

    try:
        output.write(result)
    except BrokenPipeError:  # `| head` stopped reading: the exit code still tells how the task ended
        silence_stdout()
