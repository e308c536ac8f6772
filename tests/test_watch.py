"""`PROVIDER watch`: the polling loop on a fake clock, the stderr display, and the real CLI against the sandbox."""

from __future__ import annotations

import functools
import io
import json
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from time import monotonic

import pytest
from support import write_profiles
from support.clock import FakeTime

from taskctl.commands.watch.loop import Pacing, WatchOutcome, WatchPolicy, watch
from taskctl.commands.watch.view import LiveView, PlainReporter, live_capable, watch_display
from taskctl.context import AppContext
from taskctl.errors import (
    AuthError,
    ConfigError,
    ExitCode,
    NetworkError,
    NotFoundError,
    RateLimitError,
    ResponseError,
    ServiceError,
    TaskctlError,
    UsageError,
)
from taskctl.model import State, Task, TaskResult
from taskctl.providers.koodrive import SANDBOX_SHARE_ID
from taskctl.providers.modelarts import SANDBOX_PROJECT_ID
from taskctl.sandbox import SANDBOX_TOKEN, RunningSandbox
from taskctl.sandbox.server import html_response, json_response

RATE_LIMITED = RateLimitError("eo task 1: 127.0.0.1 is rate limiting requests (HTTP 429), still after retries")


def task(state: State, progress: int | None = None, raw_status: str = "", name: str = "t") -> TaskResult:
    return TaskResult(raw={"state": state.value},
                      task=Task("eo", "1", name, "NDVI", raw_status or state.value, state, progress=progress))




class Script:
    """A fetch that answers from a list (the last item repeats); an exception item is raised."""

    def __init__(self, items: Iterable[TaskResult | TaskctlError], time: FakeTime, takes: float = 0.0) -> None:
        self.items = list(items)
        self.time = time
        self.takes = takes
        self.calls = 0

    def __call__(self) -> TaskResult:
        item = self.items[min(self.calls, len(self.items) - 1)]
        self.calls += 1
        self.time.now += self.takes
        if isinstance(item, TaskctlError):
            raise item
        return item


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, object, float]] = []

    def polled(self, result: TaskResult, elapsed: float) -> None:
        self.events.append(("polled", result.task.state, elapsed))

    def failed(self, error: TaskctlError, elapsed: float, retry_in: float) -> None:
        self.events.append(("failed", type(error).__name__, retry_in))


def run(items: Iterable[TaskResult | TaskctlError], policy: WatchPolicy, takes: float = 0.0,
        observer: Recorder | None = None) -> tuple[WatchOutcome, FakeTime, Script]:
    time = FakeTime()
    script = Script(items, time, takes)
    outcome = watch(script, policy, clock=time.clock, sleep=time.sleep, observer=observer)
    return outcome, time, script


# --- the loop ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("final", "code"), [
    (State.SUCCEEDED, ExitCode.OK), (State.FAILED, ExitCode.TASK_FAILED),
    (State.PARTIAL, ExitCode.TASK_FAILED), (State.CANCELED, ExitCode.TASK_FAILED),
])
def test_polls_until_terminal_and_maps_the_exit_code(final: State, code: ExitCode) -> None:
    outcome, time, script = run([task(State.PENDING), task(State.RUNNING), task(final)], WatchPolicy(interval=5))
    assert (outcome.exit_code, outcome.timed_out, outcome.state, outcome.polls) == (code, False, final, 3)
    assert time.sleeps == [5, 5]
    assert script.calls == 3


def test_a_task_already_ended_is_polled_once() -> None:
    outcome, time, _ = run([task(State.SUCCEEDED)], WatchPolicy())
    assert (outcome.exit_code, outcome.polls, time.sleeps) == (ExitCode.OK, 1, [])


def test_timeout_returns_the_last_task_seen_and_polls_at_the_deadline() -> None:
    outcome, time, script = run([task(State.RUNNING, 10), task(State.RUNNING, 20), task(State.RUNNING, 30)],
                                WatchPolicy(interval=4, timeout=10))
    assert outcome.exit_code == ExitCode.TIMEOUT and outcome.timed_out
    assert time.sleeps == [4, 4, 2]  # the last sleep is cut at the deadline, then one last look
    assert script.calls == 4
    assert outcome.result.task.progress == 30


def test_timeout_zero_checks_once() -> None:
    outcome, time, script = run([task(State.RUNNING)], WatchPolicy(timeout=0))
    assert (outcome.exit_code, script.calls, time.sleeps) == (ExitCode.TIMEOUT, 1, [])
    outcome, _time, script = run([task(State.FAILED)], WatchPolicy(timeout=0))
    assert (outcome.exit_code, script.calls) == (ExitCode.TASK_FAILED, 1)


