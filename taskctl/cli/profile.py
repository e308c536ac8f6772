"""`taskctl profile list | show NAME`: what is configured, and where each value came from."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from taskctl.cli.boundary import run_command
from taskctl.cli.complete import complete_profile
from taskctl.cli.options import ConfigOpt

if TYPE_CHECKING:
    from taskctl.context import AppContext
    from taskctl.errors import ExitCode

# Its help is the root's (cli.app.command_groups). Built on its own (cli.app.LazyGroup): plain help, as the root.
app = typer.Typer(no_args_is_help=True, rich_markup_mode=None)


@app.command("list")
def list_profiles(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="A JSON list of the profiles, for scripts."),
    config: ConfigOpt = None,
) -> None:
    """List the profiles of the profiles file, and the built-in sandbox."""

    def action(app_context: AppContext) -> ExitCode:
        from taskctl.commands.profile import ListOptions, run_list

        return run_list(app_context, ListOptions(as_json))

    run_command(ctx, action, config=config)


@app.command("show")
def show_profile(
    ctx: typer.Context,
    name: str = typer.Argument(..., metavar="NAME", autocompletion=complete_profile),
    config: ConfigOpt = None,
) -> None:
    """Show one profile: every value (secrets masked) and where it came from."""

    def action(app_context: AppContext) -> ExitCode:
        from taskctl.commands.profile import ShowOptions, run_show

        return run_show(app_context, ShowOptions(name))

    run_command(ctx, action, config=config)
