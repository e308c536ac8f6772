"""`taskctl koodrive get` against the bundled sandbox: request shape, states, formats, error mapping."""

from __future__ import annotations

import json
import re

import pytest
from support import write_profiles

from taskctl.providers.koodrive import SANDBOX_KDSTOKEN, SANDBOX_LOCKED_SHARE_ID, SANDBOX_SHARE_ID
from taskctl.sandbox import SANDBOX_TOKEN


def koodrive_yaml(sandbox, token: str = SANDBOX_TOKEN, extra: str = "") -> str:
    return ("profiles:\n  drive:\n    provider: koodrive\n"
            f"    endpoint: {sandbox.endpoint('koodrive')}\n    token: {token}\n    retries: 0\n" + extra)


@pytest.fixture
def drive(sandbox, profiles_file):
    write_profiles(profiles_file, koodrive_yaml(sandbox))
    return sandbox


def last_request(sandbox):
    return [r for r in sandbox.requests_seen if r.path.endswith("/share/taskDetail")][-1]


def test_builtin_sandbox_needs_no_configuration(cli) -> None:
    result = cli("koodrive", "get", "task-running", "--profile", "sandbox")
    assert result.exit_code == 0, result.stderr
    assert "1 being processed → running" in result.stdout
    assert "40%" in result.stdout


def test_request_shape_and_bearer_prefix(cli, drive) -> None:
    assert cli("koodrive", "get", "task-done", "--share-id", SANDBOX_SHARE_ID).exit_code == 0
    seen = last_request(drive)
    assert seen.method == "POST" and seen.path == "/koodrive/koodrive/ose/v1/share/taskDetail"
    assert seen.headers["Authorization"] == f"Bearer+{SANDBOX_TOKEN}"
    assert json.loads(seen.body) == {"taskId": "task-done", "shareId": SANDBOX_SHARE_ID}
    assert "X-Traceid" not in seen.headers


def test_a_stored_bearer_token_is_not_prefixed_twice(cli, sandbox, profiles_file) -> None:
    write_profiles(profiles_file, koodrive_yaml(sandbox, token=f"Bearer+{SANDBOX_TOKEN}",
                                                extra=f"    share_id: {SANDBOX_SHARE_ID}\n"))
    assert cli("koodrive", "get", "task-done").exit_code == 0
    assert last_request(sandbox).headers["Authorization"] == f"Bearer+{SANDBOX_TOKEN}"


def test_trace_id_only_when_asked(cli, drive) -> None:
    trace = "a" * 58
    assert cli("koodrive", "get", "task-done", "--share-id", SANDBOX_SHARE_ID, "--trace-id", trace).exit_code == 0
    assert last_request(drive).headers["X-Traceid"] == trace


@pytest.mark.parametrize(("task_id", "words"), [
    ("task-pending", "0 to be processed → pending"),
    ("task-running", "1 being processed → running"),
    ("task-done", "result 1 all succeeded → succeeded"),
    ("task-partial", "result 2 partially failed → partial"),
    ("task-failed", "result 3 all failed → failed"),
    ("task-canceled", "3 canceled → canceled"),
    ("task-unknown", "7 unknown → unknown"),
])
def test_every_state(cli, drive, task_id: str, words: str) -> None:
    result = cli("koodrive", "get", task_id, "--share-id", SANDBOX_SHARE_ID)
    assert result.exit_code == 0, result.stderr
    assert words in result.stdout


def test_times_progress_link_and_per_file_results(cli, drive) -> None:
    result = cli("koodrive", "get", "task-partial", "--share-id", SANDBOX_SHARE_ID)
    assert "2025-11-05 14:10:02 UTC" in result.stdout  # yyyyMMddHHmmss read as UTC (TZ is UTC in tests)
    assert re.search(r"Duration +1m 37s", result.stdout)
    assert re.search(r"Message +result code 13000309\n", cli("koodrive", "get", "task-failed", "--share-id",
                                                             SANDBOX_SHARE_ID).stdout)
    assert re.search(r"Message +result code 13000309; budget-2025.xlsx: Resource does not exist.", result.stdout)
    assert "█" * 20 + " 100%" in result.stdout
    assert "…/task-partial.zip" in result.stdout and "https://" not in result.stdout
    assert "Files (3)" in result.stdout and "Resource does not" in result.stdout
    tree = cli("koodrive", "get", "task-partial", "--share-id", SANDBOX_SHARE_ID, "-o", "tree").stdout
    assert "taskInfos  (beside the task object)" in tree


def test_json_is_the_task_object_as_sent_for_both_shapes(cli, drive) -> None:
    old = cli("koodrive", "get", "task-done", "--share-id", SANDBOX_SHARE_ID, "--json")
    new = cli("koodrive", "get", "task-partial", "--share-id", SANDBOX_SHARE_ID, "--json")
    bodies = [json.loads(r.body) for r in drive.requests_seen]
    assert len(bodies) == 2
    done, partial = json.loads(old.stdout), json.loads(new.stdout)
    assert list(done) == ["userId", "taskId", "taskType", "taskStatus", "taskResultCode", "resultCode",
                          "createTime", "startTime", "endTime", "progress", "downloadUrl"]
    assert done["downloadUrl"].startswith(drive.base_url + "/downloads/")  # whole in JSON
    assert partial["taskResultCode"] == 2 and "taskInfos" not in partial


def test_big_numeric_looking_ids_stay_strings(cli, drive) -> None:
    result = cli("koodrive", "get", "1985949195927285761", "--share-id", SANDBOX_SHARE_ID, "--json")
    assert '"taskId": "1985949195927285761"' in result.stdout


