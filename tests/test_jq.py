"""--jq EXPR on get and watch: libjq through the `jq` package, strings raw, integers exact, bad expressions a usage
error before any request, and jq imported only when asked for."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from support.eo_http import ok

EXACT = 1985949195927285761  # above 2**53 and not a double: a binding that goes through floats prints ...760


@pytest.fixture
def exact_server(serve, use):
    server = serve(ok(EXACT, taskName="big one", ratio=1.10))
    use(server.endpoint)
    return server


def test_the_briefs_example_prints_the_exact_id(cli) -> None:
    result = cli("eo", "get", "1985949195927285760", "--profile", "sandbox", "--jq", ".id")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "1985949195927285760\n", "")


@pytest.mark.parametrize(("expression", "expected"), [
    (".id", f"{EXACT}\n"),
    ("[.id, .ratio]", f"[{EXACT},1.1]\n"),
    ("{id, taskName}", f'{{"id":{EXACT},"taskName":"big one"}}\n'),
    (f".id == {EXACT}", "true\n"),
    (".taskName", "big one\n"),  # raw, like gh --jq
    (".id, .taskName  # a comment at the end", f"{EXACT}\nbig one\n"),
    ("empty", ""),
    (".missing", "null\n"),
])
def test_results_are_exact_and_strings_raw(cli, exact_server, expression: str, expected: str) -> None:
    result = cli("eo", "get", str(EXACT), "--jq", expression)
    assert (result.exit_code, result.stdout, result.stderr) == (0, expected, "")


@pytest.mark.parametrize("args", [["--jq", ".["], ["--jq", "{"], ["--jq", ".id", "-o", "table"],
                                  ["--jq", ".id", "-o", "yaml"], ["--jq", ".id", "--json", "-o", "tree"]])
def test_a_bad_expression_is_a_usage_error_before_any_request(cli, exact_server, args: list[str]) -> None:
    result = cli("eo", "get", "1", *args)
    assert result.exit_code == 2 and result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 2 and lines[0].startswith("taskctl: error: ")
    assert exact_server.wait_for_requests(0) == []
    if args[1] in (".[", "{"):
        assert "syntax error" in lines[0] and "line 1" in lines[0]  # jq's own words


def test_a_runtime_error_is_jqs_message(cli, exact_server) -> None:
    result = cli("eo", "get", "1", "--jq", ".taskName.x")
    assert result.exit_code == 1 and result.stdout == ""
    assert 'Cannot index string with string ("x")' in result.stderr


def test_a_runtime_error_on_one_task_does_not_stop_the_others(cli) -> None:
    expression = "if .id == 703 then .taskName.x else .id end"
    result = cli("eo", "get", "702", "703", "704", "--profile", "sandbox", "--jq", expression)
    assert result.exit_code == 1
    assert result.stdout == "702\n704\n"
    lines = result.stderr.splitlines()
    assert lines[0].startswith("taskctl: error: eo task 703: --jq") and "Cannot index string" in lines[0]
    listed = cli("eo", "list", "--profile", "sandbox", "-L", "3", "--jq", "if .id == 758 then .taskName.x else .id end")
    assert (listed.exit_code, listed.stdout) == (1, "759\n757\n")
    assert "eo task 758: --jq" in listed.stderr
    watched = cli("eo", "watch", "703", "706", "--profile", "sandbox", "--interval", "0.01", "--jq",
                  "if .id == 703 then .taskName.x else .id end")
    assert (watched.exit_code, watched.stdout) == (1, "706\n")
    assert "error: eo task 703: --jq" in watched.stderr


def test_summary_lines_go_through_jq(cli) -> None:
    result = cli("koodrive", "get", "task-failed", "task-done", "--profile", "sandbox", "-o", "summary",
                 "--jq", "select(.state != \"succeeded\") | [.id, .message]")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == '["task-failed","result code 13000309"]\n'


def test_several_tasks_give_one_result_each_in_order(cli) -> None:
    result = cli("eo", "get", "703", "702", "--profile", "sandbox", "--jq", ".id")
    assert result.stdout == "703\n702\n"


def test_watch_filters_the_last_task(cli) -> None:
    result = cli("modelarts", "watch", "task-advancing", "--profile", "sandbox", "--interval", "0.01",
                 "--jq", ".status")
    assert (result.exit_code, result.stdout) == (0, "2\n")


def test_server_strings_are_exact_in_a_pipe_and_json_stays_escaped(cli) -> None:
    raw = cli("modelarts", "get", "task-hostile", "--profile", "sandbox", "--jq", ".error_msg")
    document = cli("modelarts", "get", "task-hostile", "--profile", "sandbox", "--json")
    assert raw.stdout == json.loads(document.stdout)["error_msg"] + "\n"
    whole = cli("modelarts", "get", "task-hostile", "--profile", "sandbox", "--jq", ".")
    assert "\x1b" not in whole.stdout and "\x9b" not in whole.stdout
    assert json.loads(whole.stdout) == json.loads(document.stdout)


PROBE = """
import json, sys
from taskctl.cli.app import main
try:
    main()
except SystemExit:
    pass
sys.stderr.write("JQ=" + json.dumps("jq" in sys.modules) + "\\n")
"""


@pytest.mark.parametrize(("args", "imported"), [(["--json"], False), (["-o", "summary"], False),
                                                (["--jq", ".id"], True)])
def test_jq_is_imported_only_with_jq(args: list[str], imported: bool) -> None:
    proc = subprocess.run([sys.executable, "-c", PROBE, "eo", "get", "702", "--profile", "sandbox", *args],
                          capture_output=True, text=True, env=dict(os.environ), timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert f"JQ={json.dumps(imported)}" in proc.stderr.splitlines()


def test_raw_strings_are_inert_on_a_terminal_and_exact_in_a_pipe() -> None:
    from taskctl.render.jqfilter import JqFilter

    document = json.dumps({"name": "a\x1b[2Jb\x9b1;1H\u202ec"})
    program = JqFilter(".name")
    assert program.apply(document) == "a\x1b[2Jb\x9b1;1H\u202ec\n"
    shown = program.apply(document, terminal=True)
    assert shown == "a^[[2Jb" + "M-^[1;1H<U+202E>c\n" and "\x1b" not in shown
