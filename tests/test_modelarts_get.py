"""`taskctl modelarts get` against the bundled sandbox: IAM token and AK/SK signing, formats, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import write_profiles
from support.loopback import Reply

from taskctl.providers.modelarts import (
    SANDBOX_ACCESS_KEY,
    SANDBOX_PROJECT_ID,
    SANDBOX_SECRET_KEY,
    SANDBOX_SECURITY_TOKEN,
    SANDBOX_TEMP_ACCESS_KEY,
)
from taskctl.sandbox import SANDBOX_TOKEN

DOC = Path(__file__).resolve().parent / "fixtures" / "api-docs" / "modelarts-processor-task-detail.txt"


def modelarts_yaml(sandbox, auth: str) -> str:
    return ("profiles:\n  ma:\n    provider: modelarts\n"
            f"    endpoint: {sandbox.endpoint('modelarts')}\n    project_id: {SANDBOX_PROJECT_ID}\n"
            f"    retries: 0\n{auth}")


@pytest.fixture
def token_profile(sandbox, profiles_file):
    write_profiles(profiles_file, modelarts_yaml(sandbox, f"    token: {SANDBOX_TOKEN}\n"))
    return sandbox


@pytest.fixture
def aksk_profile(sandbox, profiles_file, monkeypatch):
    write_profiles(profiles_file, modelarts_yaml(sandbox, f"    access_key: {SANDBOX_ACCESS_KEY}\n"))
    monkeypatch.setenv("TASKCTL_SECRET_KEY", SANDBOX_SECRET_KEY)
    return sandbox


def _document_example() -> dict:
    text = DOC.read_text()
    start = text.index('{\n  "task_id" : "AcYfsdfhGyrWL5TtahH"')
    return json.JSONDecoder().raw_decode(text[start:])[0]


def test_builtin_sandbox_shows_the_document_example(cli) -> None:
    result = cli("modelarts", "get", "AcYfsdfhGyrWL5TtahH", "--profile", "sandbox", "--json")
    assert result.exit_code == 0, result.stderr
    parsed = json.loads(result.stdout)
    assert parsed == _document_example() and list(parsed) == list(_document_example())
    table = cli("modelarts", "get", "AcYfsdfhGyrWL5TtahH", "--profile", "sandbox").stdout
    assert "sys_data_analyse (feature analysis)" in table
    assert "2 completed → succeeded" in table
    assert "2020-11-26 06:59:59 UTC" in table  # create_time 1606373999627 ms
    assert "Duration  22s" in table


def test_iam_token_goes_in_x_auth_token(cli, token_profile) -> None:
    assert cli("modelarts", "get", "task-running").exit_code == 0
    seen = token_profile.requests_seen[-1]
    assert seen.method == "GET"
    assert seen.path == f"/modelarts/v2/{SANDBOX_PROJECT_ID}/processor-tasks/task-running"
    assert seen.headers["X-Auth-Token"] == SANDBOX_TOKEN and "Authorization" not in seen.headers


def test_aksk_signed_requests_are_accepted_and_carry_no_token(cli, aksk_profile) -> None:
    result = cli("modelarts", "get", "task-cleaning", "task ü 1", "--json", "--debug")
    assert result.exit_code == 0, result.stderr
    seen = aksk_profile.requests_seen
    assert seen[-1].headers["Authorization"].startswith(f"SDK-HMAC-SHA256 Access={SANDBOX_ACCESS_KEY}, ")
    assert all("X-Auth-Token" not in r.headers for r in seen)
    assert any(r.path.endswith("/processor-tasks/task%20%C3%BC%201") for r in seen)
    assert SANDBOX_SECRET_KEY not in result.stderr
    assert "Signature=" not in result.stderr  # the Authorization header is redacted in the trace
    assert '"threshold": 0.50' in result.stdout  # a number exactly as sent


def test_temporary_credentials_send_the_security_token(cli, sandbox, profiles_file, monkeypatch) -> None:
    write_profiles(profiles_file, modelarts_yaml(sandbox, f"    access_key: {SANDBOX_TEMP_ACCESS_KEY}\n"))
    monkeypatch.setenv("TASKCTL_SECRET_KEY", SANDBOX_SECRET_KEY)
    without = cli("modelarts", "get", "task-running")
    assert without.exit_code == 4
    monkeypatch.setenv("TASKCTL_SECURITY_TOKEN", SANDBOX_SECURITY_TOKEN)
    result = cli("modelarts", "get", "task-running", "--debug")
    assert result.exit_code == 0, result.stderr
    assert sandbox.requests_seen[-1].headers["X-Security-Token"] == SANDBOX_SECURITY_TOKEN
    assert SANDBOX_SECURITY_TOKEN not in result.stderr


def test_wrong_secret_key_is_refused_with_code_and_request_id(cli, aksk_profile, monkeypatch) -> None:
    monkeypatch.setenv("TASKCTL_SECRET_KEY", "wrong-secret-key-0000")
    result = cli("modelarts", "get", "task-running")
    assert result.exit_code == 4
    assert "ModelArts.0103" in result.stderr and "request id " in result.stderr
    assert "wrong-secret-key-0000" not in result.stderr


@pytest.mark.parametrize(("task_id", "words"), [
    ("task-pending", "0 initialized → pending"),
    ("task-running", "1 running → running"),
    ("task-cleaning", "2 completed → succeeded"),
    ("task-failed", "3 failed → failed"),
    ("task-canceled", "4 stopped → canceled"),
    ("task-unknown", "9 unknown → unknown"),
])
def test_every_state(cli, token_profile, task_id: str, words: str) -> None:
    result = cli("modelarts", "get", task_id)
    assert result.exit_code == 0, result.stderr
    assert words in result.stdout


def test_failed_task_shows_its_error_message(cli, token_profile) -> None:
    result = cli("modelarts", "get", "task-failed")
    assert "Message" in result.stdout and "does not exist" in result.stdout


@pytest.mark.parametrize(("task_id", "code", "words"), [
    ("no-such-task", 3, "ModelArts.4352"),
    ("task-forbidden", 4, "ModelArts.0201"),
    ("fault-500", 1, "ModelArts.0010"),
    ("fault-502", 1, "HTML page"),
    ("fault-truncated", 1, "truncated JSON"),
    ("fault-array", 1, "a list, not a task object"),
    ("fault-empty", 1, "empty body"),
    ("fault-redirect", 1, "redirected to another host"),
])
def test_errors_map_to_exit_codes(cli, token_profile, task_id: str, code: int, words: str) -> None:
    result = cli("modelarts", "get", task_id)
    assert result.exit_code == code, result.stderr
    assert words in result.stderr
    assert result.stdout == "" and "Traceback" not in result.stderr


def test_unknown_project_is_not_found_and_project_id_is_required(cli, sandbox, profiles_file) -> None:
    write_profiles(profiles_file, "profiles:\n  ma:\n    provider: modelarts\n"
                                  f"    endpoint: {sandbox.endpoint('modelarts')}\n    token: {SANDBOX_TOKEN}\n")
    missing = cli("modelarts", "get", "task-running")
    assert missing.exit_code == 2 and "--project-id" in missing.stderr
    assert sandbox.requests_seen == []
    other = cli("modelarts", "get", "task-running", "--project-id", "other-project")
    assert other.exit_code == 3 and "ModelArts.0104" in other.stderr
    listed = cli("modelarts", "list", "--project-id", "other-project")
    assert listed.exit_code == 3 and "ModelArts.0104" in listed.stderr
    assert "check the project id" in listed.stderr and "task id" not in listed.stderr  # a list has no task id


def test_a_redirect_elsewhere_carries_neither_token_nor_signature(cli, aksk_profile) -> None:
    result = cli("modelarts", "get", "fault-redirect")
    assert result.exit_code == 1
    assert len(aksk_profile.requests_seen) == 1  # never followed


def test_dot_ids_and_empty_project_exit_2_before_any_request(cli, token_profile) -> None:
    assert cli("modelarts", "get", "..").exit_code == 2
    assert cli("modelarts", "get", "task-running", "--project-id", "").exit_code == 2
    assert cli("modelarts", "get", "task-running", "--project-id", "..").exit_code == 2
    assert token_profile.requests_seen == []


def test_malformed_answers_still_show_the_request_id(cli, token_profile) -> None:
    result = cli("modelarts", "get", "fault-truncated")
    assert result.exit_code == 1
    assert "truncated JSON" in result.stderr and "(request id " in result.stderr


def test_an_aksk_profile_signs_even_when_taskctl_token_is_set(cli, aksk_profile, monkeypatch) -> None:
    monkeypatch.setenv("TASKCTL_TOKEN", "token-for-other-profiles-123")
    assert cli("modelarts", "get", "task-running").exit_code == 0
    headers = aksk_profile.requests_seen[-1].headers
    assert headers["Authorization"].startswith("SDK-HMAC-SHA256 ") and "X-Auth-Token" not in headers


def test_a_signature_echoed_by_the_server_is_hidden(cli, serve, profiles_file, monkeypatch) -> None:
    server = serve(lambda seen, _index: Reply(200, {"task_id": "t", "name": seen.headers["authorization"],
                                                    "status": 2}))
    write_profiles(profiles_file, "profiles:\n  ma:\n    provider: modelarts\n"
                   f"    endpoint: {server.url}\n    project_id: p\n"
                   f"    access_key: {SANDBOX_ACCESS_KEY}\n")
    monkeypatch.setenv("TASKCTL_SECRET_KEY", SANDBOX_SECRET_KEY)
    for fmt in ("table", "tree", "yaml"):
        result = cli("modelarts", "get", "t", "-o", fmt, "--debug")
        assert result.exit_code == 0, result.stderr
        assert "Signature=" not in result.stdout + result.stderr
        assert "***" in result.stdout
    assert [seen.method for seen in server.requests] == ["GET"] * 3


def test_network_and_configuration_failures(cli, sandbox, profiles_file, monkeypatch, closed_port) -> None:
    write_profiles(profiles_file, "profiles:\n  ma:\n    provider: modelarts\n"
                   f"    endpoint: http://127.0.0.1:{closed_port}\n    project_id: p\n    retries: 0\n"
                   f"    access_key: {SANDBOX_ACCESS_KEY}\n")
    no_secret = cli("modelarts", "get", "t")
    assert no_secret.exit_code == 6
    assert no_secret.stderr.splitlines() == ["taskctl: error: no secret key for profile 'ma'",
                                             "taskctl: run: taskctl auth login ma, or set $TASKCTL_SECRET_KEY"]
    monkeypatch.setenv("TASKCTL_SECRET_KEY", SANDBOX_SECRET_KEY)
    refused = cli("modelarts", "get", "t")
    assert refused.exit_code == 5 and "connection refused" in refused.stderr


@pytest.mark.parametrize("command", [("get", "t1"), ("list",), ("watch", "t1", "--timeout", "5")])
def test_modelarts_own_error_sent_with_http_200_is_an_error(cli, serve, profiles_file, command) -> None:
    """`{"error_code": "ModelArts.0104", "error_msg": ...}` with HTTP 200 is no task and no page: an error with the
    service's words, never an empty task or an empty list that exits 0."""
    server = serve(Reply(200, {"error_code": "ModelArts.0104", "error_msg": "Project not found"}))
    write_profiles(profiles_file, f"profiles:\n  ma:\n    provider: modelarts\n    endpoint: {server.url}\n"
                   "    token: tok-1234567890\n    project_id: p1\n    retries: 0\n")
    result = cli("modelarts", *command)
    assert result.exit_code == 1, (result.exit_code, result.stdout, result.stderr)
    assert "ModelArts.0104" in result.stderr and "Project not found" in result.stderr
    assert result.stdout == ""
