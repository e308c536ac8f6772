"""`-o summary` (SPEC schema 1): one JSON line per task, the same keys in the same order for every provider,
checked over every task the sandbox serves; `get` and `watch` alike."""

from __future__ import annotations

import json
import re

import pytest

from taskctl.providers.eo import seeds as eo_seeds
from taskctl.providers.koodrive import seeds as koodrive_seeds
from taskctl.providers.modelarts import seeds as modelarts_seeds

KEYS = ["provider", "profile", "id", "name", "type", "state", "terminal", "status", "status_text", "progress",
        "created", "started", "ended", "duration_seconds", "message"]
STATES = {"pending", "running", "succeeded", "partial", "failed", "canceled", "unknown"}
TERMINAL = {"succeeded", "partial", "failed", "canceled"}
ISO_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z")
# Where each service keeps its raw status (the summary's `status` is that value exactly as received).
RAW_STATUS = {"eo": "status", "koodrive": "taskStatus", "modelarts": "status"}

SANDBOX_TASKS = {
    "eo": ["702", *map(str, eo_seeds.seed_tasks()), *map(str, eo_seeds.advancing_tasks())],
    "koodrive": [*koodrive_seeds.seed_tasks(), "task-advancing"],
    "modelarts": [*modelarts_seeds.FILE_SEEDS, *modelarts_seeds.seed_tasks(), "task-advancing",
                  "task-advancing-fail"],
}


def _check_line(line: str, provider: str, raw: dict) -> dict:
    summary = json.loads(line)
    assert list(summary) == KEYS
    assert summary["provider"] == provider and summary["profile"] == "sandbox"
    assert isinstance(summary["id"], str) and summary["id"]
    for key in ("name", "type", "status_text", "message"):
        assert summary[key] is None or (isinstance(summary[key], str) and summary[key]), key
    assert summary["state"] in STATES
    assert summary["terminal"] is (summary["state"] in TERMINAL)
    assert summary["status"] == raw.get(RAW_STATUS[provider])
    assert type(summary["status"]) is type(raw.get(RAW_STATUS[provider]))
    assert summary["progress"] is None or type(summary["progress"]) is int
    for key in ("created", "started", "ended"):
        assert summary[key] is None or ISO_UTC.fullmatch(summary[key]), summary[key]
    duration = summary["duration_seconds"]
    assert duration is None or (isinstance(duration, int | float) and not isinstance(duration, bool))
    assert line.startswith('{"provider": ') and line.endswith("}")  # one compact line
    return summary


@pytest.mark.parametrize("provider", sorted(SANDBOX_TASKS))
def test_every_sandbox_task_of_every_provider(cli, provider: str) -> None:
    ids = SANDBOX_TASKS[provider]
    summaries = cli(provider, "get", *ids, "--profile", "sandbox", "-o", "summary")
    documents = cli(provider, "get", *ids, "--profile", "sandbox", "--json")
    assert summaries.exit_code == documents.exit_code == 0, summaries.stderr + documents.stderr
    raws = list(_documents(documents.stdout))
    lines = summaries.stdout.splitlines()
    assert len(lines) == len(ids) == len(raws)
    seen = [_check_line(line, provider, raw) for line, raw in zip(lines, raws, strict=True)]
    assert {s["state"] for s in seen} >= ({"running", "succeeded"} if provider == "eo" else {"failed", "canceled"})


def _documents(text: str):
    decoder, position = json.JSONDecoder(), 0
    while position < len(text.rstrip()):
        document, end = decoder.raw_decode(text, position)
        yield document
        position = end + 1


def test_eo_summary_is_the_specs_example(cli) -> None:
    result = cli("eo", "get", "702", "--profile", "sandbox", "-o", "summary")
    assert result.stdout == (
        '{"provider": "eo", "profile": "sandbox", "id": "702", "name": "API TEST BAND MERGING", '
        '"type": "Band Merging", "state": "running", "terminal": false, "status": 5, "status_text": "PROCESSING", '
        '"progress": null, "created": null, "started": null, "ended": null, "duration_seconds": null, '
        '"message": null}\n')


def test_koodrive_failed_task_says_why(cli) -> None:
    result = cli("koodrive", "get", "task-failed", "--profile", "sandbox", "-o", "summary")
    summary = json.loads(result.stdout)
    assert summary["state"] == "failed" and summary["status"] == 2
    assert summary["message"] == "result code 13000309"
    assert summary["started"] == "2025-11-05T14:20:00Z" and isinstance(summary["duration_seconds"], int)


def test_modelarts_failed_task_carries_its_error_message_as_json(cli) -> None:
    result = cli("modelarts", "get", "task-failed", "--profile", "sandbox", "-o", "summary")
    summary = json.loads(result.stdout)
    assert summary["state"] == "failed" and summary["message"]
    assert summary["created"] == "2025-11-05T14:02:11Z"


def test_big_ids_stay_exact_strings(cli) -> None:
    result = cli("eo", "get", str(eo_seeds.BIG_TASK_ID), "--profile", "sandbox", "-o", "summary")
    assert json.loads(result.stdout)["id"] == "1985949195927285760"


def test_hostile_strings_stay_inert_json(cli) -> None:
    result = cli("modelarts", "get", "task-hostile", "--profile", "sandbox", "-o", "summary")
    assert result.exit_code == 0
    assert "\x1b" not in result.stdout and "\x9b" not in result.stdout
    json.loads(result.stdout)


@pytest.mark.parametrize(("provider", "task_id", "state", "code"), [
    ("eo", "711", "failed", 7), ("koodrive", "task-advancing", "succeeded", 0),
    ("modelarts", "task-advancing", "succeeded", 0)])
def test_watch_prints_the_last_task_as_a_summary(cli, provider: str, task_id: str, state: str, code: int) -> None:
    result = cli(provider, "watch", task_id, "--profile", "sandbox", "--interval", "0.01", "-o", "summary")
    assert result.exit_code == code, result.stderr
    summary = json.loads(result.stdout)
    assert list(summary) == KEYS and summary["state"] == state and summary["terminal"] is True


def test_watch_of_a_failed_koodrive_task_names_the_result_code_and_the_failed_files(cli) -> None:
    result = cli("koodrive", "watch", "task-partial", "--profile", "sandbox", "--interval", "0.01", "-o", "summary")
    assert result.exit_code == 7
    assert ("koodrive task task-partial ended partial (2 completed, result 2 partially failed): result code "
            "13000309; budget-2025.xlsx: Resource does not exist.") in result.stderr
    assert json.loads(result.stdout)["message"] == "result code 13000309; budget-2025.xlsx: Resource does not exist."
