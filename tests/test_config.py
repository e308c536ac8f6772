"""The profiles file: where it is, what a bad one says, which profile a command picks, its permissions."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from support import sandbox_profile_yaml, write_profiles

from taskctl.sandbox import SANDBOX_TOKEN

FILE_TOKEN = "tok-FILE-7f3a9c2e1b5d4a6f8e0c-do-not-print"


def _names(result) -> list[str]:  # type: ignore[no-untyped-def]
    assert result.exit_code == 0, result.stderr
    return [row["name"] for row in json.loads(result.stdout) if not row["builtin"]]


def _one_profile(name: str, endpoint: str = "https://eo.example.com/api") -> str:
    return f"profiles:\n  {name}:\n    provider: eo\n    endpoint: {endpoint}\n"


# --- where the file is -----------------------------------------------------------------------------------


def test_default_location_is_xdg_config_home(cli, profiles_file: Path) -> None:
    write_profiles(profiles_file, _one_profile("from-xdg"))
    assert _names(cli("profile", "list", "--json")) == ["from-xdg"]


@pytest.mark.parametrize("xdg", [None, "", "relative/dir"])
def test_without_a_usable_xdg_config_home_it_is_home_dot_config(cli, isolated_env: Path, monkeypatch,
                                                                 xdg: str | None) -> None:
    if xdg is None:
        monkeypatch.delenv("XDG_CONFIG_HOME")
    else:
        monkeypatch.setenv("XDG_CONFIG_HOME", xdg)
    write_profiles(isolated_env / ".config" / "taskctl" / "profiles.yaml", _one_profile("from-home"))
    assert _names(cli("profile", "list", "--json")) == ["from-home"]


def test_taskctl_config_beats_xdg(cli, profiles_file: Path, tmp_path: Path, monkeypatch) -> None:
    write_profiles(profiles_file, _one_profile("from-xdg"))
    other = write_profiles(tmp_path / "elsewhere.yaml", _one_profile("from-env"))
    monkeypatch.setenv("TASKCTL_CONFIG", str(other))
    assert _names(cli("profile", "list", "--json")) == ["from-env"]


@pytest.mark.parametrize("where", ["before", "after"])
def test_config_option_beats_env_before_or_after_the_subcommand(cli, profiles_file: Path, tmp_path: Path,
                                                                monkeypatch, where: str) -> None:
    write_profiles(profiles_file, _one_profile("from-xdg"))
    monkeypatch.setenv("TASKCTL_CONFIG", str(write_profiles(tmp_path / "env.yaml", _one_profile("from-env"))))
    option = write_profiles(tmp_path / "option.yaml", _one_profile("from-option"))
    args = ["profile", "list", "--json"]
    args = ["--config", str(option), *args] if where == "before" else [*args, "--config", str(option)]
    assert _names(cli(*args)) == ["from-option"]


@pytest.mark.parametrize("where", ["before", "after"])
def test_config_option_selects_the_profile_for_get(cli, sandbox, tmp_path: Path, where: str) -> None:
    path = write_profiles(tmp_path / "p.yaml", sandbox_profile_yaml(sandbox, "mine"))
    args = ["eo", "get", "702", "--json"]
    args = ["--config", str(path), *args] if where == "before" else [*args, "--config", str(path)]
    result = cli(*args)
    assert result.exit_code == 0, result.stderr
    json.loads(result.stdout)
    assert len(sandbox.requests_seen) == 1, "the profile of the --config file was not used"


@pytest.mark.parametrize("how", ["option-before", "option-after", "env"])
def test_explicit_missing_file_is_a_config_error_naming_it(cli, tmp_path: Path, monkeypatch, how: str) -> None:
    missing = tmp_path / "no-such-dir" / "profiles.yaml"
    if how == "env":
        monkeypatch.setenv("TASKCTL_CONFIG", str(missing))
        result = cli("eo", "get", "1")
    elif how == "option-before":
        result = cli("--config", str(missing), "eo", "get", "1")
    else:
        result = cli("eo", "get", "1", "--config", str(missing))
    assert result.exit_code == 6
    assert str(missing) in result.stderr
    assert "does not exist" in result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr


def test_default_missing_file_means_no_profiles(cli, profiles_file: Path) -> None:
    assert not profiles_file.exists()
    assert _names(cli("profile", "list", "--json")) == []
    result = cli("eo", "get", "1")
    assert result.exit_code == 6
    assert "no eo profile" in result.stderr
    assert "--profile sandbox" in result.stderr
    assert result.stdout == ""


def test_default_missing_file_still_allows_the_builtin_sandbox(cli, profiles_file: Path) -> None:
    result = cli("eo", "get", "702", "--profile", "sandbox", "--json")
    assert result.exit_code == 0, result.stderr


def test_empty_file_and_empty_profiles_mean_no_profiles(cli, profiles_file: Path) -> None:
    for text in ("", "# nothing yet\n", "profiles:\n", "profiles: {}\n"):
        write_profiles(profiles_file, text)
        assert _names(cli("profile", "list", "--json")) == [], text


def test_a_directory_as_profiles_file_is_a_config_error(cli, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("TASKCTL_CONFIG", str(tmp_path))
    result = cli("profile", "list")
    assert result.exit_code == 6
    assert str(tmp_path) in result.stderr
    assert "Traceback" not in result.stderr


# --- validation -------------------------------------------------------------------------------------------

GOOD = "profiles:\n  eo-prod:\n    provider: eo\n    endpoint: https://eo.example.com/api\n"

INVALID = {
    "yaml-syntax": ("profiles:\n  eo-prod:\n    provider: eo\n\tendpoint: https://x\n", 4, ["tab"]),
    "bad-indent": ("profiles:\n  eo-prod:\n    provider: eo\n   endpoint: https://x\n", 4, ["line 2"]),
    "unclosed-quote": ('profiles:\n  eo-prod:\n    provider: eo\n    endpoint: "https://x\n', 5,
                       ["quoted scalar", "line 4"]),
    "unknown-key": (GOOD + "    endpiont: https://typo\n", 5, ["profiles -> eo-prod -> endpiont: unknown key",
                                                               "endpoint"]),
    "wrong-type": (GOOD + "    retries: three\n", 5, ["profiles -> eo-prod -> retries: expected a whole number",
                                                       "'three'"]),
    "bool-not-string": (GOOD + "    allow_http: maybe\n", 5, ["profiles -> eo-prod -> allow_http", "true or false"]),
    "bad-provider": ("profiles:\n  eo-prod:\n    provider: s3\n    endpoint: https://x\n", 3,
                     ["profiles -> eo-prod -> provider", "eo, koodrive, modelarts", "'s3'"]),
    "no-provider": ("profiles:\n  eo-prod:\n    endpoint: https://x\n", 2, ["profiles -> eo-prod", "provider"]),
    "missing-endpoint": ("profiles:\n  eo-prod:\n    provider: eo\n", 2, ["profiles -> eo-prod", "endpoint"]),
    "endpoint-not-url": ("profiles:\n  eo-prod:\n    provider: eo\n    endpoint: eo.example.com/api\n", 4,
                         ["profiles -> eo-prod -> endpoint", "https://"]),
    "endpoint-ftp": ("profiles:\n  eo-prod:\n    provider: eo\n    endpoint: ftp://eo.example.com\n", 4,
                     ["profiles -> eo-prod -> endpoint"]),
    "endpoint-space": ("profiles:\n  eo-prod:\n    provider: eo\n    endpoint: 'https://eo.example.com /api'\n", 4,
                       ["profiles -> eo-prod -> endpoint", "spaces"]),
    "endpoint-query": ("profiles:\n  eo-prod:\n    provider: eo\n    endpoint: https://eo.example.com/?a=1\n", 4,
                       ["profiles -> eo-prod -> endpoint", "query"]),
    "endpoint-bad-port": ("profiles:\n  eo-prod:\n    provider: eo\n    endpoint: https://eo.example.com:99999\n",
                          4, ["profiles -> eo-prod -> endpoint", "Port"]),
    "share-id-on-eo": (GOOD + "    share_id: abc\n", 5, ["profiles -> eo-prod -> share_id", "koodrive"]),
    "project-id-on-eo": (GOOD + "    project_id: p\n", 5, ["profiles -> eo-prod -> project_id", "modelarts"]),
    "auth-header-on-koodrive": ("profiles:\n  drive:\n    provider: koodrive\n    endpoint: https://k\n"
                                "    auth_header: X-API-Key\n", 5, ["profiles -> drive -> auth_header", "eo"]),
    "timeout-negative": (GOOD + "    timeout: -1\n", 5, ["profiles -> eo-prod -> timeout", "positive"]),
    "timeout-zero": (GOOD + "    timeout: 0\n", 5, ["profiles -> eo-prod -> timeout", "positive"]),
    "timeout-nan": (GOOD + "    timeout: .nan\n", 5, ["profiles -> eo-prod -> timeout", "positive"]),
    "timeout-string": (GOOD + "    timeout: 10s\n", 5, ["profiles -> eo-prod -> timeout", "'10s'"]),
    "timeout-unknown-part": (GOOD + "    timeout: {connect: 1, overall: 9}\n", 5,
                             ["profiles -> eo-prod -> timeout", "'overall'"]),
    "timeout-mixed-keys": (GOOD + "    timeout: {1: 2, total: 9}\n", 5, ["profiles -> eo-prod -> timeout"]),
    "timeout-bad-part": (GOOD + "    timeout: {read: fast}\n", 5, ["profiles -> eo-prod -> timeout", "positive"]),
    "retries-range": (GOOD + "    retries: 99\n", 5, ["profiles -> eo-prod -> retries", "between 0 and 10"]),
    "top-level-list": ("- eo-prod\n- drive\n", 1, ["mapping", "profiles:"]),
    "top-level-scalar": ("just some text\n", 1, ["mapping", "profiles:"]),
    "profiles-list": ("# my profiles\nprofiles:\n  - eo-prod\n", 2, ["profiles: expected a mapping"]),
    "unknown-top-key": (GOOD + "defaults:\n  provider: eo\n", 5, ["unknown top-level key 'defaults'"]),
    "profile-not-mapping": ("profiles:\n  eo-prod: https://eo.example.com\n", 2,
                            ["profiles -> eo-prod", "mapping"]),
    "duplicate-profile": (GOOD + "  eo-prod:\n    provider: eo\n    endpoint: https://other\n", 5,
                          ["profiles -> eo-prod", "duplicate", "line 2"]),
    "duplicate-key": (GOOD + "    endpoint: https://again\n", 5, ["profiles -> eo-prod -> endpoint", "duplicate"]),
    "colon-in-name": ("profiles:\n  'eo:prod':\n    provider: eo\n    endpoint: https://x\n", 2,
                      ["profiles -> eo:prod", "':'"]),
}


@pytest.mark.parametrize("case", sorted(INVALID))
@pytest.mark.parametrize("command", [("profile", "list"), ("eo", "get", "702")])
def test_invalid_file_names_file_line_and_key_path(cli, profiles_file: Path, case: str,
                                                   command: tuple[str, ...]) -> None:
    text, line, fragments = INVALID[case]
    write_profiles(profiles_file, text)
    result = cli(*command)
    assert result.exit_code == 6, result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    first = result.stderr.splitlines()[0]
    assert first.startswith(f"taskctl: error: {profiles_file}:{line}: "), first
    for fragment in fragments:
        assert fragment in result.stderr, (fragment, result.stderr)
    assert len(result.stderr.splitlines()) <= 3


def test_invalid_file_is_reported_even_with_profile_sandbox(cli, profiles_file: Path) -> None:
    write_profiles(profiles_file, GOOD + "    bogus: 1\n")
    result = cli("eo", "get", "702", "--profile", "sandbox")
    assert result.exit_code == 6
    assert f"{profiles_file}:5: profiles -> eo-prod -> bogus: unknown key" in result.stderr


def test_a_token_of_the_wrong_type_is_not_echoed(cli, profiles_file: Path) -> None:
    write_profiles(profiles_file, GOOD + "    token: 918273645546372819\n")
    result = cli("profile", "list")
    assert result.exit_code == 6
    assert "profiles -> eo-prod -> token: expected a string" in result.stderr
    assert "918273645546372819" not in result.stderr + result.stdout


def test_endpoint_user_info_is_not_echoed(cli, profiles_file: Path) -> None:
    write_profiles(profiles_file, "profiles:\n  eo-prod:\n    provider: eo\n"
                                  "    endpoint: ftp://admin:hunter2-Secret-Pass@eo.example.com\n")
    result = cli("profile", "list")
    assert result.exit_code == 6
    assert "hunter2-Secret-Pass" not in result.stderr
    write_profiles(profiles_file, "profiles:\n  eo-prod:\n    provider: eo\n"
                                  "    endpoint: https://admin:hunter2-Secret-Pass@eo.example.com\n")
    result = cli("profile", "list")
    assert result.exit_code == 6
    assert "user info" in result.stderr
    assert "hunter2-Secret-Pass" not in result.stderr


def test_a_valid_file_with_every_key(cli, profiles_file: Path) -> None:
    write_profiles(profiles_file, """\
