"""A provider defined entirely inside tests/ (tests/fourth_provider) works through the real CLI once registered
with one line: get in every format, watch, the built-in sandbox profile, a file profile and `profile show`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from taskctl import providers
from taskctl.cli.app import build_app
from taskctl.sandbox import SANDBOX_TOKEN, RunningSandbox, start

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def jobq() -> Iterator[object]:
    providers.register("fourth_provider")  # the one line
    app, runner = build_app(), CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(app, list(args), catch_exceptions=False)

    try:
        yield invoke
    finally:
        providers.unregister("jobq")


@pytest.fixture
def served() -> Iterator[RunningSandbox]:
    providers.register("fourth_provider")
    try:
        with start() as running:
            yield running
    finally:
        providers.unregister("jobq")


def test_get_in_every_format_from_the_builtin_sandbox(jobq) -> None:
    table = jobq("jobq", "get", "job-done", "--profile", "sandbox")
    assert table.exit_code == 0, table.stderr
    assert "nightly export" in table.stdout and "succeeded" in table.stdout
    as_json = jobq("jobq", "get", "job-done", "--profile", "sandbox", "--json")
    assert json.loads(as_json.stdout) == {"id": "job-done", "name": "nightly export", "state": "done",
                                          "progress": 100, "created_at": "2026-11-30T08:00:00Z"}
    tree = jobq("jobq", "get", "job-done", "--profile", "sandbox", "-o", "tree")
    assert tree.exit_code == 0 and "progress" in tree.stdout and "created_at" in tree.stdout
    yaml_out = jobq("jobq", "get", "job-done", "--profile", "sandbox", "-o", "yaml")
    assert yaml_out.exit_code == 0 and "name: nightly export" in yaml_out.stdout


def test_errors_and_exit_codes_are_the_shared_ones(jobq) -> None:
    missing = jobq("jobq", "get", "nope", "--profile", "sandbox")
    assert missing.exit_code == 3 and "jobq task nope" in missing.stderr
    wrong_queue = jobq("jobq", "get", "job-done", "--profile", "sandbox", "--queue", "other")
    assert wrong_queue.exit_code == 3


def test_watch_follows_a_job_to_its_end(jobq) -> None:
    done = jobq("jobq", "watch", "job-advancing", "--profile", "sandbox", "--interval", "0.01", "--json")
    assert done.exit_code == 0, done.stderr
    assert json.loads(done.stdout)["state"] == "done"
    failed = jobq("jobq", "watch", "job-failed", "--profile", "sandbox", "--interval", "0.01")
    assert failed.exit_code == 7


def test_help_lists_the_provider_and_its_own_option(jobq) -> None:
    assert "jobq" in jobq("--help").stdout
    assert "--queue" in jobq("jobq", "get", "--help").stdout


def test_a_file_profile_with_its_own_keys_and_profile_show(jobq, served: RunningSandbox, profiles_file) -> None:
    profiles_file.parent.mkdir(parents=True, exist_ok=True)
    profiles_file.write_text(f"profiles:\n  jobs:\n    provider: jobq\n    endpoint: {served.endpoint('jobq')}\n"
                             f"    token: {SANDBOX_TOKEN}\n    queue: default\n    allow_http: true\n")
    profiles_file.chmod(0o600)
    got = jobq("jobq", "get", "job-done", "--profile", "jobs", "--json")
    assert got.exit_code == 0, got.stderr
    assert served.requests_seen[-1].headers.get("X-Jobq-Key") == SANDBOX_TOKEN
    shown = jobq("profile", "show", "jobs")
    assert shown.exit_code == 0, shown.stderr
    rows = {line.split()[0]: line.split()[1:] for line in shown.stdout.splitlines() if line.strip()}
    assert rows["provider"][0] == "jobq" and rows["queue"][0] == "default"
    assert rows["api_key_header"][:2] == ["X-Jobq-Key", "default"]
    assert SANDBOX_TOKEN not in shown.stdout


def test_a_key_of_another_provider_is_refused_and_its_own_key_is_typed(jobq, profiles_file) -> None:
    profiles_file.parent.mkdir(parents=True, exist_ok=True)
    profiles_file.write_text("profiles:\n  jobs:\n    provider: jobq\n    endpoint: https://jobs.example\n"
                             "    queue: [1, 2]\n")
    typed = jobq("jobq", "get", "job-done", "--profile", "jobs")
    assert typed.exit_code == 6 and "queue: expected a string" in typed.stderr
    profiles_file.write_text("profiles:\n  jobs:\n    provider: jobq\n    endpoint: https://jobs.example\n"
                             "    share_id: s1\n")
    foreign = jobq("jobq", "get", "job-done", "--profile", "jobs")
    assert foreign.exit_code == 6 and "share_id: only applies to koodrive profiles" in foreign.stderr


def test_the_debug_trace_hides_the_header_the_profile_names(jobq) -> None:
    traced = jobq("--debug", "jobq", "get", "job-done", "--profile", "sandbox")
    assert traced.exit_code == 0
    assert "X-Jobq-Key: <redacted>" in traced.stderr and SANDBOX_TOKEN not in traced.stderr


def test_no_file_under_taskctl_knows_the_fourth_provider() -> None:
    hits = [path for path in (ROOT / "taskctl").rglob("*.py") if "jobq" in path.read_text()]
    assert hits == []