def test_a_slow_answer_counts_against_the_timeout() -> None:
    outcome, time, script = run([task(State.RUNNING)], WatchPolicy(interval=1, timeout=5), takes=3)
    assert outcome.timed_out
    assert time.sleeps == [1]  # polls at 0 (ends at 3), 4 (ends at 7 > 5): over
    assert script.calls == 2


def test_unknown_state_keeps_polling() -> None:
    outcome, _time, script = run([task(State.UNKNOWN), task(State.UNKNOWN), task(State.SUCCEEDED)],
                                 WatchPolicy(interval=1))
    assert (outcome.exit_code, script.calls) == (ExitCode.OK, 3)


def test_interval_grows_gently_after_a_minute_up_to_six_times_the_base() -> None:
    _outcome, time, _ = run([task(State.RUNNING)], WatchPolicy(interval=5, timeout=300))
    assert time.sleeps[:12] == [5] * 12  # the first minute at the chosen pace
    assert time.sleeps[12:17] == [7.5, 11.25, 16.875, 25.3125, 30]
    assert set(time.sleeps[17:-1]) == {30}  # min(60, 6 x 5)


@pytest.mark.parametrize(("base", "cap"), [(0.5, 3.0), (5, 30), (20, 60), (90, 90)])
def test_growth_cap(base: float, cap: float) -> None:
    pacing = Pacing(base)
    steps = [pacing.next_step(elapsed) for elapsed in range(0, 3600, 10)]
    assert max(steps) == cap
    assert steps == sorted(steps)


def test_rate_limiting_doubles_the_interval_up_to_a_minute() -> None:
    recorder = Recorder()
    outcome, time, _ = run([RATE_LIMITED, RATE_LIMITED, task(State.RUNNING), task(State.SUCCEEDED)],
                           WatchPolicy(interval=5), observer=recorder)
    assert outcome.exit_code == ExitCode.OK
    assert time.sleeps == [10, 20, 20]  # stretched, and it stays stretched: the server asked us to slow down
    assert [event for event in recorder.events if event[0] == "failed"] == [
        ("failed", "RateLimitError", 10), ("failed", "RateLimitError", 20)]
    pacing = Pacing(5)
    for _ in range(10):
        pacing.stretch()
    assert pacing.current == 60


@pytest.mark.parametrize("error", [
    NetworkError("cannot connect to host: connection refused"),
    ServiceError("eo task 1: error 500 (HTTP 500): Server internal error"),
    ResponseError("eo task 1: HTTP 502 from host with an HTML page (a gateway or proxy error?), not the API's JSON"),
    ResponseError("eo task 1: HTTP 200 from host with truncated JSON (the answer ends mid-document)"),
])
def test_transient_errors_are_reported_and_retried(error: TaskctlError) -> None:
    recorder = Recorder()
    outcome, time, _ = run([task(State.RUNNING), error, error, task(State.SUCCEEDED)], WatchPolicy(interval=2),
                           observer=recorder)
    assert outcome.exit_code == ExitCode.OK
    assert time.sleeps == [2, 2, 2]
    assert [name for kind, name, _ in recorder.events if kind == "failed"] == [type(error).__name__] * 2


def test_transient_errors_until_the_timeout_give_exit_8_with_the_last_task_seen() -> None:
    recorder = Recorder()
    outcome, _time, script = run([task(State.RUNNING, 40), NetworkError("connection refused")],
                                 WatchPolicy(interval=1, timeout=5), observer=recorder)
    assert outcome.exit_code == ExitCode.TIMEOUT
    assert outcome.result.task.progress == 40
    assert script.calls == 6
    assert sum(1 for kind, *_ in recorder.events if kind == "failed") == 4  # the last failure ends the watch


def test_only_errors_until_the_timeout_raise_the_last_error() -> None:
    """Nothing was ever seen: the task may not even be in progress, so not exit 8 but the error's code."""
    with pytest.raises(NetworkError) as raised:
        run([NetworkError("connection refused")], WatchPolicy(interval=1, timeout=5))
    assert "polls kept failing for 5.0s" in (raised.value.hint or "")


def test_without_a_timeout_a_long_outage_ends_the_watch() -> None:
    recorder = Recorder()
    with pytest.raises(ResponseError) as raised:
        run([task(State.RUNNING), ResponseError("HTML page")], WatchPolicy(interval=5, outage_limit=600),
            observer=recorder)
    assert "polls kept failing for 10m" in (raised.value.hint or "")
    assert len([event for event in recorder.events if event[0] == "failed"]) > 20


