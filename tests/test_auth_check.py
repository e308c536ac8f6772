"""`auth status --check`: one cheap authenticated request per profile; accepted, refused (4), unreachable (5)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import SANDBOX_TOKEN, write_profiles
from support.eo_http import TOKEN
from support.loopback import Reply


def _profiles(sandbox, token: str = SANDBOX_TOKEN) -> str:
    return ("profiles:\n"
            f"  eo-ok:\n    provider: eo\n    endpoint: {sandbox.endpoint('eo')}\n    token: {token}\n"
            f"  drive-ok:\n    provider: koodrive\n    endpoint: {sandbox.endpoint('koodrive')}\n    token: {token}\n"
            "    share_id: sandbox-share\n"
            f"  ma-ok:\n    provider: modelarts\n    endpoint: {sandbox.endpoint('modelarts')}\n    token: {token}\n"
            "    project_id: sandbox-project\n")


def _table(stdout: str) -> dict[str, str]:
    """PROFILE -> CHECK."""
    lines = stdout.splitlines()
    assert lines[0].split()[-1] == "CHECK", stdout
    return {line.split()[0]: line.split()[-1] for line in lines[1:] if line and not line.startswith(("file:", "key"))}


def test_every_provider_accepts_its_sandbox_secret(cli, sandbox, profiles_file: Path) -> None:
    write_profiles(profiles_file, _profiles(sandbox))
    result = cli("auth", "status", "--check", env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.stderr
    assert _table(result.stdout) == {"eo-ok": "accepted", "drive-ok": "accepted", "ma-ok": "accepted"}
    assert result.stderr == ""
    document = json.loads(cli("auth", "status", "ma-ok", "--check", "--json").stdout)
    assert [(p["name"], p["check"], p["check_message"]) for p in document["profiles"]] == [("ma-ok", "accepted",
                                                                                            None)]


def test_a_refused_secret_is_exit_4_with_the_services_words(cli, sandbox, profiles_file: Path) -> None:
    write_profiles(profiles_file, _profiles(sandbox, token="not-the-sandbox-token"))
    result = cli("auth", "status", "drive-ok", "eo-ok", "--check", env={"COLUMNS": "200"})
    assert result.exit_code == 4
    assert _table(result.stdout) == {"drive-ok": "refused", "eo-ok": "refused"}
    errors = [line for line in result.stderr.splitlines() if line.startswith("taskctl: error: ")]
    assert errors[0].startswith("taskctl: error: profile 'drive-ok': ") and "401" in errors[0]
    assert errors[1].startswith("taskctl: error: profile 'eo-ok': ")
    assert "not-the-sandbox-token" not in result.stdout + result.stderr


def test_an_unreachable_service_is_exit_5_and_only_the_named_profiles_count(cli, sandbox, profiles_file: Path,
                                                                           closed_port: int) -> None:
    write_profiles(profiles_file, _profiles(sandbox) + f"  gone:\n    provider: eo\n"
                   f"    endpoint: http://127.0.0.1:{closed_port}\n    token: {SANDBOX_TOKEN}\n    retries: 0\n"
                   "  empty:\n    provider: eo\n    endpoint: https://eo.example.com\n")
    result = cli("auth", "status", "eo-ok", "gone", "--check", "--json")
    assert result.exit_code == 5
    assert [p["check"] for p in json.loads(result.stdout)["profiles"]] == ["accepted", "unreachable"]
    assert cli("auth", "status", "eo-ok", "ma-ok", "--check").exit_code == 0
    # A profile without a secret is not checked (no request); the first failure in the order shown decides.
    mixed = cli("auth", "status", "empty", "gone", "--check", "--json")
    assert mixed.exit_code == 6
    assert [p["check"] for p in json.loads(mixed.stdout)["profiles"]] == [None, "unreachable"]


@pytest.mark.parametrize("provider", ["eo", "koodrive"])
def test_a_check_redirected_elsewhere_sends_the_secret_nowhere(cli, serve, raw, profiles_file: Path,
                                                               provider: str) -> None:
    try:
        other = raw("127.0.0.2")
    except OSError:
        pytest.skip("127.0.0.2 is not a loopback address here")
    server = serve(Reply(302, "", {"Location": f"http://127.0.0.2:{other.port}/steal"}))
    write_profiles(profiles_file, f"profiles:\n  p:\n    provider: {provider}\n    endpoint: {server.url}\n"
                   f"    token: {TOKEN}\n    retries: 0\n    share_id: s\n" if provider == "koodrive" else
                   f"profiles:\n  p:\n    provider: {provider}\n    endpoint: {server.url}\n    token: {TOKEN}\n"
                   "    retries: 0\n")
    result = cli("auth", "status", "p", "--check")
    assert result.exit_code == 1
    assert "failed" in result.stdout
    assert other.connections == 0 and bytes(other.received) == b""
    assert TOKEN not in result.stdout + result.stderr
