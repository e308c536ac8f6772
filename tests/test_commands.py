"""Commands run without Typer (an AppContext built by hand), and what only the boundary prints: per-id
failures in output order, --debug tracebacks for get and watch alike, errors that never change once made."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from support import write_profiles
from support.eo_http import TOKEN

from taskctl.cli.boundary import report
from taskctl.commands.auth import LoginOptions, run_login
from taskctl.commands.get import GetOptions, run
from taskctl.context import AppContext
from taskctl.errors import ExitCode, NetworkError, TaskctlError, about


def test_get_prints_each_task_or_its_error_in_the_order_asked() -> None:
    terminal = io.StringIO()  # stdout and stderr on one terminal, as a user sees them
    app = AppContext(environ={"COLUMNS": "100"}, stdout=terminal, stderr=terminal, reporter=report)

    code = run(app, GetOptions("eo", ("703", "9999", "702"), "sandbox", "yaml"))

    assert code == ExitCode.NOT_FOUND
    text = terminal.getvalue()
    error = text.index("taskctl: error: eo task 9999: ")
    assert text.index("703") < error < text.rindex("702")
    assert [str(item).split(":")[0] for item in app.reported] == ["eo task 9999"]


def test_without_the_boundary_a_command_prints_no_error_and_keeps_it() -> None:
    out, err = io.StringIO(), io.StringIO()
    app = AppContext(environ={}, stdout=out, stderr=err)

    assert run(app, GetOptions("eo", ("9999",), "sandbox", "json")) == ExitCode.NOT_FOUND

    assert err.getvalue() == "" and out.getvalue() == ""
    assert len(app.reported) == 1 and app.reported[0].message.startswith("eo task 9999: ")


@pytest.mark.parametrize("command", [("get", "1"), ("watch", "1", "--timeout", "0")])
def test_debug_shows_a_redacted_traceback_for_get_and_watch_alike(cli: Callable, use: Callable, closed_port: int,
                                                                  command: tuple[str, ...]) -> None:
    use(f"http://127.0.0.1:{closed_port}", retries=0)

    result = cli("eo", *command, "--debug")

    assert result.exit_code == ExitCode.NETWORK
    assert "Traceback (most recent call last):" in result.stderr
    assert "taskctl.errors.NetworkError: eo task 1: cannot connect" in result.stderr
    assert result.stderr.splitlines()[-2].startswith("taskctl: error: eo task 1: cannot connect")
    assert TOKEN not in result.stderr and TOKEN not in result.stdout


def test_get_and_watch_fail_alike_with_debug(cli: Callable, use: Callable, closed_port: int) -> None:
    use(f"http://127.0.0.1:{closed_port}", retries=0)

    got = cli("eo", "get", "1", "--debug").stderr.splitlines()
    watched = cli("eo", "watch", "1", "--timeout", "0", "--debug").stderr.splitlines()

    assert got[-2:] == watched[-2:]


def test_an_error_is_read_only_and_revised_into_a_copy() -> None:
    try:
        raise NetworkError("cannot connect to h: connection refused", "check the endpoint")
    except NetworkError as raised:
        error = raised
    with pytest.raises(AttributeError):
        error.hint = "changed"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        error.message = "changed"  # type: ignore[misc]

    named = about(error, "eo task 1")
    hinted = named.revised(hint="polls kept failing for 12s; check the endpoint")

    assert (error.message, error.hint) == ("cannot connect to h: connection refused", "check the endpoint")
    assert (type(named), named.message, named.hint) == (NetworkError, "eo task 1: cannot connect to h: connection "
                                                                      "refused", "check the endpoint")
    assert str(named) == named.message and named.exit_code == ExitCode.NETWORK
    assert hinted.message == named.message and hinted.hint.startswith("polls kept failing")
    assert hinted.__traceback__ is error.__traceback__ is not None  # --debug shows where it was raised
    assert about(named, "eo task 1") is named


def test_a_subclass_with_its_own_constructor_is_copied_as_it_is() -> None:
    class Stopped(TaskctlError):
        def __init__(self, size: int) -> None:
            super().__init__(f"stopped after {size} bytes")
            self.size = size

    copy = Stopped(12).revised(hint="rerun to resume")
    assert (copy.size, copy.message, copy.hint) == (12, "stopped after 12 bytes", "rerun to resume")


def test_login_reads_the_secret_from_the_context_stdin(tmp_path: Path) -> None:
    config = write_profiles(tmp_path / "profiles.yaml",
                            "profiles:\n  prod:\n    provider: eo\n    endpoint: https://tasks.example.com\n")
    err = io.StringIO()
    app = AppContext(environ={}, stdin=io.StringIO(" tok-FROM-STDIN-5b7c9d1e \n"), stdout=io.StringIO(), stderr=err,
                     config_path=config)

    assert run_login(app, LoginOptions("prod")) == ExitCode.OK

    assert "stored the token of 'prod'" in err.getvalue()
    secret = app.secrets.find(app.profiles.profiles["prod"])  # read back from the keyring: stripped, whole
    assert secret is not None and secret.value == "tok-FROM-STDIN-5b7c9d1e"


def test_the_context_starts_the_sandbox_it_was_given_and_closes_it() -> None:
    from taskctl.sandbox import start

    running = start()
    running.add_task("eo", 4242, {"id": 4242, "taskName": "handed in", "taskType": 7, "status": 7})
    closed: list[bool] = []
    original_close = running.close

    def close() -> None:
        closed.append(True)
        original_close()

    running.close = close  # type: ignore[method-assign]
    out = io.StringIO()
    app = AppContext(environ={}, stdout=out, stderr=io.StringIO(), sandbox_starter=lambda: running)
    assert run(app, GetOptions("eo", ("4242",), "sandbox", "json")) is ExitCode.OK
    assert '"taskName": "handed in"' in out.getvalue()
    assert closed == [True]


def test_ages_in_the_table_count_from_the_context_clock() -> None:
    from datetime import UTC, datetime

    out = io.StringIO()
    app = AppContext(environ={}, stdout=out, stderr=io.StringIO(), now=lambda: datetime(2030, 1, 1, tzinfo=UTC))
    assert run(app, GetOptions("modelarts", ("AcYfsdfhGyrWL5TtahH",), "sandbox", "table")) is ExitCode.OK
    assert "(9y 37d ago)" in out.getvalue()  # created 2020-11-26T06:59:59Z


def test_many_ids_are_fetched_within_a_window_behind_the_one_printed_next() -> None:
    """While the first task's answer is held, the others fetched are at most the window (not all 500): memory
    does not grow with the number of ids, and the rest follow once it comes."""
    import threading

    from taskctl.commands.get import WINDOW_PER_WORKER, fetch_in_order
    from taskctl.http import POOL_SIZE
    from taskctl.model import TaskResult

    window = POOL_SIZE * WINDOW_PER_WORKER
    released, lock = threading.Event(), threading.Condition()
    started: list[tuple[str, bool]] = []

    class Fetcher:
        def fetch(self, task_id: str) -> TaskResult:
            with lock:
                started.append((task_id, released.is_set()))
                lock.notify_all()
            if task_id == "0":
                assert released.wait(timeout=30)
            return TaskResult(raw={"id": task_id}, task=None)  # type: ignore[arg-type]

    ids = [str(number) for number in range(500)]
    outcomes = fetch_in_order(Fetcher(), ids)  # type: ignore[arg-type]
    first: list[object] = []
    consumer = threading.Thread(target=lambda: first.append(next(outcomes)))
    consumer.start()
    with lock:
        assert lock.wait_for(lambda: len(started) >= window, timeout=30)
    released.set()
    consumer.join(timeout=30)
    rest = [outcome.requested_id for outcome in outcomes]
    assert sum(1 for _id, after in started if not after) == window
    assert [first[0].requested_id, *rest] == ids  # type: ignore[attr-defined]