@pytest.mark.parametrize("error", [AuthError("refused"), NotFoundError("gone"), UsageError("bad"),
                                   ConfigError("no token"), TaskctlError("something else")])
def test_fatal_errors_end_the_watch_at_once(error: TaskctlError) -> None:
    time = FakeTime()
    script = Script([task(State.RUNNING), error], time)
    with pytest.raises(type(error)):
        watch(script, WatchPolicy(interval=1, timeout=100), clock=time.clock, sleep=time.sleep)
    assert script.calls == 2


@pytest.mark.parametrize(("interval", "timeout"), [(0, None), (-1, None), (float("nan"), None),
                                                   (float("inf"), None), (1e9, None), (1, -1), (1, float("nan"))])
def test_bad_interval_or_timeout_is_a_usage_error(interval: float, timeout: float | None) -> None:
    with pytest.raises(UsageError):
        WatchPolicy(interval=interval, timeout=timeout)


# --- the display -----------------------------------------------------------------------------------------


def test_plain_reporter_writes_one_line_per_change_only() -> None:
    lines: list[str] = []
    warnings: list[str] = []
    reporter = PlainReporter("koodrive task T", write_line=lines.append, warn=warnings.append)
    for elapsed, result in enumerate([task(State.PENDING, 0), task(State.PENDING, 0), task(State.RUNNING, 40),
                                      task(State.RUNNING, 40), task(State.RUNNING, 40), task(State.RUNNING, 60),
                                      task(State.SUCCEEDED, 100)]):
        reporter.polled(result, elapsed * 6.0)
    assert lines == ["taskctl: koodrive task T: pending 0% (0.0s)", "taskctl: koodrive task T: running 40% (12s)",
                     "taskctl: koodrive task T: running 60% (30s)", "taskctl: koodrive task T: succeeded 100% (36s)"]
    reporter.failed(NetworkError("koodrive task T: cannot connect to h: connection refused"), 40, 5)
    reporter.polled(task(State.SUCCEEDED, 100), 45)  # shown again: the watch recovered
    assert warnings == ["koodrive task T: cannot connect to h: connection refused; next poll in 5.0s"]
    assert lines[-1] == "taskctl: koodrive task T: succeeded 100% (45s)"


def test_plain_lines_name_an_unknown_status_and_are_inert_and_redacted() -> None:
    stderr = io.StringIO()
    app = AppContext(environ={}, stdout=io.StringIO(), stderr=stderr)
    app.redact.add("s3cr3t-token")
    with watch_display(app, "eo", "705", clock=lambda: 0.0) as observer:
        assert isinstance(observer, PlainReporter)
        observer.polled(task(State.UNKNOWN, raw_status="6 \x1b[31mUNKNOWN s3cr3t-token"), 1.0)
        observer.failed(ServiceError("eo task 705: error [bold]x[/bold]\x07"), 2.0, 5.0)
    assert stderr.getvalue() == ("taskctl: eo task 705: unknown (6 ^[[31mUNKNOWN ***) (1.0s)\n"
                                 "taskctl: warning: eo task 705: error [bold]x[/bold]^G; next poll in 5.0s\n")


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("environ", "debug", "live"), [
    ({"TERM": "xterm"}, False, True), ({"TERM": "xterm"}, True, False), ({"TERM": "dumb"}, False, False)])
def test_live_display_only_on_a_capable_terminal_without_debug(environ: dict[str, str], debug: bool,
                                                              live: bool) -> None:
    app = AppContext(environ=environ, stdout=io.StringIO(), stderr=FakeTerminal(), debug=debug)
    assert live_capable(app) is live
    assert not live_capable(AppContext(environ=environ, stdout=io.StringIO(), stderr=io.StringIO()))


def test_live_view_shows_name_state_progress_and_elapsed_inert() -> None:
    from rich.console import Console

    now = [0.0]
    view = LiveView("koodrive task T", lambda: now[0], warn=lambda _line: None, redact=lambda text: text)
    view.polled(task(State.RUNNING, 40, name="[bold]x[/bold]\x1b[2J"), 1.0)
    now[0] = 12.0
    console = Console(file=io.StringIO(), width=120, color_system=None, force_terminal=True)
    with console.capture() as captured:
        console.print(view)
    text = captured.get()
    assert "koodrive task T · [bold]x[/bold]^[[2J" in text
    assert "running" in text and "40%" in text and "12s" in text
    assert "\x1b[2J" not in text


