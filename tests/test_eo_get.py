"""`taskctl eo get` against the bundled sandbox: output formats, JSON fidelity, exit codes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from support import sandbox_profile_yaml, write_profiles

DOC = Path(__file__).resolve().parent / "fixtures" / "api-docs" / "eo-query-task-detail.txt"  # copied from shared/


def _document_example() -> dict:
    text = DOC.read_text()
    start = text.index('{\n  "code": 200')
    body, _end = json.JSONDecoder().raw_decode(text[start:])
    return body


def test_builtin_sandbox_json_is_the_documents_data_exactly(cli) -> None:
    result = cli("eo", "get", "702", "--profile", "sandbox", "--json")
    assert result.exit_code == 0, result.stderr
    expected = _document_example()["data"]
    parsed = json.loads(result.stdout)
    assert parsed == expected
    assert list(parsed) == list(expected)  # key order kept
    assert result.stdout.endswith("}\n")
    assert result.stderr == ""


@pytest.fixture
def local(sandbox, profiles_file):
    """A profiles file whose only eo profile points at a running sandbox (retries off)."""
    write_profiles(profiles_file, sandbox_profile_yaml(sandbox))
    return sandbox


def test_every_format_shows_the_task(cli, local) -> None:
    table = cli("eo", "get", "702")
    assert table.exit_code == 0, table.stderr
    assert "API TEST BAND MERGING" in table.stdout
    assert "Band Merging" in table.stdout
    assert "5 PROCESSING → running" in table.stdout
    assert "Near Infrared" in table.stdout and "…/2JX0Hr0Hh" in table.stdout
    assert "sig=" not in table.stdout  # links are shortened for humans
    assert max(len(line) for line in table.stdout.splitlines()) <= 80
    tree = cli("eo", "get", "704", "-o", "tree")
    assert tree.exit_code == 0
    assert "failReason" in tree.stdout  # fields this API version does not document
    assert "PUBLISH_FAILED → failed" in tree.stdout
    import yaml

    document = cli("eo", "get", "702", "-o", "yaml")
    assert yaml.safe_load(document.stdout) == _document_example()["data"]


def test_unknown_status_is_shown_with_its_number(cli, local) -> None:
    result = cli("eo", "get", "705")
    assert result.exit_code == 0
    assert "6 UNKNOWN → unknown" in result.stdout


def test_several_ids_give_several_documents_in_order(cli, local) -> None:
    from support import SANDBOX_TOKEN  # noqa: F401 - the helper module exports it

    result = cli("eo", "get", "706", "702", "1985949195927285760", "703", "--json")
    assert result.exit_code == 0, result.stderr
    decoder = json.JSONDecoder()
    documents, position = [], 0
    text = result.stdout
    while position < len(text):
        document, position = decoder.raw_decode(text, position)
        documents.append(document)
        position += 1  # the newline after each document
    assert [d["id"] for d in documents] == [706, 702, 1985949195927285760, 703]
    assert '"id": 1985949195927285760,' in text  # the 19-digit integer unchanged


def test_a_failure_among_several_ids_prints_the_rest_and_exits_with_the_first_failure(cli, local) -> None:
    result = cli("eo", "get", "702", "424242", "9401", "703")
    assert result.exit_code == 3
    assert "eo task 702" in result.stdout and "eo task 703" in result.stdout
    lines = [line for line in result.stderr.splitlines() if "error" in line]
    assert "424242" in lines[0] and "Task not found" in lines[0]
    assert "9401" in lines[1]


@pytest.mark.parametrize(("task_id", "code", "words"), [
    ("424242", 3, "Task not found"),
    ("9401", 4, "Forbidden"),
    ("9500", 1, "Server internal error"),
    ("9200", 1, "error 500"),
    ("9502", 1, "HTML page"),
    ("9503", 1, "HTML page"),
    ("9001", 1, "truncated JSON"),
    ("9002", 1, "not a task object"),
    ("9003", 1, "invalid JSON"),
])
def test_service_errors_map_to_exit_codes(cli, local, task_id: str, code: int, words: str) -> None:
    result = cli("eo", "get", task_id)
    assert result.exit_code == code, result.stderr
    assert words in result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert 1 <= len(result.stderr.strip().splitlines()) <= 2


def test_wrong_token_exits_4_with_a_hint(cli, sandbox, profiles_file) -> None:
    write_profiles(profiles_file, sandbox_profile_yaml(sandbox).replace("sandbox-token", "wrong-token-123456"))
    result = cli("eo", "get", "702")
    assert result.exit_code == 4
    assert "auth" in result.stderr
    assert "wrong-token-123456" not in result.stderr


def test_custom_auth_header(cli, sandbox, profiles_file) -> None:
    write_profiles(profiles_file, sandbox_profile_yaml(sandbox, extra="auth_header: X-API-Key"))
    assert cli("eo", "get", "702", "--json").exit_code == 0
    seen = sandbox.requests_seen[-1]
    assert seen.headers.get("X-API-Key") == "sandbox-token"
    assert "Authorization" not in seen.headers
    assert json.loads(seen.body) == {"taskId": 702}


@pytest.mark.parametrize("args", [
    ["eo", "get", "abc"],
    ["eo", "get", "7.5"],
    ["eo", "get", "--", "-5"],
    ["eo", "get", "99999999999999999999"],
    ["eo", "get", "702", "--profile", "nope"],
    ["eo", "get", "702", "-o", "xml"],
    ["eo", "get", "702", "--json", "-o", "yaml"],
    ["eo", "get"],
])
def test_bad_input_exits_2_before_any_request(cli, local, args: list[str]) -> None:
    result = cli(*args)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert local.requests_seen == []


def test_mismatched_profile_is_a_usage_error(cli, sandbox, profiles_file) -> None:
    write_profiles(profiles_file, "profiles:\n  drive:\n    provider: koodrive\n"
                                  f"    endpoint: {sandbox.base_url}\n")
    result = cli("eo", "get", "702", "--profile", "drive")
    assert result.exit_code == 2
    assert "koodrive profile" in result.stderr


def test_options_before_and_after_the_subcommand(cli, local, profiles_file) -> None:
    before = cli("--config", str(profiles_file), "eo", "get", "702", "--json")
    after = cli("eo", "get", "702", "--json", "--config", str(profiles_file))
    assert before.exit_code == after.exit_code == 0
    assert before.stdout == after.stdout


def test_debug_traces_without_the_token(cli, local) -> None:
    result = cli("eo", "get", "702", "--json", "--debug")
    assert result.exit_code == 0
    assert "> POST " in result.stderr and "< HTTP 200" in result.stderr
    assert "sandbox-token" not in result.stderr
    assert json.loads(result.stdout)["id"] == 702


def test_no_colour_when_piped(cli, local) -> None:
    result = cli("eo", "get", "702")
    assert "\x1b[" not in result.stdout


def test_errors_from_the_http_layer_name_the_task(cli, local) -> None:
    result = cli("eo", "get", "702", "9301")
    assert result.exit_code == 1
    assert "eo task 702" in result.stdout
    assert result.stderr.startswith("taskctl: error: eo task 9301: the service redirected to another host")


def test_a_secret_echoed_by_the_server_is_hidden_in_human_views_only(cli, local) -> None:
    local.add_task("eo", 4242, {"id": 4242, "taskName": "echo sandbox-token", "status": 7})
    for fmt in ("table", "tree", "yaml"):
        result = cli("eo", "get", "4242", "-o", fmt)
        assert result.exit_code == 0
        assert "sandbox-token" not in result.stdout and "echo ***" in result.stdout
    assert json.loads(cli("eo", "get", "4242", "--json").stdout)["taskName"] == "echo sandbox-token"


def test_a_missing_ca_bundle_is_a_configuration_error(cli, sandbox, profiles_file) -> None:
    write_profiles(profiles_file, sandbox_profile_yaml(sandbox, extra="ca_bundle: /nonexistent/ca.pem")
                   .replace("http://", "https://"))
    result = cli("eo", "get", "702")
    assert result.exit_code == 6
    assert "ca_bundle /nonexistent/ca.pem is not a file" in result.stderr
    assert sandbox.requests_seen == []


def test_debug_traces_of_concurrent_requests_do_not_interleave(cli, local) -> None:
    result = cli("eo", "get", "702", "703", "704", "706", "--json", "--debug")
    assert result.exit_code == 0
    blocks: list[list[str]] = []
    for line in result.stderr.splitlines():
        if line.startswith(("> POST", "< HTTP")):
            blocks.append([line])
        else:
            blocks[-1].append(line)
    for block in blocks:
        direction = block[0][0]
        assert all(line.startswith(direction + " ") for line in block), block
    answered = [b[0] for b in blocks if b[0].startswith("< HTTP 200")]
    assert sorted(int(line.split('"taskId": ')[1].rstrip("}")) for line in answered) == [702, 703, 704, 706]


def test_a_string_code_200_is_success_and_a_null_data_is_named_in_json_terms(cli, local) -> None:
    from taskctl.sandbox.server import json_response

    local.add_task("eo", 4300, json_response(200, {"code": "200", "message": "OK", "data": {"id": 4300}}))
    local.add_task("eo", 4301, json_response(200, {"code": 200, "message": "OK", "data": None}))
    assert cli("eo", "get", "4300", "--json").stdout == '{\n  "id": 4300\n}\n'
    result = cli("eo", "get", "4301")
    assert result.exit_code == 1
    assert "`data` is null, not a task object" in result.stderr


def test_permission_and_not_found_errors_say_what_to_do(cli, local) -> None:
    forbidden = cli("eo", "get", "9401").stderr.splitlines()
    assert "accepted but may not see this task" in forbidden[1]
    missing = cli("eo", "get", "424242").stderr.splitlines()
    assert missing[1].startswith("taskctl: check the id, and that profile 'local' points at")


def test_a_directory_as_profiles_file_is_a_configuration_error(cli, tmp_path) -> None:
    assert cli("--config", str(tmp_path), "eo", "get", "1").exit_code == 6
    assert cli("eo", "get", "1", "--config", str(tmp_path)).exit_code == 6


def test_a_failed_task_shows_its_reason_when_the_service_gives_one(cli, local) -> None:
    result = cli("eo", "get", "704")
    assert re.search(r"Message +Input tiles do not overlap", result.stdout)
