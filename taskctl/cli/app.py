"""The root command: global options, the command groups, and the console-script entry point."""

from __future__ import annotations

import gc
import os
import signal
import sys
from collections.abc import Callable
from typing import Any, NamedTuple, NoReturn

import typer
from typer.core import TyperGroup

from taskctl import __version__, providers
from taskctl.cli import sandbox
from taskctl.cli.boundary import _interrupted, new_context
from taskctl.cli.lazy import OnLookup, declare
from taskctl.cli.options import ConfigOpt, DebugOpt, ProfileOpt
from taskctl.cli.usage import plain_usage_errors
from taskctl.output_streams import settle, standard_stream


class Group(NamedTuple):
    """A command group of the root: its one-line help, and how to declare it (import its module, build it)."""

    help: str
    build: Callable[[], typer.Typer]


class LazyGroup(OnLookup):
    """The root group: a command group is declared (its module imported, its click group built) the first time
    it is looked up, so `taskctl PROVIDER get` builds neither `profile`, `auth` nor the other providers (about 10 ms
    of Typer's work per run), and its own commands are built as they are looked up (``cli.lazy``). Listing the
    groups (`--help`, TAB after `taskctl`) needs only their names and help: stand-ins give those without declaring
    anything."""

    groups: dict[str, Group] = {}  # noqa: RUF012 - set once per app, on the subclass build_app makes

    def lazy_names(self) -> list[str]:
        return list(self.groups)

    def stand_in(self, name: str) -> TyperGroup:
        return TyperGroup(name=name, help=self.groups[name].help)

    def list_commands(self, ctx: Any) -> list[str]:
        # As Typer lists them: the root's own commands (sandbox), then the groups.
        return [*(name for name in super().list_commands(ctx) if name not in self.groups), *self.groups]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in self.commands and cmd_name in self.groups:
            group = declare(self.groups[cmd_name].build())
            group.name, group.help = cmd_name, self.groups[cmd_name].help
            self.add_command(group)
        return super().get_command(ctx, cmd_name)

    def make_context(self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any) -> Any:
        with plain_usage_errors():
            return super().make_context(info_name, args, parent, **extra)

    def invoke(self, ctx: Any) -> Any:
        with plain_usage_errors():
            return super().invoke(ctx)

    def _main_shell_completion(self, ctx_args: Any, prog_name: str, complete_var: str | None = None) -> None:
        from taskctl.cli import shells

        shells.register()
        super()._main_shell_completion(ctx_args, prog_name, complete_var)


def command_groups() -> dict[str, Group]:
    """The command groups in the order `--help` lists them: one per registered provider, then profile and auth."""

    def provider_group(name: str) -> Callable[[], typer.Typer]:
        def build() -> typer.Typer:
            from taskctl.cli.provider import provider_app

            return provider_app(providers.get(name))

        return build

    def profile_group() -> typer.Typer:
        from taskctl.cli import profile

        return profile.app

    def auth_group() -> typer.Typer:
        from taskctl.cli import auth

        return auth.app

    return {**{spec.name: Group(spec.summary, provider_group(spec.name)) for spec in providers.specs()},
            "profile": Group("List, inspect and add profiles.", profile_group),
            "auth": Group("Store, remove and check the secrets of profiles (in the keyring).", auth_group)}


def build_app() -> typer.Typer:
    """The root command: one group per registered provider, then profile, auth and sandbox (groups built lazily)."""
    first = providers.specs()[0]
    root_app = typer.Typer(
        name="taskctl",
        help=f"Inspect long-running processing tasks on cloud services. Try: {first.help.example}",
        no_args_is_help=True,
        pretty_exceptions_enable=False,  # never a rich traceback with locals (they would hold secrets)
        context_settings={"help_option_names": ["-h", "--help"]},
        rich_markup_mode=None,
        cls=type("TaskctlGroup", (LazyGroup,), {"groups": command_groups()}),
    )
    root_app.command("sandbox")(sandbox.sandbox)
    root_app.callback()(root)
    return root_app


def _version(value: bool) -> None:
    if value:
        typer.echo(f"taskctl {__version__}")
        raise typer.Exit()


def root(
    ctx: typer.Context,
    config: ConfigOpt = None,
    profile: ProfileOpt = None,
    debug: DebugOpt = False,
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Show the version and exit."),
) -> None:
    new_context(ctx, config, debug, profile)


app = build_app()


def main() -> None:
    """Console-script entry point."""
    # `| head` may close stdout (or `2>&1 | head` stderr) at any moment, `>&-` may have closed it already:
    # from here on that is silence, and the exit code stays the command's own.
    sys.stdout = standard_stream(sys.stdout, 1)
    sys.stderr = standard_stream(sys.stderr, 2)
    # What start-up imported lives until exit: out of the collector's sight, later collections do not walk it
    # again. Objects made from here on are collected as usual (the console script turned the collector off while
    # importing, see taskctl/__init__.py), so memory stays bounded in a long watch.
    gc.freeze()
    gc.enable()
    try:
        app(prog_name="taskctl")
    except KeyboardInterrupt:
        _interrupted()
    finally:
        settle(sys.stdout)
        settle(sys.stderr)
        # The command is over: interpreter shutdown would put SIGINT back to the default (death without a word,
        # the exit code lost), but it leaves an ignored signal ignored.
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def run() -> NoReturn:
    """Console-script entry point: ``main``, then out of the process without the interpreter's teardown.

    Once the command has returned, its output flushed and every file it wrote closed (downloads rename their
    files before they return), what is left is tearing down the modules and objects of a process about to end:
    about 18 ms of CPU on every command (bench/startup.py), longer than some commands' own work. Worker threads
    still waiting on an answer (a `| head` that stopped reading) are not waited for either. A crash (an exception
    that is not SystemExit) still goes through the usual teardown and traceback.
    """
    try:
        main()
        code: object = 0
    except SystemExit as exit:
        code = exit.code
    if code is not None and not isinstance(code, int):  # sys.exit("message"): the interpreter would print it
        settle(sys.stderr)
        sys.stderr.write(f"{code}\n")
        code = 1
    settle(sys.stdout)
    settle(sys.stderr)
    os._exit(code or 0)