# --- the CLI against the sandbox ------------------------------------------------------------------------
# The real CLI, on a fake clock handed in through the AppContext: the sandbox's tasks advance per poll, so no
# test here waits in real time for its --interval or --timeout.

FAST = ("--interval", "0.05", "--profile", "sandbox")



@pytest.fixture
def context_factory(fake_time: FakeTime) -> Callable[..., AppContext]:
    """The CLI's AppContext on ``fake_time`` (overrides conftest's real one for this module)."""
    return functools.partial(AppContext, clock=fake_time.clock, sleep=fake_time.sleep)


def test_the_cli_watch_runs_on_the_context_clock(cli: Callable, fake_time: FakeTime) -> None:
    started = monotonic()
    result = cli("eo", "watch", "702", "--profile", "sandbox", "--interval", "30", "--timeout", "600")
    assert result.exit_code == 8, result.stderr
    assert "timed out: eo task 702 is still running (5 PROCESSING) after 10m" in result.stderr
    assert fake_time.sleeps[:2] == [30, 30] and sum(fake_time.sleeps) == pytest.approx(600)
    assert monotonic() - started < 60  # ten minutes of polling, without the ten minutes


@pytest.mark.parametrize(("args", "code", "lines"), [
    (("eo", "watch", "710"), 0, ["eo task 710: running", "eo task 710: succeeded"]),
    (("eo", "watch", "711"), 7, ["eo task 711: running", "eo task 711: failed"]),
    (("koodrive", "watch", "task-advancing"), 0, ["pending 0%", "running 50%", "succeeded 100%"]),
    (("koodrive", "watch", "task-partial"), 7, ["koodrive task task-partial: partial 100%"]),
    (("modelarts", "watch", "task-advancing"), 0, ["pending", "running", "succeeded"]),
    (("modelarts", "watch", "task-advancing-fail"), 7, ["pending", "running", "failed"]),
    (("eo", "watch", "702", "--timeout", "0.3"), 8, ["eo task 702: running"]),
])
def test_watch_exit_codes_and_change_lines(cli: Callable, args: tuple[str, ...], code: int,
                                           lines: list[str]) -> None:
    result = cli(*args, *FAST, "--json")
    assert result.exit_code == code, result.stderr
    json.loads(result.stdout)  # the final task, as JSON: nothing else on stdout
    progress = [line for line in result.stderr.splitlines() if line.startswith(f"taskctl: {args[0]} task ")]
    assert len(progress) == len(lines)
    assert all(want in line for want, line in zip(lines, progress, strict=True))
    if code == 7:
        assert "ended" in result.stderr.splitlines()[-1]
    if code == 8:
        assert "timed out: eo task 702 is still running (5 PROCESSING)" in result.stderr


def test_failed_modelarts_task_says_why(cli: Callable) -> None:
    result = cli("modelarts", "watch", "task-advancing-fail", *FAST)
    assert result.exit_code == 7
    assert result.stderr.splitlines()[-1] == (
        "taskctl: error: modelarts task task-advancing-fail ended failed (3 failed): ModelArts.4302: OBS path "
        "/modelarts-demo/flowers/augmented/ is not writable.")


@pytest.mark.parametrize("fmt", [("--json",), ("-o", "table"), ("-o", "tree"), ("-o", "yaml")])
def test_stdout_is_what_get_prints(cli: Callable, fmt: tuple[str, ...]) -> None:
    watched = cli("eo", "watch", "703", *FAST, *fmt)
    got = cli("eo", "get", "703", "--profile", "sandbox", *fmt)
    assert (watched.exit_code, got.exit_code) == (0, 0)
    # Each run has its own sandbox, whose storage host (in the thumbnail links) listens on its own port.
    assert without_ports(watched.stdout) == without_ports(got.stdout)


def without_ports(text: str) -> str:
    return re.sub(r"127\.0\.0\.1:[0-9]+", "127.0.0.1:PORT", text)


@pytest.mark.parametrize("value", ["0", "-1", "nan", "abc"])
def test_bad_interval_is_a_usage_error(cli: Callable, value: str) -> None:
    result = cli("eo", "watch", "710", "--profile", "sandbox", "--interval", value)
    assert result.exit_code == 2
    assert result.stdout == ""


