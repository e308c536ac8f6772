"""`profile add` and `profile example`: a profiles file started from the command line, no repository needed."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from support import reset_keyring, write_profiles

from taskctl.config import parse_profiles
from taskctl.sandbox import SANDBOX_TOKEN

ROOT = Path(__file__).resolve().parents[1]


def test_example_prints_the_documented_file_which_loads(cli) -> None:
    result = cli("profile", "example")
    assert result.exit_code == 0
    assert result.stdout == (ROOT / "profiles.example.yaml").read_text()
    assert "eo-prod" in parse_profiles(result.stdout, "example")


def test_add_writes_a_private_file_and_the_token_in_the_keyring_then_get_works(cli, sandbox,
                                                                                profiles_file: Path) -> None:
    result = cli("profile", "add", "mine", "--provider", "eo", "--endpoint", sandbox.endpoint("eo"), "--default",
                 input=SANDBOX_TOKEN + "\n")
    assert result.exit_code == 0, result.stderr
    assert f"added profile 'mine' (eo) to {profiles_file}" in result.stderr
    assert "stored the token of 'mine' in" in result.stderr and SANDBOX_TOKEN not in result.stderr + result.stdout
    assert stat.S_IMODE(profiles_file.stat().st_mode) == 0o600
    assert SANDBOX_TOKEN not in profiles_file.read_text()
    assert cli("profile", "show", "mine", "--json").exit_code == 0
    fetched = cli("eo", "get", "702", "--jq", ".id")  # the only eo profile, marked default, its token in the keyring
    assert (fetched.exit_code, fetched.stdout) == (0, "702\n"), fetched.stderr


def test_add_appends_to_an_existing_file_keeping_it_byte_for_byte(cli, profiles_file: Path) -> None:
    original = "# my profiles\nprofiles:\n  old:   # keep me\n    provider: eo\n    endpoint: https://old.example\n"
    write_profiles(profiles_file, original)
    result = cli("profile", "add", "ma", "--provider", "modelarts", "--endpoint", "https://ma.example.com",
                 "--set", "project_id=0a1b", "--set", "retries=2", "--no-token")
    assert result.exit_code == 0, result.stderr
    text = profiles_file.read_text()
    assert text.startswith(original)
    profiles = parse_profiles(text, "f")
    assert list(profiles) == ["old", "ma"]
    assert profiles["ma"].settings["project_id"] == "0a1b" and profiles["ma"].retries == 2


@pytest.mark.parametrize(("args", "words"), [
    (["old", "--provider", "eo", "--endpoint", "https://x.example"], "profile 'old' already exists in"),
    (["new", "--provider", "eo", "--endpoint", "ftp://x.example"], "endpoint: expected an http(s) URL"),
    (["new", "--provider", "nope", "--endpoint", "https://x.example"], "unknown provider 'nope'"),
    (["sandbox", "--provider", "eo", "--endpoint", "https://x.example"], "is the built-in sandbox profile"),
    (["new", "--provider", "eo", "--endpoint", "https://x.example", "--set", "retries"], "expected KEY=VALUE"),
    (["new", "--provider", "eo", "--endpoint", "https://x.example", "--set", "colour=red"], "colour"),
    (["my prod", "--provider", "eo", "--endpoint", "https://x.example"], 'cannot add profile "my prod": a name is'),
    (["-x", "--provider", "eo", "--endpoint", "https://x.example"], "no such option"),
    (["a:password", "--provider", "eo", "--endpoint", "https://x.example"], "letters, digits"),
    (["a\x1b[2Jb", "--provider", "eo", "--endpoint", "https://x.example"], '"a\\u001b[2Jb"'),
])
def test_add_refuses_what_the_loader_would_and_leaves_the_file_alone(cli, profiles_file: Path, args: list[str],
                                                                     words: str) -> None:
    original = "profiles:\n  old:\n    provider: eo\n    endpoint: https://old.example\n"
    write_profiles(profiles_file, original)
    result = cli("profile", "add", *args, "--no-token")
    assert result.exit_code == 2 and words in result.stderr
    assert profiles_file.read_text() == original


def test_add_to_a_file_it_cannot_extend_safely_says_what_to_paste(cli, profiles_file: Path) -> None:
    write_profiles(profiles_file, "profiles: {old: {provider: eo, endpoint: 'https://old.example'}}\n")
    result = cli("profile", "add", "new", "--provider", "eo", "--endpoint", "https://new.example", "--no-token")
    assert result.exit_code == 6
    assert "cannot add to" in result.stderr and "endpoint: \"https://new.example\"" in result.stderr
    assert "new" not in profiles_file.read_text()


def test_add_without_a_token_says_how_to_store_one_later(cli, profiles_file: Path) -> None:
    result = cli("profile", "add", "p", "--provider", "koodrive", "--endpoint", "https://k.example", input="")
    assert result.exit_code == 0
    assert "no token stored; later: taskctl auth login p" in result.stderr


def test_add_without_a_keyring_writes_the_profile_and_says_what_to_do(cli, profiles_file: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    reset_keyring()
    result = cli("profile", "add", "p", "--provider", "eo", "--endpoint", "https://e.example", input="tok-1234\n")
    assert result.exit_code == 0
    assert "p" in parse_profiles(profiles_file.read_text(), "f")
    assert "warning: cannot store the token of 'p'" in result.stderr and "TASKCTL_TOKEN" in result.stderr
    assert "tok-1234" not in result.stderr


def test_a_token_given_with_set_is_written_with_a_warning_and_not_asked_again(cli, profiles_file: Path) -> None:
    result = cli("profile", "add", "p", "--provider", "eo", "--endpoint", "https://e.example", "--set",
                 "token=tok-in-the-file-5678", input="should-not-be-read\n")
    assert result.exit_code == 0, result.stderr
    assert parse_profiles(profiles_file.read_text(), "f")["p"].token == "tok-in-the-file-5678"
    assert "warning: the token of 'p' is now in" in result.stderr and "taskctl auth login p" in result.stderr
    assert "tok-in-the-file-5678" not in result.stderr and "Token for p" not in result.stderr + result.stdout


@pytest.mark.parametrize("name", ["eo-prod", "team.eo_2", "ops@eu", "7days"])
def test_names_a_shell_takes_unquoted_are_added(cli, profiles_file: Path, name: str) -> None:
    result = cli("profile", "add", name, "--provider", "eo", "--endpoint", "https://e.example", "--no-token")
    assert result.exit_code == 0, result.stderr
    assert name in parse_profiles(profiles_file.read_text(), "f")
