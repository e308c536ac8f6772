"""`taskctl koodrive ...`: Huawei KooDrive share batch tasks (package downloads)."""

from __future__ import annotations

import typer

from taskctl.cli.boundary import run_get_command, run_watch_command
from taskctl.cli.download import download
from taskctl.cli.options import (
    DEFAULT_INTERVAL,
    ConfigOpt,
    DebugOpt,
    IntervalOpt,
    JsonOpt,
    KdsTokenOpt,
    OutputFormat,
    OutputOpt,
    ProfileOpt,
    ShareIdOpt,
    TaskIdArg,
    TaskIdsArg,
    TimeoutOpt,
    TraceIdOpt,
)

PROVIDER = "koodrive"
app = typer.Typer(help="Huawei KooDrive share batch tasks (progress, download package).", no_args_is_help=True)


@app.command("get")
def get(
    ctx: typer.Context,
    task_ids: TaskIdsArg,
    share_id: ShareIdOpt = None,
    kdstoken: KdsTokenOpt = None,
    trace_id: TraceIdOpt = None,
    profile: ProfileOpt = None,
    output: OutputOpt = OutputFormat.table,
    as_json: JsonOpt = False,
    config: ConfigOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Show one or more KooDrive share tasks by id.

    Example: taskctl koodrive get task-running --profile sandbox
    """
    run_get_command(ctx, PROVIDER, task_ids, profile=profile, output=output, as_json=as_json,
                    options={"share_id": share_id, "kdstoken": kdstoken, "trace_id": trace_id},
                    config=config, debug=debug)


@app.command("watch")
def watch(
    ctx: typer.Context,
    task_id: TaskIdArg,
    share_id: ShareIdOpt = None,
    kdstoken: KdsTokenOpt = None,
    trace_id: TraceIdOpt = None,
    interval: IntervalOpt = DEFAULT_INTERVAL,
    timeout: TimeoutOpt = None,
    profile: ProfileOpt = None,
    output: OutputOpt = OutputFormat.table,
    as_json: JsonOpt = False,
    config: ConfigOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Wait for a KooDrive share task to end, then show it: exit 0 done, 7 partial/failed/canceled,
    8 --timeout passed.

    Example: taskctl koodrive watch task-advancing --profile sandbox --interval 1
    """
    run_watch_command(ctx, PROVIDER, task_id, profile=profile, output=output, as_json=as_json,
                      options={"share_id": share_id, "kdstoken": kdstoken, "trace_id": trace_id},
                      interval=interval, timeout=timeout, config=config, debug=debug)


app.command("download")(download)
