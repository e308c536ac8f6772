"""`taskctl eo ...`: the Earth-observation imagery processing platform."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from taskctl.cli.boundary import run_command
from taskctl.cli.options import ConfigOpt, DebugOpt, JsonOpt, OutputFormat, OutputOpt, ProfileOpt, TaskIdsArg

if TYPE_CHECKING:
    from taskctl.context import AppContext
    from taskctl.errors import ExitCode

PROVIDER = "eo"
app = typer.Typer(help="Earth-observation imagery processing tasks (band merging, NDVI, ...).",
                  no_args_is_help=True)


@app.command("get")
def get(
    ctx: typer.Context,
    task_ids: TaskIdsArg,
    profile: ProfileOpt = None,
    output: OutputOpt = OutputFormat.table,
    as_json: JsonOpt = False,
    config: ConfigOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Show one or more EO tasks by id.

    Example: taskctl eo get 702 --profile sandbox
    """

    def action(app_context: AppContext) -> ExitCode:
        from taskctl.cli.options import output_format
        from taskctl.get import GetRequest, parse_task_ids, run_get

        request = GetRequest(PROVIDER, parse_task_ids(PROVIDER, task_ids), profile, output_format(output, as_json))
        return run_get(app_context, request)

    run_command(ctx, action, config=config, debug=debug)
