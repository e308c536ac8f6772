"""A command group whose commands are built only when one is looked up.

Typer reads every command function's parameters when it builds a group (about 1 ms a command, the provider groups
have five): a run needs only the command it runs. Listing the commands (`--help`, TAB) needs only their names and
help, which stand-ins give without building anything.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer
import typer.main
from typer.core import TyperCommand, TyperGroup
from typer.models import CommandInfo


class OnLookup(TyperGroup):
    """A group whose subcommands (``lazy_names``) are built the first time one is looked up (``get_command``).
    Listing them (`--help`, TAB) shows stand-ins with their names and help, and builds nothing; a name that is
    none of them (a typo) builds them all, so that "Did you mean ...?" compares it with every name."""

    def lazy_names(self) -> list[str]:
        raise NotImplementedError

    def stand_in(self, name: str) -> Any:
        raise NotImplementedError

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        if args and args[0] not in self.commands and args[0] not in self.lazy_names():
            for name in self.lazy_names():
                self.get_command(ctx, name)
        return super().resolve_command(ctx, args)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        with self._stand_ins():
            super().format_commands(ctx, formatter)

    def shell_complete(self, ctx: Any, incomplete: str) -> Any:
        with self._stand_ins():
            return super().shell_complete(ctx, incomplete)

    @contextmanager
    def _stand_ins(self) -> Iterator[None]:
        """While the subcommands are listed: each one not built yet is a stand-in."""
        built = self.commands
        self.commands = {**{name: self.stand_in(name) for name in self.lazy_names() if name not in built}, **built}
        try:
            yield
        finally:
            self.commands = built


class LazyCommands(OnLookup):
    """A group declared by ``declare``: ``pending`` holds each command's declaration, in the order Typer lists them."""

    pending: dict[str, CommandInfo]
    source: typer.Typer

    def lazy_names(self) -> list[str]:
        return list(self.pending)

    def list_commands(self, ctx: Any) -> list[str]:
        return list(self.pending)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in self.commands and cmd_name in self.pending:
            self.add_command(typer.main.get_command_from_info(
                self.pending[cmd_name], pretty_exceptions_short=self.source.pretty_exceptions_short,
                rich_markup_mode=self.source.rich_markup_mode))
        return super().get_command(ctx, cmd_name)

    def stand_in(self, name: str) -> TyperCommand:
        """What a listing shows of a command: its name, help and visibility."""
        info = self.pending[name]
        text = inspect.cleandoc(info.help) if info.help is not None else inspect.getdoc(info.callback)
        return TyperCommand(name=name, help=text, short_help=info.short_help, hidden=info.hidden,
                            deprecated=info.deprecated)


def declare(app: typer.Typer) -> LazyCommands:
    """``app`` as a click group whose commands are built on first lookup (``app`` itself is left as it is)."""
    shell = copy.copy(app)
    shell.registered_commands = []
    shell.info = copy.copy(app.info)
    shell.info.cls = LazyCommands
    group = typer.main.get_group(shell)
    assert isinstance(group, LazyCommands)
    group.pending = {_name(info): info for info in app.registered_commands}
    group.source = app
    return group


def _name(info: CommandInfo) -> str:
    return info.name or typer.main.get_command_name(info.callback.__name__)  # type: ignore[union-attr]
