"""ModelArts set up as Huawei Cloud users do, against the sandbox's IAM: password tokens (got once, kept, renewed
once on a 401), project lookup (cached), the SDK's environment credentials; `auth` and `profile` around them."""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path

import pytest
from support import write_profiles

from taskctl.providers.modelarts import SANDBOX_ACCESS_KEY, SANDBOX_PROJECT_ID, SANDBOX_SECRET_KEY
from taskctl.providers.modelarts.iam_emulator import SANDBOX_DOMAIN, SANDBOX_PASSWORD
from taskctl.sandbox import RunningSandbox

NO_KEYRING = "keyring.backends.null.Keyring"


def profile_yaml(sandbox: RunningSandbox, body: str, *, name: str = "ma", region: str = "cn-north-4") -> str:
    return (f"profiles:\n  {name}:\n    provider: modelarts\n    endpoint: {sandbox.endpoint('modelarts')}\n"
            f"    region: {region}\n    iam_endpoint: {sandbox.base_url}/iam\n    retries: 0\n{body}")


def password_yaml(sandbox: RunningSandbox, user: str = "sandbox-user", **kwargs: str) -> str:
    return profile_yaml(sandbox, f"    auth: password\n    domain: {SANDBOX_DOMAIN}\n    username: {user}\n",
                        **kwargs)


def iam_requests(sandbox: RunningSandbox) -> list:
    return [seen for seen in sandbox.requests_seen if seen.path.startswith("/iam/")]


def modelarts_requests(sandbox: RunningSandbox) -> list:
    return [seen for seen in sandbox.requests_seen if seen.path.startswith("/modelarts/")]


@pytest.fixture
def password_profile(sandbox, profiles_file, cli):
    write_profiles(profiles_file, password_yaml(sandbox))
    login = cli("auth", "login", "ma", input=SANDBOX_PASSWORD + "\n")
    assert login.exit_code == 0, login.stderr
    return sandbox


# --- auth: password ------------------------------------------------------------------------------------------


def test_the_first_get_asks_iam_once_and_the_second_not_at_all(cli, password_profile) -> None:
    sandbox = password_profile
    first = cli("modelarts", "get", "task-running", "--json")
    assert first.exit_code == 0, first.stderr
    assert json.loads(first.stdout)["task_id"] == "task-running"
    [token_request] = iam_requests(sandbox)
    assert (token_request.method, token_request.path) == ("POST", "/iam/v3/auth/tokens?nocatalog=true")
    assert json.loads(token_request.body)["auth"] == {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": "sandbox-user", "password": SANDBOX_PASSWORD, "domain": {"name": SANDBOX_DOMAIN}}}},
        "scope": {"project": {"name": "cn-north-4"}}}
    token = modelarts_requests(sandbox)[-1].headers["X-Auth-Token"]
    assert token.startswith("MIIsandbox")
    assert modelarts_requests(sandbox)[-1].path == f"/modelarts/v2/{SANDBOX_PROJECT_ID}/processor-tasks/task-running"

    second = cli("modelarts", "get", "task-running", "--json")
    assert second.exit_code == 0, second.stderr
    assert len(iam_requests(sandbox)) == 1  # the kept token, and the project it is scoped to
    assert modelarts_requests(sandbox)[-1].headers["X-Auth-Token"] == token
    for result in (first, second):
        assert SANDBOX_PASSWORD not in result.stdout + result.stderr and token not in result.stdout + result.stderr


def test_several_ids_share_one_token_request(cli, password_profile) -> None:
    result = cli("modelarts", "get", "task-running", "task-pending", "task-failed", "AcYfsdfhGyrWL5TtahH", "--json")
    assert result.exit_code == 0, result.stderr
    assert len(iam_requests(password_profile)) == 1
    assert len({seen.headers["X-Auth-Token"] for seen in modelarts_requests(password_profile)}) == 1