def test_locked_share_needs_the_kdstoken_which_never_shows(cli, drive) -> None:
    refused = cli("koodrive", "get", "task-locked", "--share-id", SANDBOX_LOCKED_SHARE_ID)
    assert refused.exit_code == 4
    assert "13000410" in refused.stderr and "--kdstoken" in refused.stderr
    allowed = cli("koodrive", "get", "task-locked", "--share-id", SANDBOX_LOCKED_SHARE_ID,
                  "--kdstoken", SANDBOX_KDSTOKEN, "--debug")
    assert allowed.exit_code == 0, allowed.stderr
    assert json.loads(last_request(drive).body)["kdstoken"] == SANDBOX_KDSTOKEN
    assert SANDBOX_KDSTOKEN not in allowed.stderr + allowed.stdout
    assert SANDBOX_TOKEN not in allowed.stderr


@pytest.mark.parametrize(("args", "code", "words"), [
    (["task-nope", "--share-id", SANDBOX_SHARE_ID], 3, "13000309"),
    (["task-done", "--share-id", "no-such-share"], 3, "Resource does not exist."),
    (["fault-500", "--share-id", SANDBOX_SHARE_ID], 1, "13000999"),
    (["fault-200-error", "--share-id", SANDBOX_SHARE_ID], 1, "internal error"),
    (["fault-502", "--share-id", SANDBOX_SHARE_ID], 1, "HTML page"),
    (["fault-truncated", "--share-id", SANDBOX_SHARE_ID], 1, "truncated JSON"),
    (["fault-no-info", "--share-id", SANDBOX_SHARE_ID], 1, "no taskInfo or jobInfo"),
    (["fault-wrong-shape", "--share-id", SANDBOX_SHARE_ID], 1, "no taskInfo or jobInfo"),
    (["fault-redirect", "--share-id", SANDBOX_SHARE_ID], 1, "redirected to another host"),
])
def test_errors_map_to_exit_codes_and_show_the_service_code(cli, drive, args, code, words) -> None:
    result = cli("koodrive", "get", *args)
    assert result.exit_code == code, result.stderr
    assert words in result.stderr
    assert result.stdout == "" and "Traceback" not in result.stderr


def test_wrong_token_exits_4_with_the_error_code(cli, sandbox, profiles_file) -> None:
    write_profiles(profiles_file, koodrive_yaml(sandbox, token="not-the-token-1234"))
    result = cli("koodrive", "get", "task-done", "--share-id", SANDBOX_SHARE_ID)
    assert result.exit_code == 4
    assert "KD.00000401" in result.stderr and "not-the-token-1234" not in result.stderr


def test_share_id_is_required_before_any_request(cli, drive) -> None:
    result = cli("koodrive", "get", "task-done")
    assert result.exit_code == 2
    assert "--share-id" in result.stderr
    assert drive.requests_seen == []


def test_hostile_file_results_are_inert(cli, drive) -> None:
    result = cli("koodrive", "get", "task-hostile", "--share-id", SANDBOX_SHARE_ID)
    assert result.exit_code == 0
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout


@pytest.mark.parametrize("args", [
    ["..", "--share-id", SANDBOX_SHARE_ID],
    ["task-done", "--share-id", ""],
    ["task-done", "--share-id", SANDBOX_SHARE_ID, "--trace-id", "trace-ü"],
    ["task-done", "--share-id", SANDBOX_SHARE_ID, "--trace-id", ""],
])
def test_bad_ids_and_options_exit_2_before_any_request(cli, drive, args) -> None:
    result = cli("koodrive", "get", *args)
    assert result.exit_code == 2, result.stderr
    assert drive.requests_seen == []


def test_a_short_kdstoken_is_masked_in_the_trace(cli, drive) -> None:
    result = cli("koodrive", "get", "task-done", "--share-id", SANDBOX_SHARE_ID, "--kdstoken", "abc", "--debug")
    assert '"kdstoken": "***"' in result.stderr and '"abc"' not in result.stderr


def test_the_file_table_names_its_columns_and_statuses_and_keeps_them_on_80_columns(cli, drive) -> None:
    result = cli("koodrive", "get", "task-partial", "--share-id", SANDBOX_SHARE_ID)
    lines = result.stdout.splitlines()
    header = next(line for line in lines if line.startswith("File "))
    assert header.split() == ["File", "Status", "Message", "Code", "File", "id"]
    assert re.search(r"^budget-2025.xlsx +failed \(3\) +Resource does", result.stdout, re.M)
    assert re.search(r"^Q3 report.pdf +succeeded \(1\) +success", result.stdout, re.M)
    assert max(len(line) for line in lines) <= 80


def test_on_40_columns_the_file_table_keeps_the_file_and_its_status(cli, drive) -> None:
    result = cli("koodrive", "get", "task-partial", "--share-id", SANDBOX_SHARE_ID, env={"COLUMNS": "40"})
    assert max(len(line) for line in result.stdout.splitlines()) <= 40
    assert re.search(r"^budget-2025.xlsx +failed \(3\)$", result.stdout, re.M)
    assert "Message, Code, File id hidden" in result.stdout.replace("\n", " ")


def test_network_and_configuration_failures(cli, profiles_file, monkeypatch, closed_port) -> None:
    write_profiles(profiles_file, "profiles:\n  drive:\n    provider: koodrive\n"
                   f"    endpoint: http://127.0.0.1:{closed_port}\n    share_id: s\n    retries: 0\n")
    no_token = cli("koodrive", "get", "t")
    assert no_token.exit_code == 6 and "no token for profile 'drive'" in no_token.stderr
    monkeypatch.setenv("TASKCTL_TOKEN", "a-token-for-drive-1234")
    refused = cli("koodrive", "get", "t")
    assert refused.exit_code == 5 and "connection refused" in refused.stderr
