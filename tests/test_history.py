"""The local history of seen tasks and TAB completion of task ids from it: per provider and profile, capped,
expiring, private, robust to a damaged file, never a request while completing, and light to import."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from support.eo_http import TOKEN, ok
from test_completion import HEAVY, PROBE

from taskctl import history

NOW = 1_800_000_000.0


def env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"XDG_CACHE_HOME": str(tmp_path / "cache"), "HOME": str(tmp_path), **extra}


def test_remembered_tasks_come_back_most_recent_first_per_profile(tmp_path: Path) -> None:
    environ = env(tmp_path)
    history.remember(environ, "eo", "prod", [("1", "one", "running"), ("2", "two", "failed")], now=NOW)
    history.remember(environ, "eo", "qa", [("3", "three", "succeeded")], now=NOW + 5)
    history.remember(environ, "eo", "prod", [("1", "one", "succeeded")], now=NOW + 10)
    history.remember(environ, "modelarts", "prod", [("m", "", "pending")], now=NOW)

    assert [(e.task_id, e.state) for e in history.recent(environ, "eo", "prod", now=NOW + 11)] == [
        ("1", "succeeded"), ("2", "failed")]
    assert [e.task_id for e in history.recent(environ, "eo", None, now=NOW + 11)] == ["1", "3", "2"]
    assert [e.task_id for e in history.recent(environ, "modelarts", now=NOW + 11)] == ["m"]
    assert history.recent(environ, "koodrive", now=NOW) == []


def test_the_file_is_private_capped_and_entries_expire(tmp_path: Path) -> None:
    environ = env(tmp_path)
    many = [(str(n), f"task {n}", "running") for n in range(history.MAX_PER_PROFILE + 50)]
    history.remember(environ, "eo", "prod", many, now=NOW)
    path = tmp_path / "cache" / "taskctl" / "history.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert len(history.recent(environ, "eo", "prod", now=NOW)) == history.MAX_PER_PROFILE
    assert history.recent(environ, "eo", "prod", now=NOW + history.MAX_AGE + 1) == []
    history.remember(environ, "eo", "prod", [("new", "n", "running")], now=NOW + history.MAX_AGE + 1)
    assert len(json.loads(path.read_text())["providers"]["eo"]["prod"]) == 1  # expired ones are dropped


@pytest.mark.parametrize("content", [b"", b"{", b"[1,2]", b'{"version": 2, "providers": {}}',
                                     b'{"version": 1, "providers": {"eo": {"p": [[1, 2, 3, 4], "x"]}}}',
                                     b"\xff\xfe", b"{" * 100_000])
def test_a_damaged_file_is_an_empty_history_and_is_replaced(tmp_path: Path, content: bytes) -> None:
    environ = env(tmp_path)
    path = tmp_path / "cache" / "taskctl" / "history.json"
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    assert history.recent(environ, "eo", now=NOW) == []
    history.remember(environ, "eo", "p", [("7", "seven", "running")], now=NOW)
    assert [e.task_id for e in history.recent(environ, "eo", "p", now=NOW)] == ["7"]


def test_an_unwritable_cache_never_fails_and_the_history_can_be_off(tmp_path: Path) -> None:
    (tmp_path / "cache").write_text("a file where the folder should be")
    history.remember(env(tmp_path), "eo", "p", [("1", "x", "running")], now=NOW)  # no exception
    off = env(tmp_path / "other", TASKCTL_NO_HISTORY="1")
    history.remember(off, "eo", "p", [("1", "x", "running")], now=NOW)
    assert not (tmp_path / "other").exists() and history.recent(off, "eo") == []


def test_names_keep_no_control_characters(tmp_path: Path) -> None:
    environ = env(tmp_path)
    history.remember(environ, "eo", "p", [("1", "a\x1b[31mb\nc\x07" + "x" * 200, "running")], now=NOW)
    [entry] = history.recent(environ, "eo", now=NOW)
    assert entry.name.isprintable() and len(entry.name) == history.MAX_TEXT and entry.name.startswith("a [31mb c ")


# --- seen through the commands ------------------------------------------------------------------------------


def seen_ids(provider: str, profile: str | None = None) -> list[str]:
    return [entry.task_id for entry in history.recent(os.environ, provider, profile)]


def test_get_list_and_watch_remember_what_they_showed(cli) -> None:
    assert cli("eo", "get", "703", "709", "--profile", "sandbox").exit_code == 3
    assert seen_ids("eo", "sandbox") == ["703"]  # not the id that does not exist
    assert cli("eo", "list", "--profile", "sandbox", "-L", "3").exit_code == 0
    assert set(seen_ids("eo")[:3]) == {"759", "758", "757"}
    assert cli("modelarts", "watch", "task-failed", "task-pending", "--profile", "sandbox", "--timeout", "0",
               "--json").exit_code == 7
    assert set(seen_ids("modelarts", "sandbox")) == {"task-failed", "task-pending"}


def test_a_name_echoing_the_token_is_stored_redacted(cli, serve, use) -> None:
    server = serve(ok(5, taskName=f"name {TOKEN}"))
    use(server.endpoint)
    assert cli("eo", "get", "5").exit_code == 0
    path = Path(os.environ["XDG_CACHE_HOME"]) / "taskctl" / "history.json"
    assert TOKEN not in path.read_text() and "name ***" in path.read_text()


# --- completion ------------------------------------------------------------------------------------------------


def complete(words: str, shell: str = "zsh") -> tuple[str, list[str]]:
    """What TAB offers after ``words`` (zsh: with descriptions), and the modules that were imported."""
    if shell == "zsh":
        extra = {"_TASKCTL_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": words}
    else:
        extra = {"_TASKCTL_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": str(len(words.split()))}
    environ = {**os.environ, **extra}
    proc = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, env=environ, timeout=60)
    marker = [line for line in proc.stderr.splitlines() if line.startswith("MODULES=")]
    assert marker, proc.stderr
    return proc.stdout, json.loads(marker[0].removeprefix("MODULES="))


def test_tab_completes_recent_task_ids_without_a_request_or_heavy_imports(serve, use) -> None:
    server = serve(ok(1))
    use(server.endpoint)
    history.remember(os.environ, "eo", "test", [("702", "band merging", "running"), ("7031", "ndvi", "failed")])
    history.remember(os.environ, "eo", "other", [("7777", "elsewhere", "succeeded")])
    out, _ = complete("taskctl eo watch 70")
    assert '"702":"band merging (running)"' in out and '"7031":"ndvi (failed)"' in out and "7777" not in out
    out, _ = complete("taskctl eo get 702 ")  # an id already given is not offered again
    assert '"702"' not in out and '"7031"' in out and '"7777"' in out
    out, _ = complete("taskctl eo get --profile test ")
    assert '"7031"' in out and '"7777"' not in out
    out, modules = complete("taskctl modelarts get ")
    assert "702" not in out
    assert not [m for m in modules if m.split(".")[0] in HEAVY or m in HEAVY]  # descriptions without rich
    out, modules = complete("taskctl eo get ", shell="bash")
    assert sorted(out.split()) == ["702", "7031", "7777"]
    assert not [m for m in modules if m.split(".")[0] in HEAVY or m in HEAVY]
    assert server.requests == []