profiles:
  eo-prod:
    provider: eo
    endpoint: https://eo.example.com/api/
    auth_header: X-API-Key
    default: true
    allow_http: false
    tls_verify: true
    ca_bundle: /etc/ssl/corp.pem
    timeout: {connect: 2, read: 10.5}
    retries: 0
  drive:
    provider: koodrive
    endpoint: https://intl.myhuaweicloud-koodrive.com
    share_id: 12345678901234567890
    timeout: 7
  ma:
    provider: modelarts
    endpoint: https://modelarts.ap-southeast-1.myhuaweicloud.com
    project_id: "0a1b2c"
    access_key: AKIDEXAMPLE
""")
    result = cli("profile", "list", "--json")
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    assert rows[0] == {"name": "eo-prod", "provider": "eo", "endpoint": "https://eo.example.com/api",
                       "default": True, "builtin": False, "providers": ["eo"]}
    assert [r["provider"] for r in rows] == ["eo", "koodrive", "modelarts", "all"]
    shown = cli("profile", "show", "drive")
    assert shown.exit_code == 0, shown.stderr
    assert "12345678901234567890" in shown.stdout  # a long numeric share id stays exact
    assert "connect 5 s, read 7 s" in shown.stdout


# --- which profile ----------------------------------------------------------------------------------------

WRONG = "tok-WRONG-0b9e8d7c6a5f4e3d2c1b"


def _eo(name: str, endpoint: str, token: str, extra: str = "") -> str:
    text = f"  {name}:\n    provider: eo\n    endpoint: {endpoint}\n    token: {token}\n    retries: 0\n"
    return text + "".join(f"    {line}\n" for line in extra.splitlines() if line)


def _two(sandbox, good: str, bad: str, good_extra: str = "", bad_extra: str = "") -> str:  # type: ignore[no-untyped-def]
    endpoint = sandbox.endpoint("eo")
    return "profiles:\n" + _eo(bad, endpoint, WRONG, bad_extra) + _eo(good, endpoint, SANDBOX_TOKEN, good_extra)


def _chose_good(result) -> bool:  # type: ignore[no-untyped-def]
    """The right token gets 0, the wrong one 4 (refused)."""
    assert result.exit_code in (0, 4), result.stderr
    assert WRONG not in result.stdout + result.stderr
    return result.exit_code == 0


def test_profile_option_wins_over_env_and_default(cli, sandbox, profiles_file: Path, monkeypatch) -> None:
    write_profiles(profiles_file, _two(sandbox, "good", "bad", bad_extra="default: true"))
    monkeypatch.setenv("TASKCTL_PROFILE", "bad")
    assert _chose_good(cli("eo", "get", "702", "--profile", "good"))
    assert _chose_good(cli("eo", "get", "702", "-p", "good"))
    assert not _chose_good(cli("eo", "get", "702", "--profile", "bad"))


def test_env_profile_wins_over_default(cli, sandbox, profiles_file: Path, monkeypatch) -> None:
    write_profiles(profiles_file, _two(sandbox, "good", "bad", bad_extra="default: true"))
    monkeypatch.setenv("TASKCTL_PROFILE", "good")
    assert _chose_good(cli("eo", "get", "702"))


def test_default_true_wins_over_order(cli, sandbox, profiles_file: Path) -> None:
    write_profiles(profiles_file, _two(sandbox, "good", "bad", good_extra="default: true"))
    assert _chose_good(cli("eo", "get", "702"))
    write_profiles(profiles_file, _two(sandbox, "good", "bad", bad_extra="default: true"))
    assert not _chose_good(cli("eo", "get", "702"))


def test_the_only_profile_of_the_provider_is_chosen(cli, sandbox, profiles_file: Path) -> None:
    write_profiles(profiles_file, "profiles:\n  drive:\n    provider: koodrive\n"
                                  "    endpoint: https://drive.example.com\n    default: true\n"
                                  + _eo("good", sandbox.endpoint("eo"), SANDBOX_TOKEN))
    assert _chose_good(cli("eo", "get", "702"))
    assert sandbox.requests_seen[-1].headers.get("Authorization") == SANDBOX_TOKEN


def test_auth_header_of_the_chosen_profile_is_used(cli, sandbox, profiles_file: Path) -> None:
    write_profiles(profiles_file, "profiles:\n" + _eo("k", sandbox.endpoint("eo"), SANDBOX_TOKEN,
                                                      "auth_header: X-API-Key"))
    result = cli("eo", "get", "702", "--json")
    assert result.exit_code == 0, result.stderr
    headers = sandbox.requests_seen[-1].headers
    assert headers.get("X-API-Key") == SANDBOX_TOKEN
    assert "Authorization" not in headers


def test_several_candidates_without_default_is_a_usage_error_listing_them(cli, sandbox, profiles_file: Path) -> None:
    write_profiles(profiles_file, _two(sandbox, "alpha", "beta"))
    result = cli("eo", "get", "702")
    assert result.exit_code == 2
    assert "alpha" in result.stderr and "beta" in result.stderr
    assert "--profile" in result.stderr
    assert not sandbox.requests_seen
    assert result.stdout == ""


def test_several_defaults_is_a_usage_error_listing_them(cli, sandbox, profiles_file: Path) -> None:
    write_profiles(profiles_file, _two(sandbox, "alpha", "beta", "default: true", "default: true"))
    result = cli("eo", "get", "702")
    assert result.exit_code == 2
    assert "alpha" in result.stderr and "beta" in result.stderr
    assert "default" in result.stderr


def test_profile_of_another_provider_is_a_usage_error(cli, profiles_file: Path, monkeypatch) -> None:
    write_profiles(profiles_file, "profiles:\n  drive:\n    provider: koodrive\n    endpoint: https://d.example.com\n")
    result = cli("eo", "get", "702", "--profile", "drive")
    assert result.exit_code == 2
    assert "'drive' is a koodrive profile" in result.stderr
    monkeypatch.setenv("TASKCTL_PROFILE", "drive")
    result = cli("eo", "get", "702")
    assert result.exit_code == 2
    assert "koodrive" in result.stderr


def test_unknown_profile_is_a_usage_error_listing_known_names(cli, sandbox, profiles_file: Path,
                                                              monkeypatch) -> None:
    write_profiles(profiles_file, _two(sandbox, "alpha", "beta"))
    for result in (cli("eo", "get", "702", "--profile", "gamma"),
                   cli("eo", "get", "702", env={"TASKCTL_PROFILE": "gamma"})):
        assert result.exit_code == 2
        assert "unknown profile 'gamma'" in result.stderr
        for name in ("alpha", "beta", "sandbox"):
            assert name in result.stderr
        assert result.stdout == ""


def test_a_file_profile_named_sandbox_overrides_the_builtin(cli, sandbox, profiles_file: Path) -> None:
    write_profiles(profiles_file, "profiles:\n" + _eo("sandbox", sandbox.endpoint("eo"), SANDBOX_TOKEN))
    result = cli("eo", "get", "702", "--profile", "sandbox", "--json")
    assert result.exit_code == 0, result.stderr
    assert len(sandbox.requests_seen) == 1  # the file's endpoint, not a fresh in-process sandbox
    listing = cli("profile", "list")
    assert "(built-in" not in listing.stdout
    # With a wrong token in the file, the built-in's token is not used in its place.
    write_profiles(profiles_file, "profiles:\n" + _eo("sandbox", sandbox.endpoint("eo"), WRONG))
    assert cli("eo", "get", "702", "--profile", "sandbox").exit_code == 4


# --- permissions ------------------------------------------------------------------------------------------


def test_token_in_a_world_readable_file_warns_with_chmod(cli, sandbox, profiles_file: Path) -> None:
    write_profiles(profiles_file, sandbox_profile_yaml(sandbox), mode=0o644)
    for result in (cli("eo", "get", "702", "--json"), cli("profile", "list")):
        assert result.exit_code == 0, result.stderr
        assert f"chmod 600 {profiles_file}" in result.stderr
        assert result.stderr.count("chmod 600") == 1
        assert "chmod" not in result.stdout
    json.loads(cli("eo", "get", "702", "--json").stdout)  # stdout stays pure JSON


def test_token_in_a_group_readable_file_warns(cli, sandbox, profiles_file: Path) -> None:
    write_profiles(profiles_file, sandbox_profile_yaml(sandbox), mode=0o640)
    assert "chmod 600" in cli("profile", "list").stderr


def test_token_in_a_private_file_does_not_warn(cli, sandbox, profiles_file: Path) -> None:
    write_profiles(profiles_file, sandbox_profile_yaml(sandbox), mode=0o600)
    result = cli("eo", "get", "702", "--json")
    assert result.exit_code == 0
    assert result.stderr == ""


def test_readable_file_without_tokens_does_not_warn(cli, profiles_file: Path) -> None:
    write_profiles(profiles_file, GOOD, mode=0o644)
    result = cli("profile", "list")
    assert result.exit_code == 0
    assert "chmod" not in result.stderr
    assert result.stderr == ""


def test_warning_shows_even_when_the_command_then_fails(cli, profiles_file: Path) -> None:
    write_profiles(profiles_file, GOOD + f"    token: {FILE_TOKEN}\n", mode=0o644)
    result = cli("eo", "get", "702", "--profile", "nope")
    assert result.exit_code == 2
    assert "chmod 600" in result.stderr
    assert FILE_TOKEN not in result.stderr + result.stdout


def test_anchors_and_merges_share_keys_between_profiles(cli, profiles_file: Path) -> None:
    write_profiles(profiles_file, """\
