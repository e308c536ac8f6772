"""`taskctl eo ...`: the Earth-observation imagery processing platform."""

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
    TaskIdArg,
    TaskIdsArg,
    TimeoutOpt,
)

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
    run_get_command(ctx, PROVIDER, task_ids, profile=profile, output=output, as_json=as_json,
                    options={}, config=config, debug=debug)


@app.command("watch")
def watch(
    ctx: typer.Context,
    task_id: TaskIdArg,
    interval: IntervalOpt = DEFAULT_INTERVAL,
    timeout: TimeoutOpt = None,
    profile: ProfileOpt = None,
    output: OutputOpt = OutputFormat.table,
    as_json: JsonOpt = False,
    config: ConfigOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Wait for an EO task to end, then show it: exit 0 published, 7 failed, 8 --timeout passed.

    Example: taskctl eo watch 710 --profile sandbox --interval 1
    """
    run_watch_command(ctx, PROVIDER, task_id, profile=profile, output=output, as_json=as_json, options={},
                      interval=interval, timeout=timeout, config=config, debug=debug)
