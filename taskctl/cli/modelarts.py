"""`taskctl modelarts ...`: Huawei Cloud ModelArts data-processing tasks."""

from __future__ import annotations

import typer

from taskctl.cli.boundary import run_get_command, run_watch_command
from taskctl.cli.options import (
    DEFAULT_INTERVAL,
    ConfigOpt,
    DebugOpt,
    IntervalOpt,
    JsonOpt,
    OutputFormat,
    OutputOpt,
    ProfileOpt,
    ProjectIdOpt,
    TaskIdArg,
    TaskIdsArg,
    TimeoutOpt,
)

PROVIDER = "modelarts"
app = typer.Typer(help="Huawei Cloud ModelArts data-processing tasks (feature analysis, cleansing, ...).",
                  no_args_is_help=True)


@app.command("get")
def get(
    ctx: typer.Context,
    task_ids: TaskIdsArg,
    project_id: ProjectIdOpt = None,
    profile: ProfileOpt = None,
    output: OutputOpt = OutputFormat.table,
    as_json: JsonOpt = False,
    config: ConfigOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Show one or more ModelArts processing tasks by id.

    Example: taskctl modelarts get AcYfsdfhGyrWL5TtahH --profile sandbox
    """
    run_get_command(ctx, PROVIDER, task_ids, profile=profile, output=output, as_json=as_json,
                    options={"project_id": project_id}, config=config, debug=debug)


@app.command("watch")
def watch(
    ctx: typer.Context,
    task_id: TaskIdArg,
    project_id: ProjectIdOpt = None,
    interval: IntervalOpt = DEFAULT_INTERVAL,
    timeout: TimeoutOpt = None,
    profile: ProfileOpt = None,
    output: OutputOpt = OutputFormat.table,
    as_json: JsonOpt = False,
    config: ConfigOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Wait for a ModelArts processing task to end, then show it: exit 0 succeeded, 7 failed/canceled,
    8 --timeout passed.

    Example: taskctl modelarts watch task-advancing --profile sandbox --interval 1
    """
    run_watch_command(ctx, PROVIDER, task_id, profile=profile, output=output, as_json=as_json,
                      options={"project_id": project_id}, interval=interval, timeout=timeout, config=config,
                      debug=debug)