def test_bad_timeout_and_bad_id_are_usage_errors(cli: Callable) -> None:
    assert cli("eo", "watch", "710", "--profile", "sandbox", "--timeout", "-1").exit_code == 2
    assert cli("eo", "watch", "x710", "--profile", "sandbox").exit_code == 2
    assert cli("eo", "watch", "710", "x711", "--profile", "sandbox").exit_code == 2  # every id checked first


@pytest.mark.parametrize(("task_id", "code"), [("9401", 4), ("4040", 3)])
def test_fatal_errors_keep_their_exit_codes(cli: Callable, task_id: str, code: int) -> None:
    result = cli("eo", "watch", task_id, *FAST, "--timeout", "5")
    assert result.exit_code == code
    assert result.stdout == ""
    assert "warning" not in result.stderr


def _profiles(sandbox: RunningSandbox) -> str:
    return (f"profiles:\n"
            f"  local-eo:\n    provider: eo\n    endpoint: {sandbox.endpoint('eo')}\n"
            f"    token: {SANDBOX_TOKEN}\n    retries: 0\n"
            f"  local-koodrive:\n    provider: koodrive\n    endpoint: {sandbox.endpoint('koodrive')}\n"
            f"    token: {SANDBOX_TOKEN}\n    share_id: {SANDBOX_SHARE_ID}\n    retries: 0\n"
            f"  local-modelarts:\n    provider: modelarts\n    endpoint: {sandbox.endpoint('modelarts')}\n"
            f"    token: {SANDBOX_TOKEN}\n    project_id: {SANDBOX_PROJECT_ID}\n    retries: 0\n")


@pytest.mark.parametrize(("provider", "task_id"), [("eo", "710"), ("koodrive", "task-advancing"),
                                                   ("modelarts", "task-advancing")])
def test_every_poll_reuses_one_connection_and_stdout_matches_get(
        cli: Callable, sandbox: RunningSandbox, profiles_file: Path, provider: str, task_id: str) -> None:
    write_profiles(profiles_file, _profiles(sandbox))
    watched = cli(provider, "watch", task_id, "--interval", "0.05", "--profile", f"local-{provider}", "--json")
    assert watched.exit_code == 0, watched.stderr
    assert len(sandbox.requests_seen) == 3
    assert sandbox.connections_opened == 1
    if provider == "modelarts":  # its duration_seconds grows on every poll: the answer of poll 3
        assert json.loads(watched.stdout)["status"] == 2 and json.loads(watched.stdout)["duration_seconds"] == 10
    else:
        got = cli(provider, "get", task_id, "--profile", f"local-{provider}", "--json")  # poll 4: the same
        assert watched.stdout == got.stdout


def test_rate_limiting_stretches_the_interval(cli: Callable, sandbox: RunningSandbox, profiles_file: Path) -> None:
    from taskctl.providers.eo.seeds import publishing_710

    write_profiles(profiles_file, _profiles(sandbox))
    limited = json_response(429, {"code": 429, "message": "Too Many Requests", "data": None})
    sandbox.add_task("eo", 9429, lambda poll: limited if poll == 1 else publishing_710(3))
    result = cli("eo", "watch", "9429", "--interval", "0.05", "--profile", "local-eo")
    assert result.exit_code == 0, result.stderr
    assert "warning: eo task 9429: error 429 (HTTP 429): Too Many Requests; next poll in 0.1s" in result.stderr


def test_transient_errors_are_warnings_then_the_timeout(cli: Callable, sandbox: RunningSandbox,
                                                        profiles_file: Path) -> None:
    from taskctl.providers.eo.seeds import publishing_710

    write_profiles(profiles_file, _profiles(sandbox))
    gateway = html_response(502, "<html><body>502 Bad Gateway</body></html>")
    sandbox.add_task("eo", 9709, lambda poll: publishing_710(1) if poll == 1 else gateway)
    result = cli("eo", "watch", "9709", "--interval", "0.05", "--timeout", "0.4", "--profile", "local-eo", "--json")
    assert result.exit_code == 8
    assert json.loads(result.stdout)["status"] == 5  # the last task seen
    warnings = [line for line in result.stderr.splitlines() if line.startswith("taskctl: warning:")]
    assert len(warnings) >= 2
    assert all("HTTP 502" in line and "HTML page" in line for line in warnings)
    assert "timed out: eo task 9709 is still running" in result.stderr


def test_the_cli_default_interval_is_the_loops() -> None:
    from taskctl.cli import options
    from taskctl.commands.watch import loop as watch_module

    assert options.DEFAULT_INTERVAL == watch_module.DEFAULT_INTERVAL == WatchPolicy().interval
