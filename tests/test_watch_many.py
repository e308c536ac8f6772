"""`watch` of several tasks: the schedule on a fake clock (a 20-task watch over the sandbox), SPEC's exit-code
precedence, --fail-fast, a rate limit that slows every task, the live table, and Ctrl-C in a real process."""

from __future__ import annotations

import functools
import io
import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from support.clock import FakeTime
from support.eo_http import TOKEN, json_documents
from support.loopback import Reply, Seen

from taskctl.commands.watch.board import LiveBoard
from taskctl.commands.watch.loop import WatchOutcome, seconds_text
from taskctl.context import AppContext
from taskctl.errors import ExitCode, NotFoundError
from taskctl.model import State, Task, TaskResult
from taskctl.providers.eo.catalogue import BATCH_IDS, FAILING_BATCH_ID, batch_polls

SANDBOX = ("--profile", "sandbox")
TASKCTL = shutil.which("taskctl") or str(Path(sys.executable).with_name("taskctl"))


def _env() -> dict[str, str]:
    dropped = ("NO_COLOR", "FORCE_COLOR", "TASKCTL_PROFILE")
    return {key: value for key, value in os.environ.items() if key not in dropped}





@pytest.fixture
def context_factory(fake_time: FakeTime) -> Callable[..., AppContext]:
    return functools.partial(AppContext, clock=fake_time.clock, sleep=fake_time.sleep)


def test_a_20_task_watch_polls_each_at_its_pace_and_prints_in_argument_order(cli, fake_time: FakeTime) -> None:
    ids = [str(task_id) for task_id in BATCH_IDS]
    result = cli("eo", "watch", *ids, *SANDBOX, "--interval", "2", "--json")

    assert result.exit_code == ExitCode.TASK_FAILED, result.stderr
    documents = json_documents(result.stdout)
    assert [str(doc["id"]) for doc in documents] == ids  # argument order, not the order they ended in
    assert [doc["status"] for doc in documents] == [8 if int(i) == FAILING_BATCH_ID else 7 for i in ids]
    longest = max(batch_polls(task_id) for task_id in BATCH_IDS)
    assert fake_time.sleeps == [2.0] * longest  # one round per interval, until the slowest has ended
    lines = result.stderr.splitlines()
    assert lines[:20] == [f"taskctl: eo task {i}: running (0.0s)" for i in ids]  # each round in argument order
    for task_id in BATCH_IDS:
        ended = "failed" if task_id == FAILING_BATCH_ID else "succeeded"
        seconds = seconds_text(2.0 * batch_polls(task_id))
        assert f"taskctl: eo task {task_id}: {ended} ({seconds})" in lines
    assert lines[-1] == ("taskctl: error: eo task 753 ended failed (8 PUBLISH_FAILED): AOI does not intersect "
                         "the input raster")


@pytest.mark.parametrize("ids, code", [
    (("740", "709", "753", "702"), ExitCode.NOT_FOUND),  # an error first, whatever else happened
    (("702", "753", "740"), ExitCode.TASK_FAILED),  # a bad end before a timeout
    (("702", "740"), ExitCode.TIMEOUT),  # still running at --timeout
    (("740", "742", "703"), ExitCode.OK),
])
def test_exit_code_precedence(cli, ids: tuple[str, ...], code: ExitCode) -> None:
    result = cli("eo", "watch", *ids, *SANDBOX, "--interval", "1", "--timeout", "30", "--json")
    assert result.exit_code == code, result.stderr
    printed = [str(doc["id"]) for doc in json_documents(result.stdout)]
    assert printed == [task_id for task_id in ids if task_id != "709"]  # every task that could be watched
    if "709" in ids:
        assert "taskctl: error: eo task 709: error 404 (HTTP 200): Task not found" in result.stderr
    if code == ExitCode.TIMEOUT:
        assert "timed out: eo task 702 is still running (5 PROCESSING) after 30s" in result.stderr


def test_fail_fast_stops_at_the_first_bad_end(cli, fake_time: FakeTime) -> None:
    result = cli("eo", "watch", "744", "753", "758", *SANDBOX, "--interval", "1", "--fail-fast", "--json")
    assert result.exit_code == ExitCode.TASK_FAILED
    assert len(fake_time.sleeps) == batch_polls(FAILING_BATCH_ID)  # 744 and 758 would need one round more
    assert [doc["status"] for doc in json_documents(result.stdout)] == [5, 8, 5]  # as last seen, not finished
    assert "--fail-fast stopped the watch: 2 of 3 tasks still in progress, shown as last seen" in result.stderr


