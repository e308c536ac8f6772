"""Shell completion: the scripts in completions/ are current, TAB completes profiles, and stays light."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from support import write_profiles

ROOT = Path(__file__).resolve().parents[1]
SHELLS = ("bash", "zsh", "fish")
HEAVY = ("requests", "urllib3", "rich", "yaml", "keyring", "concurrent.futures", "jq")

PROBE = """
import json, sys
from taskctl.cli.app import main
try:
    main()
except SystemExit:
    pass
sys.stderr.write("MODULES=" + json.dumps(sorted(sys.modules)) + "\\n")
"""


@pytest.mark.parametrize("shell", SHELLS)
def test_completion_scripts_are_current(cli, shell: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Regenerate with: TASKCTL_UPDATE_COMPLETIONS=1 python -m pytest tests/test_completion.py"""
    # Without this, typer detects the running shell and ignores the SHELL argument.
    monkeypatch.setenv("_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION", "1")
    result = cli("--show-completion", shell)
    assert result.exit_code == 0
    path = ROOT / "completions" / f"taskctl.{shell}"
    if os.environ.get("TASKCTL_UPDATE_COMPLETIONS"):
        path.write_text(result.stdout)
    assert path.read_text() == result.stdout, f"{path} is stale: regenerate it (see this test's docstring)"
    assert {"bash": "complete -o default -F", "zsh": "#compdef taskctl", "fish": "complete --command taskctl"}[
        shell] in result.stdout


def _run(args: list[str], env: dict[str, str]) -> tuple[str, list[str]]:
    proc = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=60)
    marker = [line for line in proc.stderr.splitlines() if line.startswith("MODULES=")]
    assert marker, proc.stderr
    return proc.stdout, json.loads(marker[0].removeprefix("MODULES="))


def _complete(words: str) -> dict[str, str]:
    return {"_TASKCTL_COMPLETE": "complete_bash", "COMP_WORDS": words,
            "COMP_CWORD": str(len(words.split()) - (0 if words.endswith(" ") else 1))}


def test_tab_completes_commands_without_heavy_imports() -> None:
    out, modules = _run([], _complete("taskctl e"))
    assert out.split() == ["eo"]
    assert not [m for m in modules if m.split(".")[0] in HEAVY or m in HEAVY]


def test_tab_completes_profile_names_of_the_provider(profiles_file: Path) -> None:
    write_profiles(profiles_file, "profiles:\n"
                   "  eo-prod:\n    provider: eo\n    endpoint: https://eo.example.com\n"
                   "  eo-qa:\n    provider: eo\n    endpoint: https://qa.eo.example.com\n"
                   "  drive:\n    provider: koodrive\n    endpoint: https://intl.myhuaweicloud-koodrive.com\n")
    out, modules = _run([], _complete("taskctl eo get 702 --profile "))
    assert sorted(out.split()) == ["eo-prod", "eo-qa", "sandbox"]
    out, _modules = _run([], _complete("taskctl eo get 702 --profile eo-q"))
    assert out.split() == ["eo-qa"]
    out, _modules = _run([], _complete("taskctl auth login "))
    assert sorted(out.split()) == ["drive", "eo-prod", "eo-qa"]  # no secret to store for the built-in sandbox
    # Profile names need the YAML parser, and nothing else heavy.
    assert not [m for m in modules if m.split(".")[0] in ("requests", "urllib3", "rich", "keyring")]


@pytest.mark.parametrize("args", [["--help"], ["eo", "get", "--help"], ["--version"]])
def test_help_and_version_do_not_import_heavy_modules(args: list[str]) -> None:
    out, modules = _run(args, {})
    assert "taskctl" in out
    assert not [m for m in modules if m.split(".")[0] in HEAVY or m in HEAVY]


GROUP_MODULES = {"taskctl.cli.provider", "taskctl.cli.profile", "taskctl.cli.auth"}


@pytest.mark.parametrize("args, env, declared", [
    (["eo", "get", "--help"], {}, {"taskctl.cli.provider"}),
    ([], _complete("taskctl eo g"), {"taskctl.cli.provider"}),
    (["--help"], {}, set()),
    ([], _complete("taskctl "), set()),
])
def test_only_the_group_used_is_declared(args: list[str], env: dict[str, str], declared: set[str]) -> None:
    """The root declares a command group when it is looked up (cli.app.LazyGroup): a command of one provider
    neither imports nor builds the profile and auth groups, and listing the groups declares none of them."""
    out, modules = _run(args, env)
    assert out.strip()
    assert GROUP_MODULES & set(modules) == declared


def test_a_mistyped_command_is_still_matched_against_every_group() -> None:
    proc = subprocess.run([sys.executable, "-c", PROBE, "prfile"], capture_output=True, text=True, timeout=60)
    assert "taskctl: error: no such command 'prfile'. Did you mean 'profile'?" in proc.stderr


def _complete_in(shell: str, words: str) -> dict[str, str]:
    return {"_TASKCTL_COMPLETE": f"complete_{shell}", "_TYPER_COMPLETE_ARGS": words,
            "_TYPER_COMPLETE_FISH_ACTION": "get-args",  # PowerShell names the word being completed apart
            "_TYPER_COMPLETE_WORD_TO_COMPLETE": "" if words.endswith(" ") else words.split()[-1]}


@pytest.mark.parametrize("shell", ["zsh", "fish", "powershell"])
def test_tab_with_descriptions_stays_light_and_one_line_per_candidate(shell: str) -> None:
    """Typer strips rich markup from each description through rich: an import of rich on every TAB, and long
    descriptions wrapped at 80 columns into lines the shell takes for more candidates (cli/shells.py)."""
    out, modules = _run([], _complete_in(shell, "taskctl eo get --"))
    assert not [m for m in modules if m.split(".")[0] in HEAVY or m in HEAVY]
    lines = out.splitlines()
    profile = [line for line in lines if "--profile" in line]
    assert len(profile) == 1 and "'sandbox' runs the bundled sandbox." in profile[0].replace("''", "'")
    assert all(line.startswith(("--", '"--', "_arguments", "-")) for line in lines if line), lines
    out, _modules = _run([], _complete_in(shell, "taskctl e"))
    assert "Earth-observation imagery processing tasks" in out


def test_a_task_name_with_brackets_is_described_as_it_is(tmp_path: Path) -> None:
    from taskctl import history

    environ = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    history.remember(environ, "eo", "sandbox", [("702", "[bold]merge[/bold] :smile:", "running")])
    out, _modules = _run([], {"XDG_CACHE_HOME": str(tmp_path), **_complete_in("zsh", "taskctl eo get ")})
    assert '"702":"[bold]merge[/bold] \\\\:smile\\\\: (running)"' in out
