"""The root command: global options, the command groups, and the console-script entry point."""

from __future__ import annotations

import gc
import signal
import sys

import typer

from taskctl import __version__, providers
from taskctl.cli import auth, profile, sandbox
from taskctl.cli.boundary import _interrupted, new_context
from taskctl.cli.options import ConfigOpt, DebugOpt, ProfileOpt
from taskctl.cli.provider import provider_app
from taskctl.output_streams import settle, standard_stream


def build_app() -> typer.Typer:
    """The root command: one group per registered provider, then profile, auth and sandbox."""
    first = providers.specs()[0]
    root_app = typer.Typer(
        name="taskctl",
        help=f"Inspect long-running processing tasks on cloud services. Try: {first.help.example}",
        no_args_is_help=True,
        pretty_exceptions_enable=False,  # never a rich traceback with locals (they would hold secrets)
        context_settings={"help_option_names": ["-h", "--help"]},
        rich_markup_mode=None,
    )
    for spec in providers.specs():
        root_app.add_typer(provider_app(spec), name=spec.name)
    root_app.add_typer(profile.app, name="profile")
    root_app.add_typer(auth.app, name="auth")
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
    # What start-up imported lives until exit: out of the collector's sight, later collections (and the one at
    # interpreter shutdown) do not walk it again. Objects made from here on are collected as usual, so memory
    # stays bounded in a long watch. bench/startup.py: -32 ms on `get --json`, -38 ms on a table.
    gc.freeze()
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