def test_one_id_is_a_single_watch(cli, fake_time: FakeTime) -> None:
    result = cli("eo", "watch", "710", *SANDBOX, "--interval", "1", "--fail-fast")
    assert result.exit_code == 0 and result.stderr.splitlines() == [
        "taskctl: eo task 710: running (0.0s)", "taskctl: eo task 710: succeeded (2.0s)"]


def test_a_rate_limit_met_by_one_task_slows_every_task(cli, serve, use, fake_time: FakeTime) -> None:
    def script(seen: Seen, index: int) -> Reply:
        if seen.json()["taskId"] == 2 and index < 2:
            return Reply(429, {"code": 429, "message": "Too Many Requests", "data": None})
        return Reply(200, {"code": 200, "message": "OK",
                           "data": {"id": seen.json()["taskId"], "taskName": "t", "taskType": 7, "status": 5}})

    server = serve(script)
    use(server.endpoint, retries=0)
    result = cli("eo", "watch", "1", "2", "--interval", "1", "--timeout", "7")
    assert result.exit_code == ExitCode.TIMEOUT, result.stderr
    assert fake_time.sleeps[0] == 2.0  # both tasks wait twice the interval after the 429
    polls = [seen.json()["taskId"] for seen in server.requests]
    assert polls.count(1) == polls.count(2) < 7  # fewer polls than one a second, for both
    assert "eo task 2: error 429 (HTTP 429): Too Many Requests; next poll in 2.0s" in result.stderr


def test_an_echoed_token_stays_out_of_every_line(cli, serve, use) -> None:
    body = {"code": 200, "message": "OK", "data": {"id": 1, "taskName": f"x {TOKEN}", "taskType": 7, "status": 7}}
    server = serve(Reply(200, body))
    use(server.endpoint, retries=0)
    result = cli("eo", "watch", "1", "2", "--interval", "1")
    assert result.exit_code == 0
    assert TOKEN not in result.stdout + result.stderr


# --- the live table ------------------------------------------------------------------------------------------


def _result(task_id: str, state: State, progress: int | None = None, name: str = "n") -> TaskResult:
    return TaskResult(raw={}, task=Task("eo", task_id, name, "NDVI", state.value, state, progress=progress))


def _draw(board: LiveBoard, width: int, height: int = 24) -> str:
    from rich.console import Console

    console = Console(file=io.StringIO(), width=width, height=height, color_system=None, force_terminal=False)
    console.print(board)
    return console.file.getvalue()  # type: ignore[attr-defined]


def test_the_live_table_keeps_finished_rows_with_their_outcome() -> None:
    time = FakeTime()
    board = LiveBoard("eo", ("1", "2", "3", "4"), time.clock, warn=lambda _m: None, redact=lambda text: text)
    observers = [board.observer(task_id) for task_id in ("1", "2", "3", "4")]
    observers[0].polled(_result("1", State.RUNNING, 40, name="\x1b[31mred"), 0.0)
    observers[1].polled(_result("2", State.RUNNING), 0.0)
    time.now += 12
    done = _result("2", State.FAILED)
    observers[1].polled(done, 12.0)
    board.finished(1, WatchOutcome(done, timed_out=False, elapsed=12.0, polls=2), None)
    board.finished(3, None, NotFoundError("eo task 4: not found"))
    time.now += 3

    text = _draw(board, 80)
    lines = text.splitlines()
    assert lines[0] == "2 of 4 done · 2 not succeeded · 15s"
    assert "1 ^[[31mred" in lines[1] and "running" in lines[1] and "████░░░░░░ 40%" in lines[1]
    assert lines[1].endswith("15s")
    assert lines[2].startswith("✗ 2") and "failed" in lines[2] and lines[2].endswith("12s")  # stays, time kept
    assert "waiting for the first answer" in lines[3]
    assert lines[4].startswith("✗ 4") and "error" in lines[4] and "eo task 4: not found" in lines[4]
    assert "████████░░░░░░░░░░░░ 40%" in _draw(board, 200)  # the bar's full length where there is room
    assert all(len(line) <= 80 for line in lines)