def test_an_expired_kept_token_is_replaced_once(cli, password_profile) -> None:
    sandbox = password_profile
    assert cli("modelarts", "get", "task-running").exit_code == 0
    old = modelarts_requests(sandbox)[-1].headers["X-Auth-Token"]
    sandbox.api("modelarts").iam.expire_tokens()  # ModelArts now answers 401 "The token must be updated."

    result = cli("modelarts", "get", "task-running", "task-pending", "--json")

    assert result.exit_code == 0, result.stderr
    assert len(iam_requests(sandbox)) == 2  # one new token for both ids
    tokens = [seen.headers["X-Auth-Token"] for seen in modelarts_requests(sandbox)[1:]]
    assert tokens.count(old) >= 1 and tokens[-1] != old
    assert cli("modelarts", "get", "task-running").exit_code == 0
    assert len(iam_requests(sandbox)) == 2  # the new token was kept


def test_a_token_about_to_expire_is_not_reused(cli, sandbox, profiles_file, monkeypatch) -> None:
    write_profiles(profiles_file, password_yaml(sandbox, "sandbox-short"))  # 200 s: inside the 5 min margin
    monkeypatch.setenv("TASKCTL_PASSWORD", SANDBOX_PASSWORD)
    assert cli("modelarts", "get", "task-running").exit_code == 0
    assert cli("modelarts", "get", "task-running").exit_code == 0
    assert len(iam_requests(sandbox)) == 2


def test_a_refused_new_token_ends_in_exit_4_after_one_retry(cli, password_profile) -> None:
    sandbox = password_profile
    sandbox.add_task("modelarts", "task-401", lambda _poll: __import__(
        "taskctl.providers.modelarts.emulator", fromlist=["auth_failed"]).auth_failed("token not valid here"))
    result = cli("modelarts", "get", "task-401")
    assert result.exit_code == 4, result.stderr
    assert "ModelArts refused a new IAM token too" in result.stderr
    assert len(iam_requests(sandbox)) == 2 and len(modelarts_requests(sandbox)) == 2  # one renewal, one retry


def test_without_a_keyring_the_token_is_kept_in_a_private_cache_file(cli, sandbox, profiles_file, monkeypatch,
                                                                     isolated_env: Path) -> None:
    write_profiles(profiles_file, password_yaml(sandbox))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", NO_KEYRING)
    monkeypatch.setenv("TASKCTL_PASSWORD", SANDBOX_PASSWORD)
    assert cli("modelarts", "get", "task-running").exit_code == 0
    kept = isolated_env / ".cache" / "taskctl" / "tokens" / "ma.json"
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert stat.S_IMODE(kept.parent.stat().st_mode) == 0o700
    assert json.loads(kept.read_text())["token"] == modelarts_requests(sandbox)[-1].headers["X-Auth-Token"]
    assert SANDBOX_PASSWORD not in kept.read_text()
    assert cli("modelarts", "get", "task-running").exit_code == 0
    assert len(iam_requests(sandbox)) == 1

    logout = cli("auth", "logout", "ma")
    assert "removed the kept session token of 'ma'" in logout.stderr
    assert not kept.exists()


