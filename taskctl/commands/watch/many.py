"""`watch` of several tasks: each watched as a single watch is (its own pace, growth and outage rules; one
``Watch`` per task), polled over one connection with at most ``POOL_SIZE`` polls at a time; a rate limit met by
one task slows every task of the profile (``ProfilePacing``).

The schedule runs in rounds on the context's clock and sleep: the polls that are due go to the pool together,
the round waits for them, and the next round starts when the next poll is due. With an injected fake clock the
whole watch is deterministic.

The end, by SPEC's precedence: the first error (1-6) in argument order; else 7 if a task ended failed, partial or
canceled; else 8 if one was still in progress at ``--timeout``; else 0. ``--fail-fast`` ends the watch at the
first bad end.
"""

from __future__ import annotations

import contextvars
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING

from taskctl.commands.watch.loop import Clock, ProfilePacing, Watch, WatchOutcome, WatchPolicy, outcome_message
from taskctl.errors import ExitCode, TaskctlError, about, task_label

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

    from taskctl.commands.watch import WatchOptions
    from taskctl.commands.watch.board import Board
    from taskctl.context import AppContext
    from taskctl.providers.base import Fetcher


@dataclass
class Slot:
    """One watched task: its watch, when it is next polled, and how it ended."""

    task_id: str
    next_at: float
    watch: Watch | None = field(default=None, repr=False)
    outcome: WatchOutcome | None = None
    error: TaskctlError | None = None

    @property
    def done(self) -> bool:
        return self.outcome is not None or self.error is not None

    @property
    def ended_badly(self) -> bool:
        return self.outcome is not None and not self.outcome.timed_out and self.outcome.exit_code != ExitCode.OK

    def step(self) -> None:
        """One poll (in a worker thread); its watch's sleep sets ``next_at``."""
        assert self.watch is not None
        try:
            self.outcome = self.watch.poll()
        except TaskctlError as error:
            self.error = error


def watch_many(app: AppContext, task_ids: Sequence[str], fetcher: Fetcher, policy: WatchPolicy, board: Board,
               *, fail_fast: bool = False, workers: int = 8) -> list[Slot]:
    """Watch every task until each has ended (or the timeout, or with ``fail_fast`` the first bad end)."""
    from concurrent.futures import ThreadPoolExecutor

    clock = app.clock
    start = clock()
    slots = [Slot(task_id, start) for task_id in task_ids]
    pacings = ProfilePacing.group_of(len(slots), policy.interval, clock)
    for slot, pacing in zip(slots, pacings, strict=True):
        slot.watch = Watch(partial(fetcher.fetch, slot.task_id), policy, clock, partial(_schedule, slot, clock),
                           board.observer(slot.task_id), pacing=pacing, start=start)
    pool = ThreadPoolExecutor(max_workers=max(1, min(workers, len(slots))), thread_name_prefix="watch")
    try:
        while not _over(slots, fail_fast):
            now = clock()
            due = [(index, slot) for index, slot in enumerate(slots) if not slot.done and slot.next_at <= now]
            if due:
                stretched = pacings[0].last_stretch
                _poll_round(pool, due, board)
                if pacings[0].last_stretch != stretched:
                    _slow_down(slots, pacings, clock())
            else:
                app.sleep(min(slot.next_at for slot in slots if not slot.done) - clock())
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    return slots


def _slow_down(slots: list[Slot], pacings: list[ProfilePacing], now: float) -> None:
    """A rate limit met this round: the polls already planned wait a whole stretched step too (not past the
    deadline, where the last poll happens)."""
    for slot, pacing in zip(slots, pacings, strict=True):
        if not slot.done and slot.watch is not None:
            later = now + pacing.current
            deadline = slot.watch.deadline
            slot.next_at = max(slot.next_at, later if deadline is None else min(later, deadline))


def _schedule(slot: Slot, clock: Clock, wait: float) -> None:
    slot.next_at = clock() + wait


def _over(slots: list[Slot], fail_fast: bool) -> bool:
    return all(slot.done for slot in slots) or (fail_fast and any(slot.ended_badly for slot in slots))


def _poll_round(pool: ThreadPoolExecutor, due: list[tuple[int, Slot]], board: Board) -> None:
    """Poll every due task at once (the HTTP time budget of this thread goes with each poll), and wait for all."""
    futures = [pool.submit(contextvars.copy_context().run, slot.step) for _index, slot in due]
    for future in futures:
        future.result()
    board.round_over()
    for index, slot in due:
        if slot.done:
            board.finished(index, slot.outcome, slot.error)


def exit_code(slots: Sequence[Slot]) -> ExitCode:
    """SPEC's precedence: an error first (in argument order), then a bad end, then a timeout, else 0."""
    errors = [slot.error.exit_code for slot in slots if slot.error is not None]
    if errors:
        return errors[0]
    if any(slot.ended_badly for slot in slots):
        return ExitCode.TASK_FAILED
    if any(slot.outcome is None or slot.outcome.timed_out for slot in slots):
        return ExitCode.TIMEOUT
    return ExitCode.OK


def run_several(app: AppContext, options: WatchOptions) -> ExitCode:
    """Watch every task, then print each last task seen in argument order as `get` would (errors and verdicts to
    ``app.report``, where they belong among the tasks)."""
    from taskctl.commands.watch.board import board_display
    from taskctl.http import POOL_SIZE, time_budget

    # --timeout bounds the HTTP layer too, connecting included: its retries and Retry-After waits end with the watch.
    with time_budget(options.policy.timeout), \
            app.connect(options.provider, options.profile, options.options) as connection, \
            board_display(app, options.provider, options.task_ids, app.clock) as board:
        slots = watch_many(app, options.task_ids, connection.fetcher, options.policy, board,
                           fail_fast=options.fail_fast, workers=POOL_SIZE)
        profile = connection.profile.name
    first_error = _print_slots(app, options, slots, profile)
    app.remember(options.provider, profile, [slot.outcome.result for slot in slots if slot.outcome is not None])
    return first_error or exit_code(slots)


def _report_about(app: AppContext, label: str, error: TaskctlError) -> None:
    app.report(about(error, label))


def _print_slots(app: AppContext, options: WatchOptions, slots: list[Slot], profile: str) -> ExitCode | None:
    """Each task as `get` prints it; the exit code of the first error in argument order, --jq's included."""
    from taskctl.output_streams import reader_gone, reader_safe
    from taskctl.render.output import Output

    output = Output(options.output, reader_safe(app.stdout), app.stdout_console, redact=app.redact, now=app.now,
                    profile=profile, jq=options.jq, plain_width=app.plain_width(app.stdout))
    stopped, first_error = 0, None
    for slot in slots:
        label = task_label(options.provider, slot.task_id)
        if slot.error is not None:
            app.report(about(slot.error, label))
            first_error = first_error or slot.error.exit_code
            continue
        result = slot.outcome.result if slot.outcome is not None else (slot.watch.last if slot.watch else None)
        if result is not None and not reader_gone(output.stream):
            failed = output.write_or_report(result, partial(_report_about, app, label))
            first_error = first_error or failed
        if slot.outcome is None:
            stopped += 1
    for slot in slots:
        verdict = outcome_message(options.provider, slot.task_id, slot.outcome) if slot.outcome else None
        if verdict is not None:
            app.report(verdict)
    if stopped:
        app.report(TaskctlError(f"--fail-fast stopped the watch: {stopped} of {len(slots)} tasks still in progress, "
                                "shown as last seen"))
    return first_error
