"""`taskctl eo ...`: the Earth-observation imagery processing platform."""

from __future__ import annotations

import typer

from taskctl.cli.boundary import run_get_command
from taskctl.cli.options import ConfigOpt, DebugOpt, JsonOpt, OutputFormat, OutputOpt, ProfileOpt, TaskIdsArg

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