def test_auth_status_shows_the_expiry_and_logout_removes_password_and_token(cli, password_profile) -> None:
    assert cli("modelarts", "get", "task-running").exit_code == 0
    status = cli("auth", "status", env={"COLUMNS": "200"})
    assert status.exit_code == 0, status.stderr
    assert re.search(r"^ma +modelarts +password +\*\*\*\* +keyring", status.stdout, re.MULTILINE)
    assert "****word" not in status.stdout
    line = next(line for line in status.stdout.splitlines() if line.startswith("session token of 'ma'"))
    assert "expires" in line and "UTC (in " in line
    [record] = json.loads(cli("auth", "status", "ma", "--json").stdout)["profiles"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", record["session_expires"])
    assert record["session_expires"][:10] in line

    logout = cli("auth", "logout", "ma")
    assert logout.exit_code == 0
    assert "removed the password of 'ma'" in logout.stderr and "removed the kept session token" in logout.stderr
    assert "session token" not in cli("auth", "status").stdout
    shown = cli("profile", "show", "ma", env={"COLUMNS": "200"}).stdout
    assert all(f"{key} " in shown for key in ("auth", "domain", "username", "region", "iam_endpoint"))
    assert re.search(r"^password +\(none\) +run: taskctl auth login ma", shown, re.MULTILINE)
    again = cli("modelarts", "get", "task-running")
    assert again.exit_code == 6 and "no password for profile 'ma'" in again.stderr
    assert "taskctl auth login ma" in again.stderr and "TASKCTL_PASSWORD" in again.stderr


@pytest.mark.parametrize(("user", "password", "text", "hint"), [
    ("sandbox-user", "wrong-password", "The username or password is wrong.", "taskctl auth login ma"),
    ("sandbox-mfa", SANDBOX_PASSWORD, "virtual MFA", "access key (AK/SK)"),
    ("sandbox-locked", SANDBOX_PASSWORD, "The user is locked", "unlock"),
])
def test_iam_refusals_are_exit_4_with_iams_message(cli, sandbox, profiles_file, monkeypatch, user: str,
                                                    password: str, text: str, hint: str) -> None:
    write_profiles(profiles_file, password_yaml(sandbox, user))
    monkeypatch.setenv("TASKCTL_PASSWORD", password)
    result = cli("modelarts", "get", "task-running")
    assert result.exit_code == 4, result.stderr
    assert text in result.stderr and hint in result.stderr and len(result.stderr.splitlines()) == 2
    assert password not in cli("modelarts", "get", "task-running", "--debug").stderr
    assert modelarts_requests(sandbox) == []


def test_the_debug_trace_shows_neither_password_nor_token(cli, password_profile) -> None:
    result = cli("modelarts", "get", "task-running", "--debug")
    assert result.exit_code == 0, result.stderr
    token = modelarts_requests(password_profile)[-1].headers["X-Auth-Token"]
    assert "/iam/v3/auth/tokens" in result.stderr  # the IAM exchange is traced
    assert SANDBOX_PASSWORD not in result.stderr and token not in result.stderr and token[-16:] not in result.stderr


def test_watch_works_with_a_password_profile(cli, password_profile) -> None:
    result = cli("modelarts", "watch", "AcYfsdfhGyrWL5TtahH", "--json")
    assert result.exit_code == 0, result.stderr
    assert len(iam_requests(password_profile)) == 1


# --- project lookup --------------------------------------------------------------------------------------------


def test_a_region_only_aksk_profile_looks_the_project_up_once(cli, sandbox, profiles_file, monkeypatch,
                                                               isolated_env: Path) -> None:
    write_profiles(profiles_file, profile_yaml(sandbox, f"    access_key: {SANDBOX_ACCESS_KEY}\n"))
    monkeypatch.setenv("TASKCTL_SECRET_KEY", SANDBOX_SECRET_KEY)
    assert cli("modelarts", "get", "task-running").exit_code == 0
    [lookup] = iam_requests(sandbox)
    assert (lookup.method, lookup.path) == ("GET", "/iam/v3/projects?name=cn-north-4")
    assert lookup.headers["Authorization"].startswith(f"SDK-HMAC-SHA256 Access={SANDBOX_ACCESS_KEY}, ")
    assert modelarts_requests(sandbox)[-1].path.startswith(f"/modelarts/v2/{SANDBOX_PROJECT_ID}/")
    cached = isolated_env / ".cache" / "taskctl" / "modelarts-projects.json"
    assert stat.S_IMODE(cached.stat().st_mode) == 0o600 and SANDBOX_SECRET_KEY not in cached.read_text()
    assert cli("modelarts", "watch", "AcYfsdfhGyrWL5TtahH").exit_code == 0
    assert len(iam_requests(sandbox)) == 1


def test_a_token_profile_looks_the_project_up_with_its_token(cli, sandbox, profiles_file) -> None:
    write_profiles(profiles_file, profile_yaml(sandbox, ""))
    token = sandbox_token(sandbox)
    result = cli("modelarts", "get", "task-running", env={"TASKCTL_TOKEN": token})
    assert result.exit_code == 0, result.stderr
    assert iam_requests(sandbox)[-1].headers["X-Auth-Token"] == token


def sandbox_token(sandbox: RunningSandbox) -> str:
    import requests

    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": "sandbox-user", "password": SANDBOX_PASSWORD, "domain": {"name": SANDBOX_DOMAIN}}}},
        "scope": {"project": {"name": "cn-north-4"}}}}
    return requests.post(f"{sandbox.base_url}/iam/v3/auth/tokens", json=body, timeout=5).headers["X-Subject-Token"]


