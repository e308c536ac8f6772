"""`taskctl modelarts ...`: Huawei Cloud ModelArts data-processing tasks."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from taskctl.cli.boundary import run_command
from taskctl.cli.options import ConfigOpt, DebugOpt, JsonOpt, OutputFormat, OutputOpt, ProfileOpt, TaskIdsArg

if TYPE_CHECKING:
    from taskctl.context import AppContext
    from taskctl.errors import ExitCode

PROVIDER = "modelarts"
app = typer.Typer(help="Huawei Cloud ModelArts data-processing tasks (feature analysis, cleansing, ...).",
                  no_args_is_help=True)


@app.command("get")
def get(
    ctx: typer.Context,
    task_ids: TaskIdsArg,
    project_id: str | None = typer.Option(None, "--project-id", metavar="ID",
                                          help="Project of the tasks (default: the profile's project_id)."),
    profile: ProfileOpt = None,
    output: OutputOpt = OutputFormat.table,
    as_json: JsonOpt = False,
    config: ConfigOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Show one or more ModelArts processing tasks by id.

    Example: taskctl modelarts get AcYfsdfhGyrWL5TtahH --profile sandbox
    """

    def action(app_context: AppContext) -> ExitCode:
        from taskctl.cli.options import output_format
        from taskctl.get import GetRequest, parse_task_ids, run_get
        from taskctl.providers.base import FetchOptions

        options = FetchOptions({"project_id": project_id} if project_id else {})
        request = GetRequest(PROVIDER, parse_task_ids(PROVIDER, task_ids), profile, output_format(output, as_json),
                             options)
        return run_get(app_context, request)

    run_command(ctx, action, config=config, debug=debug)