def test_more_tasks_than_lines_show_the_unfinished_first_and_count_the_rest() -> None:
    time = FakeTime()
    ids = tuple(str(n) for n in range(30))
    board = LiveBoard("eo", ids, time.clock, warn=lambda _m: None, redact=lambda text: text)
    observers = [board.observer(task_id) for task_id in ids]
    for n, observer in enumerate(observers):
        observer.polled(_result(str(n), State.RUNNING), 0.0)
        if n % 3:  # 20 end, one second apart; 10 go on
            time.now += 1
            done = _result(str(n), State.SUCCEEDED)
            board.finished(n, WatchOutcome(done, timed_out=False, elapsed=1.0, polls=2), None)

    lines = _draw(board, 80, height=16).splitlines()
    assert len(lines) == 15 and lines[0].startswith("20 of 30 done")
    shown = [line.split()[1] for line in lines[1:-1]]
    assert [n for n in shown if int(n) % 3 == 0] == [str(n) for n in range(0, 30, 3)]  # every unfinished one
    assert [n for n in shown if int(n) % 3] == ["26", "28", "29"]  # then the last to finish
    assert shown == sorted(shown, key=int)  # in argument order
    assert lines[-1] == "… 17 more not shown (17 finished)"
    assert len(_draw(board, 80, height=40).splitlines()) == 31  # all fit: every row


# --- a real process ------------------------------------------------------------------------------------------


def test_ctrl_c_during_a_many_task_watch_exits_130_and_prints_no_task() -> None:
    proc = subprocess.Popen([TASKCTL, "eo", "watch", "702", "708", "740", "--profile", "sandbox", "--interval",
                             "0.2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(),
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        lines: list[str] = []
        while not any("740: succeeded" in line for line in lines):  # a task has ended; two go on forever
            lines.append(proc.stderr.readline())
            assert lines[-1], lines
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert out == ""  # not even the task that ended: nothing is printed as if the watch had finished
    assert [line for line in err.splitlines() if line.strip()][-1] == "taskctl: interrupted"
    assert "Traceback" not in err


def test_several_tasks_end_as_summary_lines_and_through_jq(cli, fake_time: FakeTime) -> None:
    summary = cli("eo", "watch", "740", "742", *SANDBOX, "--interval", "1", "-o", "summary")
    assert summary.exit_code == ExitCode.OK, summary.stderr
    lines = [json.loads(line) for line in summary.stdout.splitlines()]
    assert [(line["id"], line["state"], line["terminal"]) for line in lines] == [("740", "succeeded", True),
                                                                                 ("742", "succeeded", True)]
    names = cli("eo", "watch", "740", "753", *SANDBOX, "--interval", "1", "--jq", ".status")
    assert names.exit_code == ExitCode.TASK_FAILED
    assert names.stdout.split() == ["7", "8"]


def test_a_retry_warning_names_the_task_once() -> None:
    from taskctl.errors import ServiceError

    warnings: list[str] = []
    board = LiveBoard("eo", ("9500",), FakeTime().clock, warn=warnings.append, redact=lambda text: text)
    board.observer("9500").failed(ServiceError("eo task 9500: error 500 (HTTP 500): boom"), 0.0, 0.5)
    assert warnings == ["eo task 9500: error 500 (HTTP 500): boom; next poll in 0.5s"]


@pytest.mark.parametrize("width", [40, 80])
def test_a_long_name_gives_way_to_the_id_the_state_and_the_time(width: int) -> None:
    time = FakeTime()
    board = LiveBoard("eo", ("707", "702"), time.clock, warn=lambda _m: None, redact=lambda text: text)
    first, second = board.observer("707"), board.observer("702")
    first.polled(_result("707", State.RUNNING, name="a very long name " * 8), 0.0)
    second.polled(_result("702", State.SUCCEEDED, name="short"), 0.0)
    time.now += 1.5
    lines = _draw(board, width).splitlines()[1:3]
    assert all(len(line) <= width for line in lines)
    assert lines[0].split()[1] == "707" and "running" in lines[0] and lines[0].endswith("1.5s")
    assert lines[1].split()[1] == "702" and "succeeded" in lines[1] and lines[1].endswith("1.5s")
