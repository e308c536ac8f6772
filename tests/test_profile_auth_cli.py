"""`taskctl auth login | logout | status` and `taskctl profile list | show`, as a user sees them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import keyring
import pytest
from support import reset_keyring as _reset_keyring
from support import write_profiles

from taskctl.sandbox import SANDBOX_TOKEN

LOGIN_TOKEN = "tok-LOGIN-a81f3c5e7d9b2046ee4f"
FILE_TOKEN = "tok-FILE-c4e6a8b0d2f41357ff5a"
ENV_TOKEN = "tok-ENV-e9d7c5b3a1f80246aa6b"
SECRET_KEY = "sk-SECRET-b2d4f6a8c0e13579bb7c"
SECRETS = (LOGIN_TOKEN, FILE_TOKEN, ENV_TOKEN, SECRET_KEY)


@pytest.fixture
def no_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    _reset_keyring()


def _assert_no_secret(result) -> None:  # type: ignore[no-untyped-def]
    for secret in SECRETS:
        assert secret not in result.stdout, secret
        assert secret not in result.stderr, secret
    assert "Traceback" not in result.stderr


def _profiles(sandbox=None, *, with_file_token: bool = False) -> str:  # type: ignore[no-untyped-def]
    endpoint = sandbox.endpoint("eo") if sandbox else "https://eo.example.com/api"
    text = f"""\
profiles:
  eo-prod:
    provider: eo
    endpoint: {endpoint}
    retries: 0
  eo-file:
    provider: eo
    endpoint: https://eo-file.example.com
    token: {FILE_TOKEN}
  drive:
    provider: koodrive
    endpoint: https://intl.myhuaweicloud-koodrive.com
    share_id: "share-42"
  ma:
    provider: modelarts
    endpoint: https://modelarts.ap-southeast-1.myhuaweicloud.com
    project_id: "0a1b2c3d"
    access_key: AKIDEXAMPLE
