"""Rough edges a new user met: --profile before the provider, $TASKCTL_CONFIG naming a missing file, messages."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import write_profiles
from support.eo_http import html
from support.loopback import replies


def test_profile_before_the_provider(cli) -> None:
    result = cli("--profile", "sandbox", "eo", "get", "702", "--jq", ".id")
    assert (result.exit_code, result.stdout) == (0, "702\n")
    assert cli("-p", "sandbox", "modelarts", "watch", "task-advancing", "--interval", "0.01", "--jq", ".status"
               ).stdout == "2\n"


def test_profile_after_the_subcommand_wins(cli) -> None:
    result = cli("--profile", "nope", "eo", "get", "702", "--profile", "sandbox", "--jq", ".id")
    assert (result.exit_code, result.stdout) == (0, "702\n")
    wrong = cli("--profile", "nope", "eo", "get", "702")
    assert wrong.exit_code == 2 and "unknown profile 'nope'" in wrong.stderr


def test_a_missing_config_file_does_not_stop_the_builtin_sandbox(cli, tmp_path: Path) -> None:
    env = {"TASKCTL_CONFIG": str(tmp_path / "missing.yaml")}
    result = cli("eo", "get", "702", "--profile", "sandbox", "--jq", ".id", env=env)
    assert (result.exit_code, result.stdout, result.stderr) == (0, "702\n", "")
    without = cli("eo", "get", "702", env=env)
    assert without.exit_code == 6 and f"profiles file {tmp_path / 'missing.yaml'} does not exist" in without.stderr
    assert "profiles.example.yaml" not in without.stderr and "taskctl profile add" in without.stderr


def test_the_article_before_eo_is_an(cli, profiles_file: Path) -> None:
    write_profiles(profiles_file, "profiles:\n  drive:\n    provider: koodrive\n    endpoint: https://k.example\n")
    result = cli("eo", "get", "702", "--profile", "drive")
    assert result.exit_code == 2
    assert "profile 'drive' is a koodrive profile, not eo" in result.stderr
    assert "pick an eo profile: sandbox" in result.stderr


def test_an_unknown_profile_does_not_name_a_file_that_does_not_exist(cli, profiles_file: Path) -> None:
    result = cli("eo", "get", "702", "--profile", "nope")
    assert result.exit_code == 2
    assert f"eo profiles: sandbox (no profiles file at {profiles_file})" in result.stderr


@pytest.mark.parametrize(("provider", "task_id"), [("koodrive", "a" * 100_000), ("eo", "9" * 300),
                                                   ("modelarts", "x\x01" * 5000)])
def test_a_long_invalid_id_is_not_echoed_whole(cli, provider: str, task_id: str) -> None:
    result = cli(provider, "get", task_id, "--profile", "sandbox")
    assert result.exit_code == 2
    first = result.stderr.splitlines()[0]
    assert len(first) < 250 and f"({len(task_id):,} characters)" in first


def test_an_answer_that_stood_after_retries_says_so(cli, serve, use) -> None:
    server = serve(replies(html(503, "Service Unavailable", **{"Retry-After": "0"}),
                           html(503, "Service Unavailable", **{"Retry-After": "0"})))
    use(server.endpoint, retries=1)
    result = cli("eo", "get", "1")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0].endswith("(after 1 retry)")
    assert len(server.wait_for_requests(2)) == 2


def test_a_network_failure_after_retries_says_so(cli, use, closed_port) -> None:
    use(f"http://127.0.0.1:{closed_port}", retries=2)
    result = cli("eo", "get", "1")
    assert result.exit_code == 5
    assert "connection refused" in result.stderr and "(after 2 retries)" in result.stderr


def test_an_answer_without_retries_says_nothing_of_them(cli, serve, use) -> None:
    use(serve(replies(html(503, "Service Unavailable"))).endpoint, retries=0)
    result = cli("eo", "get", "1")
    assert result.exit_code == 1 and "retr" not in result.stderr.splitlines()[0]
