"""Command groups build only the command a run looks up, and list exactly what Typer's whole group lists."""

from __future__ import annotations

import pytest
import typer
import typer.main
from typer.core import TyperGroup

from taskctl import providers
from taskctl.cli import auth, profile
from taskctl.cli.lazy import declare
from taskctl.cli.provider import provider_app


def _apps() -> dict[str, typer.Typer]:
    return {**{spec.name: provider_app(spec) for spec in providers.specs()}, "profile": profile.app,
            "auth": auth.app}


APPS = _apps()


def _help(group: TyperGroup, name: str) -> str:
    with typer.Context(group, info_name=f"taskctl {name}", terminal_width=80) as ctx:
        return group.get_help(ctx)


def _listed(group: TyperGroup, name: str, incomplete: str) -> list[tuple[str, str | None]]:
    with typer.Context(group, info_name=name) as ctx:
        return [(item.value, item.help) for item in group.shell_complete(ctx, incomplete)]


@pytest.mark.parametrize("name", APPS)
def test_help_and_tab_list_what_the_whole_group_lists(name: str) -> None:
    lazy, whole = declare(APPS[name]), typer.main.get_group(APPS[name])
    assert _help(lazy, name) == _help(whole, name)
    assert _listed(lazy, name, "") == _listed(whole, name, "")
    assert _listed(lazy, name, "g") == _listed(whole, name, "g")
    assert lazy.commands == {}  # listing built nothing


@pytest.mark.parametrize("name", [spec.name for spec in providers.specs()])
def test_running_a_command_builds_that_command_only(name: str) -> None:
    group = declare(APPS[name])
    with typer.Context(group, info_name=name) as ctx:
        _cmd_name, command, rest = group.resolve_command(ctx, ["get", "1"])
    assert command is not None and command.name == "get" and rest == ["1"]
    assert list(group.commands) == ["get"]
    whole = typer.main.get_group(APPS[name]).commands["get"]
    assert [p.name for p in command.params] == [p.name for p in whole.params]


def test_a_hidden_command_stays_out_of_tab_and_help() -> None:
    hidden = [name for name, group in ((n, typer.main.get_group(a)) for n, a in APPS.items())
              if any(c.hidden for c in group.commands.values())]
    assert hidden, "no group has a hidden command: this test checks nothing"
    for name in hidden:
        lazy = declare(APPS[name])
        shown = {value for value, _help in _listed(lazy, name, "")}
        assert not [c for c in shown if typer.main.get_group(APPS[name]).commands[c].hidden]


def test_a_typo_still_gets_a_suggestion(cli) -> None:
    result = cli("eo", "gte", "702")
    assert result.exit_code == 2
    assert result.stderr.startswith("taskctl: error: no such command 'gte'. Did you mean 'get'?\n")


def test_declaring_leaves_the_typer_app_as_it_was() -> None:
    app = APPS["profile"]
    before, cls = list(app.registered_commands), app.info.cls
    declare(app)
    assert app.registered_commands == before and app.info.cls is cls
    assert typer.main.get_group(app).commands  # a whole build of it still has every command