"""
    return text if with_file_token else text.replace(f"    token: {FILE_TOKEN}\n", "")


def _masked(secret: str) -> str:
    return "****" + secret[-4:]


def _row(stdout: str, first: str) -> str:
    """The line of a table that starts with ``first``."""
    for line in stdout.splitlines():
        if line.split() and line.split()[0] == first:
            return line
    raise AssertionError(f"no row {first!r} in:\n{stdout}")


# --- auth login / logout ----------------------------------------------------------------------------------


def test_login_stores_the_token_and_get_then_uses_it(cli, sandbox, profiles_file: Path) -> None:
    write_profiles(profiles_file, _profiles(sandbox))
    assert cli("eo", "get", "702", "--profile", "eo-prod").exit_code == 6  # nothing stored yet
    result = cli("auth", "login", "eo-prod", input=SANDBOX_TOKEN + "\n")
    assert result.exit_code == 0, result.stderr
    assert "stored the token of 'eo-prod'" in result.stderr
    assert keyring.get_password("taskctl", "eo-prod") == SANDBOX_TOKEN
    result = cli("eo", "get", "702", "--profile", "eo-prod", "--json")
    assert result.exit_code == 0, result.stderr
    assert sandbox.requests_seen[-1].headers["Authorization"] == SANDBOX_TOKEN


def test_login_never_echoes_and_strips_the_line_end(cli, profiles_file: Path) -> None:
    write_profiles(profiles_file, _profiles())
    result = cli("auth", "login", "eo-prod", input=f"  {LOGIN_TOKEN}\r\n")
    assert result.exit_code == 0, result.stderr
    assert keyring.get_password("taskctl", "eo-prod") == LOGIN_TOKEN
    assert result.stdout == ""
    _assert_no_secret(result)


def test_login_is_stored_in_the_isolated_keyring_file(cli, profiles_file: Path, isolated_env: Path) -> None:
    write_profiles(profiles_file, _profiles())
    assert cli("auth", "login", "eo-prod", input=LOGIN_TOKEN + "\n").exit_code == 0
    files = list((isolated_env / ".local" / "share").rglob("*.cfg"))
    assert files, "the plaintext test keyring wrote nothing under $XDG_DATA_HOME"
    assert "[taskctl]" in files[0].read_text()
    assert keyring.get_password("taskctl", "eo-prod") == LOGIN_TOKEN


def test_logout_removes_it_and_a_second_logout_says_nothing_stored(cli, profiles_file: Path) -> None:
    write_profiles(profiles_file, _profiles())
    keyring.set_password("taskctl", "eo-prod", LOGIN_TOKEN)
    result = cli("auth", "logout", "eo-prod")
    assert result.exit_code == 0, result.stderr
    assert "removed" in result.stderr
    assert keyring.get_password("taskctl", "eo-prod") is None
    again = cli("auth", "logout", "eo-prod")
    assert again.exit_code == 0
    assert "no token of 'eo-prod' stored in keyrings.alt PlaintextKeyring (a plain file: ~/" in again.stderr
    _assert_no_secret(result)


@pytest.mark.parametrize("typed", ["", "\n", "   \n"])
def test_login_with_empty_input_is_a_usage_error_and_stores_nothing(cli, profiles_file: Path, typed: str) -> None:
    write_profiles(profiles_file, _profiles())
    result = cli("auth", "login", "eo-prod", input=typed)
    assert result.exit_code == 2
    assert "no token given" in result.stderr
    assert keyring.get_password("taskctl", "eo-prod") is None


@pytest.mark.parametrize("command", ["login", "logout"])
def test_unknown_profile_is_a_usage_error(cli, profiles_file: Path, command: str) -> None:
    write_profiles(profiles_file, _profiles())
    result = cli("auth", command, "nope", input=LOGIN_TOKEN + "\n")
    assert result.exit_code == 2
    assert "unknown profile 'nope'" in result.stderr
    assert "eo-prod" in result.stderr
    assert keyring.get_password("taskctl", "nope") is None
    _assert_no_secret(result)


def test_login_for_the_builtin_sandbox_is_a_usage_error(cli) -> None:
    result = cli("auth", "login", "sandbox", input=LOGIN_TOKEN + "\n")
    assert result.exit_code == 2
    assert "sandbox" in result.stderr


def test_login_without_a_keyring_is_a_config_error_with_guidance(cli, profiles_file: Path, no_keyring) -> None:
    write_profiles(profiles_file, _profiles())
    result = cli("auth", "login", "eo-prod", input=LOGIN_TOKEN + "\n")
    assert result.exit_code == 6
    assert "no keyring backend" in result.stderr
    assert "TASKCTL_TOKEN" in result.stderr
    assert "token:" in result.stderr
    assert len(result.stderr.splitlines()) == 2
    _assert_no_secret(result)


def test_logout_without_a_keyring_is_a_config_error(cli, profiles_file: Path, no_keyring) -> None:
    write_profiles(profiles_file, _profiles())
    result = cli("auth", "logout", "eo-prod")
    assert result.exit_code == 6
    assert "keyring" in result.stderr
    assert "Traceback" not in result.stderr


def test_login_of_an_aksk_profile_stores_the_secret_key_under_its_own_user(cli, profiles_file: Path) -> None:
    write_profiles(profiles_file, _profiles())
    result = cli("auth", "login", "ma", input=SECRET_KEY + "\n")
    assert result.exit_code == 0, result.stderr
    assert "secret key" in result.stderr
    assert keyring.get_password("taskctl", "ma:secret_key") == SECRET_KEY
    assert keyring.get_password("taskctl", "ma") is None
    status = cli("auth", "status")
    assert "keyring" in _row(status.stdout, "ma")
    assert _masked(SECRET_KEY) in _row(status.stdout, "ma")
    assert cli("auth", "logout", "ma").exit_code == 0
    assert keyring.get_password("taskctl", "ma:secret_key") is None
    _assert_no_secret(status)


def test_login_warns_when_a_file_token_takes_precedence(cli, profiles_file: Path) -> None:
    write_profiles(profiles_file, _profiles(with_file_token=True))
    result = cli("auth", "login", "eo-file", input=LOGIN_TOKEN + "\n")
    assert result.exit_code == 0
    assert keyring.get_password("taskctl", "eo-file") == LOGIN_TOKEN
    assert "takes precedence" in result.stderr
    _assert_no_secret(result)


def test_login_with_config_after_the_subcommand(cli, tmp_path: Path) -> None:
    path = write_profiles(tmp_path / "team.yaml", _profiles())
    result = cli("auth", "login", "drive", "--config", str(path), input=LOGIN_TOKEN + "\n")
    assert result.exit_code == 0, result.stderr
    assert keyring.get_password("taskctl", "drive") == LOGIN_TOKEN


# --- auth status ------------------------------------------------------------------------------------------


def test_status_lists_every_profile_with_source_and_masked_secret(cli, profiles_file: Path, monkeypatch) -> None:
    write_profiles(profiles_file, _profiles(with_file_token=True))
    keyring.set_password("taskctl", "eo-prod", LOGIN_TOKEN)
    keyring.set_password("taskctl", "drive", ENV_TOKEN[::-1])
    keyring.set_password("taskctl", "ma:secret_key", SECRET_KEY)
    result = cli("auth", "status")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "keyring" in _row(result.stdout, "eo-prod") and _masked(LOGIN_TOKEN) in _row(result.stdout, "eo-prod")
    assert "profiles.yaml:9" in _row(result.stdout, "eo-file")  # the `token:` line
    assert _masked(FILE_TOKEN) in _row(result.stdout, "eo-file")
    assert f"file: {profiles_file}" in result.stdout
    assert "keyring" in _row(result.stdout, "drive")
    assert "secret key" in _row(result.stdout, "ma")
    assert "keyrings.alt.file.PlaintextKeyring" in result.stdout
    _assert_no_secret(result)
    assert ENV_TOKEN[::-1] not in result.stdout


def test_status_shows_env_token_as_the_source(cli, profiles_file: Path, monkeypatch) -> None:
    write_profiles(profiles_file, _profiles(with_file_token=True))
    monkeypatch.setenv("TASKCTL_TOKEN", ENV_TOKEN)
    missing_key = cli("auth", "status")
    assert missing_key.exit_code == 6  # an AK/SK profile never takes $TASKCTL_TOKEN: it signs
    assert "(none)" in _row(missing_key.stdout, "ma")
    monkeypatch.setenv("TASKCTL_SECRET_KEY", ENV_TOKEN[::-1])
    result = cli("auth", "status")
    assert result.exit_code == 0
    for name in ("eo-prod", "eo-file", "drive"):
        assert "env TASKCTL_TOKEN" in _row(result.stdout, name)
        assert _masked(ENV_TOKEN) in _row(result.stdout, name)
    assert "env TASKCTL_SECRET_KEY" in _row(result.stdout, "ma")
    _assert_no_secret(result)


def test_status_exits_6_when_a_profile_has_no_secret(cli, profiles_file: Path) -> None:
    write_profiles(profiles_file, _profiles(with_file_token=True))
    keyring.set_password("taskctl", "eo-prod", LOGIN_TOKEN)
    result = cli("auth", "status")
    assert result.exit_code == 6
    assert "(none)" in _row(result.stdout, "drive")
    assert "taskctl auth login drive" in result.stdout
    assert "(none)" not in _row(result.stdout, "eo-prod")
    _assert_no_secret(result)


def test_status_without_a_keyring_says_so(cli, profiles_file: Path, no_keyring) -> None:
    write_profiles(profiles_file, _profiles(with_file_token=True))
    result = cli("auth", "status")
    assert result.exit_code == 6
    assert "unavailable" in result.stdout
    assert "TASKCTL_TOKEN" in result.stdout
    assert "profiles.yaml:9" in _row(result.stdout, "eo-file")
    _assert_no_secret(result)


def test_status_without_profiles(cli) -> None:
    result = cli("auth", "status")
    assert result.exit_code == 0
    assert "no profiles" in result.stdout


def test_short_secrets_are_fully_masked(cli, profiles_file: Path) -> None:
    write_profiles(profiles_file, _profiles())
    keyring.set_password("taskctl", "eo-prod", "abc12")
    result = cli("auth", "status")
    assert "abc12" not in result.stdout and "c12" not in result.stdout
    assert "****" in _row(result.stdout, "eo-prod")


# --- profile list / show ----------------------------------------------------------------------------------


def test_profile_list_human_includes_the_builtin_sandbox(cli, profiles_file: Path) -> None:
    write_profiles(profiles_file, _profiles(with_file_token=True))
    result = cli("profile", "list")
    assert result.exit_code == 0, result.stderr
    for name, provider in (("eo-prod", "eo"), ("eo-file", "eo"), ("drive", "koodrive"), ("ma", "modelarts")):
        assert provider in _row(result.stdout, name)
    assert "built-in" in _row(result.stdout, "sandbox")
    _assert_no_secret(result)


def test_profile_list_json(cli, profiles_file: Path) -> None:
    write_profiles(profiles_file, _profiles(with_file_token=True).replace("    retries: 0\n", "    default: true\n"))
    result = cli("profile", "list", "--json")
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    assert [r["name"] for r in rows] == ["eo-prod", "eo-file", "drive", "ma", "sandbox"]
    assert rows[0] == {"name": "eo-prod", "provider": "eo", "endpoint": "https://eo.example.com/api",
                       "default": True, "builtin": False, "providers": ["eo"]}
    assert rows[-1] == {"name": "sandbox", "provider": "all", "endpoint": None, "default": False, "builtin": True,
                        "providers": ["eo", "koodrive", "modelarts"]}
    _assert_no_secret(result)


def test_profile_show_json_gives_each_value_its_origin_and_masks_the_secret(cli, profiles_file: Path) -> None:
    write_profiles(profiles_file, _profiles(with_file_token=True))
    result = cli("profile", "show", "eo-file", "--json")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["name"] == "eo-file" and document["file"] == str(profiles_file) and not document["builtin"]
    assert document["values"]["provider"] == {"value": "eo", "from": "profiles.yaml:7"}
    assert document["values"]["timeout"]["value"] == {"connect": 5.0, "read": 30.0, "total": 120.0}
    assert document["secret"]["kind"] == "token" and document["secret"]["set"] is True
    assert document["secret"]["masked"].startswith("*") and document["secret"]["from"].startswith("profiles.yaml:")
    _assert_no_secret(result)


def test_profile_show_json_of_the_builtin_sandbox(cli) -> None:
    document = json.loads(cli("profile", "show", "sandbox", "--json").stdout)
    assert document["builtin"] is True and document["file"] is None
    assert document["values"]["provider"]["value"] == "all" and document["values"]["endpoint"]["value"] is None
    assert document["secret"]["from"] == "built-in"


def test_a_sandbox_profile_in_the_file_is_said_to_replace_the_builtin(cli, profiles_file: Path) -> None:
    write_profiles(profiles_file, "profiles:\n  sandbox:\n    provider: eo\n    endpoint: https://eo.example.com\n")
    result = cli("profile", "list")
    assert result.exit_code == 0
    assert f"the profile 'sandbox' of {profiles_file} replaces the built-in sandbox" in result.stderr
    write_profiles(profiles_file, _profiles())
    assert "replaces" not in cli("profile", "list").stderr


def test_profile_list_without_a_file(cli) -> None:
    result = cli("profile", "list")
    assert result.exit_code == 0
    assert "sandbox" in result.stdout
    assert "no profiles file" in result.stderr
    assert [row["name"] for row in json.loads(cli("profile", "list", "--json").stdout)] == ["sandbox"]


def test_profile_show_gives_each_origin_and_a_masked_token(cli, profiles_file: Path) -> None:
    write_profiles(profiles_file, _profiles(with_file_token=True))
    result = cli("profile", "show", "eo-file")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert re.search(r"^name\s+eo-file\s+profiles\.yaml:6\s*$", out, re.M), out
    assert re.search(r"^provider\s+eo\s+profiles\.yaml:7\s*$", out, re.M)
    assert re.search(r"^endpoint\s+https://eo-file\.example\.com\s+profiles\.yaml:8\s*$", out, re.M)
    assert re.search(r"^retries\s+3\s+default\s*$", out, re.M)
    assert re.search(r"^auth_header\s+Authorization\s+default\s*$", out, re.M)
    assert re.search(rf"^token\s+{re.escape(_masked(FILE_TOKEN))}\s+profiles\.yaml:9\s*$", out, re.M)
    assert f"file: {profiles_file}\n" in out
    _assert_no_secret(result)


def test_profile_show_token_from_keyring_and_env(cli, profiles_file: Path, monkeypatch) -> None:
    write_profiles(profiles_file, _profiles())
    keyring.set_password("taskctl", "drive", LOGIN_TOKEN)
    result = cli("profile", "show", "drive")
    assert re.search(rf"^token\s+{re.escape(_masked(LOGIN_TOKEN))}\s+keyring", result.stdout, re.M), result.stdout
    assert re.search(r"^share_id\s+share-42\s+profiles\.yaml:12", result.stdout, re.M)
    assert "auth_header" not in result.stdout  # eo only
    monkeypatch.setenv("TASKCTL_TOKEN", ENV_TOKEN)
    result = cli("profile", "show", "drive")
    assert re.search(rf"^token\s+{re.escape(_masked(ENV_TOKEN))}\s+env TASKCTL_TOKEN", result.stdout, re.M)
    _assert_no_secret(result)


def test_profile_show_without_a_secret_says_how_to_add_one(cli, profiles_file: Path) -> None:
    write_profiles(profiles_file, _profiles())
    result = cli("profile", "show", "eo-prod")
    assert result.exit_code == 0
    assert re.search(r"^token\s+\(none\)\s+run: taskctl auth login eo-prod", result.stdout, re.M)


def test_profile_show_builtin_sandbox(cli) -> None:
    result = cli("profile", "show", "sandbox")
    assert result.exit_code == 0
    assert "built-in" in _row(result.stdout, "endpoint")
    assert "built-in" in _row(result.stdout, "token")
    assert SANDBOX_TOKEN not in result.stdout


def test_profile_show_unknown_is_a_usage_error_listing_names(cli, profiles_file: Path) -> None:
    write_profiles(profiles_file, _profiles())
    result = cli("profile", "show", "nope")
    assert result.exit_code == 2
    assert "unknown profile 'nope'" in result.stderr
    assert "eo-prod" in result.stderr and "sandbox" in result.stderr
    assert result.stdout == ""


def test_profile_show_with_config_before_the_group(cli, tmp_path: Path) -> None:
    path = write_profiles(tmp_path / "team.yaml", _profiles())
    result = cli("--config", str(path), "profile", "show", "ma")
    assert result.exit_code == 0, result.stderr
    assert re.search(r"^access_key\s+AKIDEXAMPLE", result.stdout, re.M)
    assert re.search(r"^secret_key\s+\(none\)", result.stdout, re.M)


def test_auth_status_of_named_profiles_reports_and_exits_about_them_only(cli, profiles_file: Path) -> None:
    write_profiles(profiles_file, _profiles(with_file_token=True))  # eo-prod, drive and ma have no secret
    only = cli("auth", "status", "eo-file", "sandbox")
    assert only.exit_code == 0, only.stderr
    names = [line.split()[0] for line in only.stdout.splitlines()[1:3]]
    assert names == ["eo-file", "sandbox"] and "eo-prod" not in only.stdout
    assert cli("auth", "status", "eo-file", "eo-prod").exit_code == 6
    assert cli("auth", "status").exit_code == 6
    unknown = cli("auth", "status", "nope")
    assert unknown.exit_code == 2 and "unknown profile 'nope'" in unknown.stderr


def test_auth_status_json(cli, profiles_file: Path) -> None:
    write_profiles(profiles_file, _profiles(with_file_token=True))
    result = cli("auth", "status", "eo-file", "eo-prod", "--json")
    assert result.exit_code == 6
    document = json.loads(result.stdout)
    assert document["file"] == str(profiles_file)
    first, second = document["profiles"]
    assert first["name"] == "eo-file" and first["set"] is True and first["from"] == "profiles.yaml:9"
    assert first["masked"].startswith("*")
    assert second == {"name": "eo-prod", "provider": "eo", "kind": "token", "set": False, "masked": None,
                      "from": None, "remedy": "run: taskctl auth login eo-prod", "session_expires": None}
    assert document["keyring"]["usable"] is True
    _assert_no_secret(result)


@pytest.mark.parametrize("args", [("profile", "list"), ("profile", "show", "eo-file"), ("auth", "status")])
def test_piped_record_tables_have_no_trailing_blanks(cli, profiles_file: Path, args: tuple[str, ...]) -> None:
    write_profiles(profiles_file, _profiles(with_file_token=True))
    result = cli(*args)  # auth status exits 6 here: a profile has no secret yet
    lines = result.stdout.splitlines()
    assert len(lines) > 2 and all(line == line.rstrip() for line in lines), result.stdout
