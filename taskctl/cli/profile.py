"""`taskctl profile list | show NAME`: what is configured, and where each value came from."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from taskctl import providers
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
    as_json: bool = typer.Option(False, "--json", help="A JSON object, for scripts (the secret masked)."),
    config: ConfigOpt = None,
) -> None:
    """Show one profile: every value (secrets masked) and where it came from."""

    def action(app_context: AppContext) -> ExitCode:
        from taskctl.commands.profile import ShowOptions, run_show

        return run_show(app_context, ShowOptions(name, as_json))

    run_command(ctx, action, config=config)


PROVIDERS = ", ".join(providers.names())


def _complete_provider(incomplete: str) -> list[str]:
    return [name for name in providers.names() if name.startswith(incomplete)]


@app.command("add")
def add_profile(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="The new profile's name.", show_default=False)],
    provider: Annotated[str, typer.Option("--provider", metavar="PROVIDER", autocompletion=_complete_provider,
                                          help=f"Its provider: {PROVIDERS}.", show_default=False)],
    endpoint: Annotated[str | None, typer.Option("--endpoint", metavar="URL", show_default=False,
                                                 help="The service's base URL (the API path is appended).")] = None,
    default: Annotated[bool, typer.Option("--default", help="Use it when no profile of its provider is named.")]
    = False,
    settings: Annotated[list[str] | None, typer.Option(
        "--set", metavar="KEY=VALUE", show_default=False,
        help="Another key of the profile, as in `taskctl profile example` (repeatable).")] = None,
    no_secret: Annotated[bool, typer.Option("--no-token", help="Do not ask for its token or secret key.")] = False,
    config: ConfigOpt = None,
) -> None:
    """Add a profile to the profiles file (created if missing), then ask for its token without echo and store
    it in the keyring. Example: taskctl profile add prod --provider PROVIDER --endpoint https://host/api"""

    def action(app_context: AppContext) -> ExitCode:
        from taskctl.commands.profile_file import AddOptions, run_add

        return run_add(app_context, AddOptions(name, provider, endpoint, _key_values(settings or []), default,
                                               not no_secret))

    run_command(ctx, action, config=config)


def _key_values(settings: list[str]) -> tuple[tuple[str, str], ...]:
    from taskctl.errors import UsageError

    pairs = []
    for setting in settings:
        key, equals, value = setting.partition("=")
        if not equals or not key.strip():
            raise UsageError(f"--set {setting!r}: expected KEY=VALUE", "e.g. --set retries=5")
        pairs.append((key.strip(), value))
    return tuple(pairs)


@app.command("example")
def example(ctx: typer.Context) -> None:
    """Print a commented example profiles file (every key explained): taskctl profile example > profiles.yaml"""

    def action(app_context: AppContext) -> ExitCode:
        from taskctl.commands.profile_file import run_example

        return run_example(app_context)

    run_command(ctx, action)