@pytest.mark.parametrize(("region", "text"), [
    ("cn-east-3", "several projects are named cn-east-3: sandbox-project-e3a, sandbox-project-e3b"),
    ("la-south-2", "IAM knows no project named la-south-2"),
])
def test_zero_or_several_projects_are_a_clear_error(cli, sandbox, profiles_file, monkeypatch, region: str,
                                                     text: str) -> None:
    write_profiles(profiles_file, profile_yaml(sandbox, f"    access_key: {SANDBOX_ACCESS_KEY}\n", region=region))
    monkeypatch.setenv("TASKCTL_SECRET_KEY", SANDBOX_SECRET_KEY)
    result = cli("modelarts", "get", "task-running")
    assert result.exit_code == 6 and text in result.stderr and "project_id" in result.stderr
    assert modelarts_requests(sandbox) == []


def test_an_explicit_project_id_needs_no_lookup(cli, sandbox, profiles_file, monkeypatch) -> None:
    write_profiles(profiles_file, profile_yaml(sandbox, f"    access_key: {SANDBOX_ACCESS_KEY}\n"))
    monkeypatch.setenv("TASKCTL_SECRET_KEY", SANDBOX_SECRET_KEY)
    assert cli("modelarts", "get", "task-running", "--project-id", SANDBOX_PROJECT_ID).exit_code == 0
    assert iam_requests(sandbox) == []


# --- the SDK's environment credentials ------------------------------------------------------------------------


@pytest.fixture
def sdk_env(monkeypatch) -> None:
    monkeypatch.setenv("HUAWEICLOUD_SDK_AK", SANDBOX_ACCESS_KEY)
    monkeypatch.setenv("HUAWEICLOUD_SDK_SK", SANDBOX_SECRET_KEY)
    monkeypatch.setenv("HUAWEICLOUD_SDK_PROJECT_ID", SANDBOX_PROJECT_ID)


def test_an_env_only_setup_signs_with_the_sdk_variables(cli, sandbox, profiles_file, sdk_env) -> None:
    write_profiles(profiles_file, profile_yaml(sandbox, ""))
    for args in (("get", "task-running", "task-pending"), ("watch", "AcYfsdfhGyrWL5TtahH")):
        result = cli("modelarts", *args, "--json")
        assert result.exit_code == 0, result.stderr
    assert iam_requests(sandbox) == []  # HUAWEICLOUD_SDK_PROJECT_ID
    seen = modelarts_requests(sandbox)[-1]
    assert seen.headers["Authorization"].startswith(f"SDK-HMAC-SHA256 Access={SANDBOX_ACCESS_KEY}, ")
    shown = cli("profile", "show", "ma", env={"COLUMNS": "200"}).stdout
    assert "env HUAWEICLOUD_SDK_SK (Huawei Cloud SDK; access key from HUAWEICLOUD_SDK_AK)" in shown
    assert SANDBOX_SECRET_KEY not in shown


