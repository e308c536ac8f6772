"""`taskctl auth login NAME | logout NAME | status`: secrets in the keyring."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from taskctl.cli.boundary import run_command
from taskctl.cli.complete import complete_profile
from taskctl.cli.options import ConfigOpt

if TYPE_CHECKING:
    from taskctl.context import AppContext
    from taskctl.errors import ExitCode

# Its help is the root's (cli.app.command_groups). Built on its own (cli.app.LazyGroup): plain help, as the root.
app = typer.Typer(no_args_is_help=True, rich_markup_mode=None)
NameArg = typer.Argument(..., metavar="NAME", autocompletion=complete_profile, help="Profile name.")


@app.command("login")
def login(ctx: typer.Context, name: str = NameArg, config: ConfigOpt = None) -> None:
    """Store the profile's secret in the keyring (prompted without echo, or read from stdin)."""

    def action(app_context: AppContext) -> ExitCode:
        from taskctl.commands.auth import LoginOptions, run_login

        return run_login(app_context, LoginOptions(name))

    run_command(ctx, action, config=config)


@app.command("logout")
def logout(ctx: typer.Context, name: str = NameArg, config: ConfigOpt = None) -> None:
    """Remove the profile's secret from the keyring."""

    def action(app_context: AppContext) -> ExitCode:
        from taskctl.commands.auth import LogoutOptions, run_logout

        return run_logout(app_context, LogoutOptions(name))

    run_command(ctx, action, config=config)


@app.command("status")
def status(
    ctx: typer.Context,
    names: Annotated[list[str] | None, typer.Argument(
        metavar="[NAME]...", autocompletion=complete_profile, show_default=False,
        help="Only these profiles (default: every profile of the file).")] = None,
    as_json: bool = typer.Option(False, "--json", help="A JSON object, for scripts (secrets masked)."),
    check: bool = typer.Option(False, "--check", help="Make one cheap authenticated request per profile: does "
                               "the service accept the secret?"),
    config: ConfigOpt = None,
) -> None:
    """For each profile: where its secret comes from (masked), and which keyring backend is used.

    Exits 6 when one of the profiles shown has no secret anywhere, or its keyring lookup fails; with --check,
    4 when a service refused a secret, 5 when one could not be reached.
    """

    def action(app_context: AppContext) -> ExitCode:
        from taskctl.commands.auth import StatusOptions, run_status

        return run_status(app_context, StatusOptions(tuple(names or ()), as_json, check))

    run_command(ctx, action, config=config)
