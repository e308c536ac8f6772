"""Usage errors in two plain lines (SPEC: what failed, then what to do), exit 2, whatever Click raised."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(("args", "error", "usage"), [
    (["eo", "list", "--limit", "abc"], "invalid value for '--limit' / '-L': 'abc' is not a valid int",
     "taskctl eo list [OPTIONS] (more: taskctl eo list -h)"),
    (["eo", "get"], "missing argument 'TASK_ID...'", "taskctl eo get [OPTIONS] {TASK_ID...} (more: taskctl eo get -h)"),
    (["eo", "get", "702", "--bogus"], "no such option: --bogus", "taskctl eo get [OPTIONS] {TASK_ID...}"),
    (["--bogus"], "no such option: --bogus", "taskctl [OPTIONS] COMMAND [ARGS]... (more: taskctl -h)"),
    (["nope"], "no such command 'nope'", "taskctl [OPTIONS] COMMAND [ARGS]..."),
    (["eo", "get", "702", "-o", "xml"], "invalid value for '--output' / '-o': 'xml' is not one of 'table', 'tree', "
     "'json', 'yaml', 'summary'", "taskctl eo get [OPTIONS] {TASK_ID...}"),
    (["profile", "show"], "missing argument 'NAME'", "taskctl profile show [OPTIONS] {NAME}"),
])
def test_a_usage_error_is_two_lines(cli, args: list[str], error: str, usage: str) -> None:
    result = cli(*args)
    assert result.exit_code == 2
    first, second = result.stderr.splitlines()
    assert first == f"taskctl: error: {error}"
    assert second.startswith("taskctl: usage: ") and usage in second
    assert result.stdout == ""


def test_control_characters_in_an_argument_do_not_reach_the_terminal(cli) -> None:
    for option in ("-o", "--limit"):
        result = cli("eo", "list", option, "x\x1b[2J\x9by")
        assert result.exit_code == 2
        assert "\x1b" not in result.stderr and "\x9b" not in result.stderr and len(result.stderr.splitlines()) == 2


def test_a_bare_group_still_shows_its_help(cli) -> None:
    result = cli("eo")
    assert result.exit_code == 2
    assert "Commands:" in result.stderr + result.stdout and "taskctl: error" not in result.stderr