profiles:
  eo-prod: &eo
    provider: eo
    endpoint: https://eo.example.com/api
    retries: 1
  eo-keyed:
    <<: *eo
    auth_header: X-API-Key
    retries: 2
""")
    result = cli("profile", "show", "eo-keyed")
    assert result.exit_code == 0, result.stderr
    assert re.search(r"^endpoint\s+https://eo\.example\.com/api\s+profiles\.yaml:4\s*$", result.stdout, re.M)
    assert re.search(r"^retries\s+2\s+profiles\.yaml:9\s*$", result.stdout, re.M)  # its own value wins
    assert re.search(r"^auth_header\s+X-API-Key\s+profiles\.yaml:8\s*$", result.stdout, re.M)


def test_the_characters_refused_in_a_profiles_file_are_exactly_those_yaml_refuses() -> None:
    """YAML 1.1's printable set (tab, LF, CR, x20-x7E, NEL, xA0-xD7FF, xE000-xFFFD, astral): every other code point
    is refused, each of these is accepted (the pattern is the complement written out, for start-up time)."""
    from taskctl.config import _NON_PRINTABLE

    allowed = [(0x09, 0x0A), (0x0D, 0x0D), (0x20, 0x7E), (0x85, 0x85), (0xA0, 0xD7FF), (0xE000, 0xFFFD),
               (0x10000, 0x10FFFF)]
    everything = "".join(map(chr, range(0x110000)))
    refused = {ord(char) for char in _NON_PRINTABLE.findall(everything)}
    assert refused == {code for code in range(0x110000) if not any(lo <= code <= hi for lo, hi in allowed)}