def test_taskctls_own_credentials_come_before_the_sdks(cli, sandbox, profiles_file, sdk_env) -> None:
    write_profiles(profiles_file, profile_yaml(sandbox, "    project_id: sandbox-project\n"))
    result = cli("modelarts", "get", "task-running", env={"TASKCTL_TOKEN": "sandbox-token"})
    assert result.exit_code == 0, result.stderr
    seen = modelarts_requests(sandbox)[-1]
    assert seen.headers["X-Auth-Token"] == "sandbox-token" and "Authorization" not in seen.headers


def test_a_profile_with_another_access_key_ignores_the_sdk_secret(cli, sandbox, profiles_file, sdk_env) -> None:
    write_profiles(profiles_file, profile_yaml(sandbox, "    access_key: OTHERACCESSKEY\n"))
    result = cli("modelarts", "get", "task-running")
    assert result.exit_code == 6 and "no secret key for profile 'ma'" in result.stderr
    assert sandbox.requests_seen == []


def test_project_cache_is_per_account(cli, sandbox, profiles_file, monkeypatch, isolated_env: Path) -> None:
    write_profiles(profiles_file, profile_yaml(sandbox, f"    access_key: {SANDBOX_ACCESS_KEY}\n"))
    monkeypatch.setenv("TASKCTL_SECRET_KEY", SANDBOX_SECRET_KEY)
    assert cli("modelarts", "get", "task-running").exit_code == 0
    cached = json.loads((isolated_env / ".cache" / "taskctl" / "modelarts-projects.json").read_text())
    assert list(cached.values()) == [SANDBOX_PROJECT_ID]
    assert any(SANDBOX_ACCESS_KEY in key and "cn-north-4" in key for key in cached)
    assert os.environ["XDG_CACHE_HOME"].startswith(str(isolated_env))


def test_sdk_temporary_credentials_send_the_sdk_security_token(cli, sandbox, profiles_file, monkeypatch) -> None:
    from taskctl.providers.modelarts import SANDBOX_SECURITY_TOKEN, SANDBOX_TEMP_ACCESS_KEY

    write_profiles(profiles_file, profile_yaml(sandbox, ""))
    monkeypatch.setenv("HUAWEICLOUD_SDK_AK", SANDBOX_TEMP_ACCESS_KEY)
    monkeypatch.setenv("HUAWEICLOUD_SDK_SK", SANDBOX_SECRET_KEY)
    monkeypatch.setenv("HUAWEICLOUD_SDK_SECURITY_TOKEN", SANDBOX_SECURITY_TOKEN)
    result = cli("modelarts", "get", "task-running", "--debug")
    assert result.exit_code == 0, result.stderr
    assert all(seen.headers.get("X-Security-Token") == SANDBOX_SECURITY_TOKEN for seen in sandbox.requests_seen)
    assert [seen.path for seen in iam_requests(sandbox)] == ["/iam/v3/projects?name=cn-north-4"]
    assert SANDBOX_SECURITY_TOKEN not in result.stderr and SANDBOX_SECRET_KEY not in result.stderr


def test_the_sandbox_snippet_has_a_password_profile_that_works(cli, sandbox, profiles_file, monkeypatch) -> None:
    from taskctl.commands.sandbox import profile_snippet

    write_profiles(profiles_file, profile_snippet(sandbox))
    monkeypatch.setenv("TASKCTL_PASSWORD", SANDBOX_PASSWORD)
    result = cli("modelarts", "get", "task-running", "--profile", "local-modelarts-password", "--json")
    assert result.exit_code == 0, result.stderr
    assert [seen.path for seen in iam_requests(sandbox)] == ["/iam/v3/auth/tokens?nocatalog=true"]


