"""The parsed profiles file in the user's cache: used only for the very bytes it was made from, private, and
never a reason for a command to fail."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from support import SANDBOX_TOKEN, sandbox_profile_yaml, write_profiles
from support.probe import probe


def _cache_files(home: Path) -> list[Path]:
    folder = home / ".cache" / "taskctl" / "profiles"
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


def _names(result) -> list[str]:
    assert result.exit_code == 0, result.stderr
    return [profile["name"] for profile in json.loads(result.stdout)]


def test_the_second_command_takes_the_parse_from_the_cache_and_imports_no_yaml(
        sandbox, profiles_file: Path, isolated_env: Path) -> None:
    write_profiles(profiles_file, sandbox_profile_yaml(sandbox))
    first, second = probe(["eo", "get", "702", "--json"]), probe(["eo", "get", "702", "--json"])
    assert first.exit_code == second.exit_code == "0"
    assert json.loads(second.stdout)["id"] == 702 and second.stdout == first.stdout
    assert "yaml" in first.modules
    assert "yaml" not in second.modules
    [cache] = _cache_files(isolated_env)
    assert cache.stat().st_mode & 0o777 == 0o600
    assert cache.parent.stat().st_mode & 0o777 == 0o700
    assert (isolated_env / ".cache" / "taskctl").stat().st_mode & 0o777 == 0o700


def test_any_change_to_the_file_is_read_even_with_the_same_size_and_time(cli, profiles_file: Path) -> None:
    write_profiles(profiles_file, "profiles:\n  aaa:\n    provider: eo\n    endpoint: https://eo.example.com\n")
    assert _names(cli("profile", "list", "--json")) == ["aaa", "sandbox"]
    stamp = profiles_file.stat()
    write_profiles(profiles_file, "profiles:\n  bbb:\n    provider: eo\n    endpoint: https://eo.example.com\n")
    os.utime(profiles_file, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    assert _names(cli("profile", "list", "--json")) == ["bbb", "sandbox"]


@pytest.mark.parametrize("damage", [
    b"", b"\x00\xff garbage", b"[]", b'{"format": 1}', b"null",
    b'{"format":1,"taskctl":"0.1.0","digest":"0","line":1,"tree":null}',
])
def test_a_damaged_cache_is_ignored_and_made_anew(cli, profiles_file: Path, isolated_env: Path,
                                                 damage: bytes) -> None:
    write_profiles(profiles_file, "profiles:\n  aaa:\n    provider: eo\n    endpoint: https://eo.example.com\n")
    assert _names(cli("profile", "list", "--json")) == ["aaa", "sandbox"]
    [cache] = _cache_files(isolated_env)
    cache.write_bytes(damage)
    assert _names(cli("profile", "list", "--json")) == ["aaa", "sandbox"]
    assert json.loads(cache.read_bytes())["format"] == 1


def _tamper(cache: Path) -> None:
    """The cached tree says another endpoint than the file (digest kept): only taskctl's own file may say so."""
    document = json.loads(cache.read_bytes())
    cache.write_text(json.dumps(document).replace("https://eo.example.com", "https://elsewhere.example"))


@pytest.mark.parametrize("loosen", ["file", "folder"])
def test_a_cache_that_others_may_write_is_not_believed(cli, profiles_file: Path, isolated_env: Path,
                                                       loosen: str) -> None:
    write_profiles(profiles_file, "profiles:\n  aaa:\n    provider: eo\n    endpoint: https://eo.example.com\n")
    cli("profile", "list", "--json")
    [cache] = _cache_files(isolated_env)
    _tamper(cache)
    assert "elsewhere" in cli("profile", "show", "aaa").stdout  # the cache is taskctl's own: believed
    _tamper(cache)
    (cache if loosen == "file" else cache.parent).chmod(0o666 if loosen == "file" else 0o777)
    result = cli("profile", "show", "aaa")
    assert result.exit_code == 0
    assert "eo.example.com" in result.stdout and "elsewhere" not in result.stdout


def test_an_invalid_file_is_never_cached_and_fails_every_time(cli, profiles_file: Path, isolated_env: Path) -> None:
    write_profiles(profiles_file, "profiles:\n  aaa:\n    provider: eo\n    endpoint: ftp://eo.example.com\n")
    for _ in range(2):
        result = cli("profile", "list", "--json")
        assert result.exit_code == 6
        assert "profiles.yaml:4: profiles -> aaa -> endpoint" in result.stderr
    assert _cache_files(isolated_env) == []


def test_the_cache_holds_no_secret_the_file_does_not(cli, sandbox, profiles_file: Path, isolated_env: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    yaml = sandbox_profile_yaml(sandbox).replace(f"    token: {SANDBOX_TOKEN}\n", "")
    write_profiles(profiles_file, yaml)
    monkeypatch.setenv("TASKCTL_TOKEN", SANDBOX_TOKEN)
    assert cli("eo", "get", "702", "--json").exit_code == 0
    [cache] = _cache_files(isolated_env)
    assert SANDBOX_TOKEN.encode() not in cache.read_bytes()


def test_a_cache_folder_that_cannot_be_made_changes_nothing(cli, profiles_file: Path, isolated_env: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = isolated_env / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    write_profiles(profiles_file, "profiles:\n  aaa:\n    provider: eo\n    endpoint: https://eo.example.com\n")
    for _ in range(2):
        assert _names(cli("profile", "list", "--json")) == ["aaa", "sandbox"]
