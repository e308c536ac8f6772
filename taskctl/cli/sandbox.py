"""`taskctl sandbox`: serve the bundled sandbox in the foreground, for trying scripts against it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from taskctl.cli.boundary import run_command

if TYPE_CHECKING:
    from taskctl.context import AppContext
    from taskctl.errors import ExitCode


def sandbox(
    ctx: typer.Context,
    port: int = typer.Option(8765, "--port", min=0, max=65535, help="Loopback port to listen on (0: any free port)."),
) -> None:
    """Serve the sandbox API on 127.0.0.1 until Ctrl-C, and print a profile snippet that points at it."""

    def action(app_context: AppContext) -> ExitCode:
        from taskctl.commands.sandbox import SandboxOptions, run

        return run(app_context, SandboxOptions(port))

    run_command(ctx, action)