def test_a_new_login_or_another_user_does_not_reuse_the_kept_token(cli, password_profile, profiles_file) -> None:
    sandbox = password_profile
    assert cli("modelarts", "get", "task-running").exit_code == 0
    login = cli("auth", "login", "ma", input=SANDBOX_PASSWORD + "\n")
    assert "removed the kept session token of 'ma'" in login.stderr
    assert cli("modelarts", "get", "task-running").exit_code == 0
    assert len(iam_requests(sandbox)) == 2
    write_profiles(profiles_file, password_yaml(sandbox, "sandbox-short"))  # the kept token is sandbox-user's
    assert cli("modelarts", "get", "task-running").exit_code == 0
    assert json.loads(iam_requests(sandbox)[-1].body)["auth"]["identity"]["password"]["user"]["name"] == (
        "sandbox-short")


def test_fetch_threads_share_one_token_request_when_the_project_is_known(cli, sandbox, profiles_file,
                                                                         monkeypatch) -> None:
    write_profiles(profiles_file, password_yaml(sandbox) + f"    project_id: {SANDBOX_PROJECT_ID}\n")
    monkeypatch.setenv("TASKCTL_PASSWORD", SANDBOX_PASSWORD)
    ids = ["task-running", "task-pending", "task-failed", "task-canceled", "AcYfsdfhGyrWL5TtahH", "task-cleaning"]
    result = cli("modelarts", "get", *ids, "--json")
    assert result.exit_code == 0, result.stderr
    assert len(iam_requests(sandbox)) == 1 and len(modelarts_requests(sandbox)) == len(ids)


def test_a_kept_token_works_without_the_password_until_it_must_be_renewed(cli, sandbox, profiles_file,
                                                                           monkeypatch) -> None:
    """CI gives the password once: later runs use the token kept from it while it is valid, with no password at
    hand; when a new token is needed, "no password" says what to do (exit 6)."""
    write_profiles(profiles_file, password_yaml(sandbox))
    monkeypatch.setenv("TASKCTL_PASSWORD", SANDBOX_PASSWORD)
    assert cli("modelarts", "get", "task-running").exit_code == 0
    monkeypatch.delenv("TASKCTL_PASSWORD")
    again = cli("modelarts", "get", "task-running", "--json")
    assert again.exit_code == 0, again.stderr
    assert len(iam_requests(sandbox)) == 1
    status = cli("auth", "status", "ma", env={"COLUMNS": "200"})
    assert status.exit_code == 0 and "kept session token" in status.stdout
    assert cli("auth", "logout", "ma").exit_code == 0  # the kept token goes too
    gone = cli("modelarts", "get", "task-running")
    assert gone.exit_code == 6 and "no password for profile 'ma'" in gone.stderr


def test_list_works_with_each_setup(cli, sandbox, profiles_file, monkeypatch) -> None:
    """Region + password, region + AK/SK (project looked up) and the SDK's variables alone each list tasks."""
    write_profiles(profiles_file, password_yaml(sandbox))
    monkeypatch.setenv("TASKCTL_PASSWORD", SANDBOX_PASSWORD)
    listed = cli("modelarts", "list", "--limit", "2", "-o", "summary")
    assert listed.exit_code == 0, listed.stderr
    assert len(listed.stdout.splitlines()) == 2 and len(iam_requests(sandbox)) == 1
    monkeypatch.delenv("TASKCTL_PASSWORD")
    write_profiles(profiles_file, profile_yaml(sandbox, f"    access_key: {SANDBOX_ACCESS_KEY}\n"))
    monkeypatch.setenv("TASKCTL_SECRET_KEY", SANDBOX_SECRET_KEY)
    assert cli("modelarts", "list", "--limit", "1", "--jq", ".task_id").stdout.strip()
    monkeypatch.delenv("TASKCTL_SECRET_KEY")
    write_profiles(profiles_file, profile_yaml(sandbox, ""))
    monkeypatch.setenv("HUAWEICLOUD_SDK_AK", SANDBOX_ACCESS_KEY)
    monkeypatch.setenv("HUAWEICLOUD_SDK_SK", SANDBOX_SECRET_KEY)
    env_only = cli("modelarts", "list", "--limit", "1", "--json")
    assert env_only.exit_code == 0, env_only.stderr
