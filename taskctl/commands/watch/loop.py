"""The polling loop of `watch`: poll one task until it ends (or a timeout passes), and the data it hands on.

``watch()`` takes the fetch function, the clock and the sleep as arguments, and knows nothing of Typer, rich,
HTTP or the display: tests drive it with a fake clock and a scripted fetch. It tells a ``WatchObserver`` about
each poll (``view.py`` implements the stderr display on top of these types; this module never imports it) and
ends with a ``WatchOutcome``.

Pacing: the first poll is immediate; then one every ``interval`` seconds (measured from the end of one poll
to the start of the next). After ``GROWTH_AFTER`` seconds each step is ``GROWTH`` times the one before, up
to ``max(interval, min(MAX_INTERVAL, MAX_GROWTH * interval))``. A rate-limit answer (HTTP 429, still
after the HTTP layer's own retries) doubles the step, up to ``max(interval, MAX_INTERVAL)``. The last
sleep is cut short at the deadline, so the last poll happens when the timeout passes.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from taskctl.errors import (
    ExitCode,
    NetworkError,
    RateLimitError,
    ResponseError,
    ServiceError,
    TaskctlError,
    UsageError,
    task_label,
)
from taskctl.model import State, TaskResult

DEFAULT_INTERVAL = 5.0
MAX_INTERVAL = 60.0
MAX_INTERVAL_SETTING = 86400.0  # an --interval longer than a day is a typo
GROWTH_AFTER = 60.0
GROWTH = 1.5
MAX_GROWTH = 6.0
RATE_LIMIT_STRETCH = 2.0
OUTAGE_LIMIT = 600.0
"""Without a timeout, give up after this many seconds of nothing but transient errors."""

TRANSIENT_ERRORS: tuple[type[TaskctlError], ...] = (NetworkError, ServiceError, ResponseError)
"""Worth another poll: the network, a 5xx or rate limit after retries, a gateway page, a truncated answer.
Everything else (auth, not found, usage, configuration) ends the watch at once."""

Clock = Callable[[], float]
Sleep = Callable[[float], None]


# --- the loop ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WatchPolicy:
    """How often to poll and for how long. ``timeout`` None: until the task ends; 0: check once."""

    interval: float = DEFAULT_INTERVAL
    timeout: float | None = None
    outage_limit: float | None = OUTAGE_LIMIT  # only applies without a timeout

    def __post_init__(self) -> None:
        if not (math.isfinite(self.interval) and 0 < self.interval <= MAX_INTERVAL_SETTING):
            raise UsageError(f"invalid --interval {self.interval:g}: expected seconds above 0 and at most "
                             f"{MAX_INTERVAL_SETTING:g}", "example: --interval 5 (fractions such as 0.5 work)")
        if self.timeout is not None and not (math.isfinite(self.timeout) and self.timeout >= 0):
            raise UsageError(f"invalid --timeout {self.timeout:g}: expected seconds, 0 or more",
                             "example: --timeout 3600; --timeout 0 checks once")


class WatchObserver(Protocol):
    """What the loop tells the display."""

    def polled(self, result: TaskResult, elapsed: float) -> None:
        """A poll answered (every poll, changed or not)."""

    def failed(self, error: TaskctlError, elapsed: float, retry_in: float) -> None:
        """A poll failed with a transient error; the next poll is ``retry_in`` seconds away."""


@dataclass(frozen=True)
class WatchOutcome:
    """How a watch ended: the last task seen, and whether the timeout passed first."""

    result: TaskResult
    timed_out: bool
    elapsed: float
    polls: int

    @property
    def state(self) -> State:
        return self.result.task.state

    @property
    def exit_code(self) -> ExitCode:
        if self.timed_out:
            return ExitCode.TIMEOUT
        return ExitCode.OK if self.state == State.SUCCEEDED else ExitCode.TASK_FAILED


def is_transient(error: TaskctlError) -> bool:
    return isinstance(error, TRANSIENT_ERRORS)


def is_rate_limited(error: TaskctlError) -> bool:
    """The provider's answer to HTTP 429 after the HTTP layer's retries."""
    return isinstance(error, RateLimitError)


@dataclass
class Pacing:
    """The current step between polls: grows gently on long waits, stretches when rate limited."""

    base: float
    current: float = field(init=False)

    def __post_init__(self) -> None:
        self.current = self.base

    @property
    def growth_cap(self) -> float:
        return max(self.base, min(MAX_INTERVAL, MAX_GROWTH * self.base))

    @property
    def stretch_cap(self) -> float:
        return max(self.base, MAX_INTERVAL)

    def next_step(self, elapsed: float) -> float:
        if elapsed >= GROWTH_AFTER:
            self.current = max(self.current, min(self.current * GROWTH, self.growth_cap))
        return self.current

    def stretch(self) -> None:
        self.current = max(self.current, min(self.current * RATE_LIMIT_STRETCH, self.stretch_cap))


@dataclass
class ProfilePacing(Pacing):
    """The pace of one task among several watched through one profile: a rate limit met by any of them
    stretches them all (the service limits the profile, not the task), once per step of the one that met it."""

    group: list[ProfilePacing] = field(default_factory=list)
    clock: Clock = field(default=lambda: 0.0)
    _stretched_at: list[float] = field(default_factory=list)  # shared by the group: when it last stretched

    def stretch(self) -> None:
        now = self.clock()
        if self._stretched_at and now - self._stretched_at[0] < self.current:
            return  # another task of the group already slowed everyone for this round
        self._stretched_at[:] = [now]
        for member in self.group:
            Pacing.stretch(member)

    @property
    def last_stretch(self) -> float | None:
        """When the group last stretched (None: never)."""
        return self._stretched_at[0] if self._stretched_at else None

    @classmethod
    def group_of(cls, size: int, base: float, clock: Clock) -> list[ProfilePacing]:
        group: list[ProfilePacing] = []
        stretched_at: list[float] = []
        for _ in range(size):
            group.append(cls(base, group=group, clock=clock, _stretched_at=stretched_at))
        return group


class _Quiet:
    def polled(self, result: TaskResult, elapsed: float) -> None:
        pass

    def failed(self, error: TaskctlError, elapsed: float, retry_in: float) -> None:
        pass


def watch(fetch: Callable[[], TaskResult], policy: WatchPolicy, *, clock: Clock, sleep: Sleep,
          observer: WatchObserver | None = None) -> WatchOutcome:
    """Poll ``fetch`` until the task is terminal or ``policy.timeout`` passes.

    Transient errors (``TRANSIENT_ERRORS``) are reported to the observer and retried; when the timeout
    passes (or, without one, ``policy.outage_limit`` seconds of failures in a row) the last error is
    raised if no task was ever seen. Any other TaskctlError propagates at once.
    """
    return Watch(fetch, policy, clock, sleep, observer or _Quiet()).run()


class Watch:
    """The state of one watch: the pace, the deadline, the last task seen, since when polls fail.

    ``run`` polls until the end; ``poll`` is one poll and the wait after it, for a caller that schedules several
    watches itself (its ``sleep`` then records when to poll next instead of sleeping)."""

    def __init__(self, fetch: Callable[[], TaskResult], policy: WatchPolicy, clock: Clock, sleep: Sleep,
                 observer: WatchObserver, pacing: Pacing | None = None, start: float | None = None) -> None:
        self.fetch, self.policy, self.clock, self.sleep, self.observer = fetch, policy, clock, sleep, observer
        self.start = clock() if start is None else start
        self.deadline = None if policy.timeout is None else self.start + policy.timeout
        self.pacing = pacing or Pacing(policy.interval)
        self.polls = 0
        self.last: TaskResult | None = None
        self.failing_since: float | None = None

    def run(self) -> WatchOutcome:
        while True:
            outcome = self.poll()
            if outcome is not None:
                return outcome

    def poll(self) -> WatchOutcome | None:
        """One poll and the wait after it; an outcome when the watch is over."""
        self.polls += 1
        began = self.clock()
        try:
            result = self.fetch()
        except TaskctlError as error:
            if not is_transient(error):
                raise
            failure = error
        else:
            return self._after_answer(result)
        return self._after_error(failure, began)  # outside the except block: no chained context on raise

    def _after_answer(self, result: TaskResult) -> WatchOutcome | None:
        self.last, self.failing_since = result, None
        elapsed = self.clock() - self.start
        self.observer.polled(result, elapsed)
        if result.task.state.terminal:
            return WatchOutcome(result, timed_out=False, elapsed=elapsed, polls=self.polls)
        wait = self._wait(elapsed)
        if wait is None:
            return WatchOutcome(result, timed_out=True, elapsed=elapsed, polls=self.polls)
        self.sleep(wait)
        return None

    def _after_error(self, error: TaskctlError, began: float) -> WatchOutcome | None:
        if self.failing_since is None:
            self.failing_since = began
        if is_rate_limited(error):
            self.pacing.stretch()
        now = self.clock()
        wait = self._wait(now - self.start)
        if wait is None and self.last is not None:  # the timeout passed: report the last task seen
            return WatchOutcome(self.last, timed_out=True, elapsed=now - self.start, polls=self.polls)
        limit = self.policy.outage_limit
        outage = self.deadline is None and limit is not None and now - self.failing_since >= limit
        if wait is None or outage:
            raise _given_up(error, now - self.failing_since)
        self.observer.failed(error, now - self.start, wait)
        self.sleep(wait)
        return None

    def _wait(self, elapsed: float) -> float | None:
        """Seconds until the next poll; None when the deadline has passed."""
        step = self.pacing.next_step(elapsed)
        if self.deadline is None:
            return step
        remaining = self.deadline - (self.start + elapsed)
        return None if remaining <= 0 else min(step, remaining)


def _given_up(error: TaskctlError, failing_for: float) -> TaskctlError:
    """The last error, saying how long polls kept failing (when that was more than one)."""
    if failing_for < 1:
        return error
    return error.revised(hint=f"polls kept failing for {seconds_text(failing_for)}; " + (error.hint or "retry later"))


def seconds_text(seconds: float) -> str:
    """``0.3s``, ``12s``, ``1m 5s``: tenths below ten seconds (small intervals), whole units above."""
    from taskctl.render.humanize import duration

    return f"{seconds:.1f}s" if seconds < 10 else duration(seconds)


def outcome_message(provider: str, task_id: str, outcome: WatchOutcome) -> TaskctlError | None:
    """The stderr verdict of a watch that did not succeed (None when it did)."""
    label = task_label(provider, task_id)
    task = outcome.result.task
    if outcome.timed_out:
        return TaskctlError(f"timed out: {label} is still {task.state.value} ({task.raw_status}) after "
                            f"{seconds_text(outcome.elapsed)}",
                            "the task goes on; watch it again, or allow a longer --timeout")
    if outcome.exit_code == ExitCode.OK:
        return None
    detail = f": {task.message}" if task.message else ""
    return TaskctlError(f"{label} ended {task.state.value} ({task.raw_status}){detail}")
