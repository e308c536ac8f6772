"""Option aliases shared by every command, so each `get` and `watch` speaks the same options."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from taskctl.cli.complete import complete_profile


class OutputFormat(StrEnum):
    table = "table"
    tree = "tree"
    json = "json"
    yaml = "yaml"


ProfileOpt = Annotated[str | None, typer.Option(
    "--profile", "-p", metavar="NAME", autocompletion=complete_profile,
    help="Profile to use (default: $TASKCTL_PROFILE, the provider's default, or its only profile). "
         "'sandbox' runs the bundled sandbox.")]
OutputOpt = Annotated[OutputFormat, typer.Option(
    "--output", "-o", case_sensitive=False, help="Output format.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Same as -o json: the task objects exactly as received.")]
ConfigOpt = Annotated[Path | None, typer.Option(
    "--config", metavar="PATH",
    help="Profiles file (default: $TASKCTL_CONFIG, else $XDG_CONFIG_HOME/taskctl/profiles.yaml).")]
DebugOpt = Annotated[bool, typer.Option(
    "--debug", help="Trace HTTP requests and responses on stderr (secrets redacted); show tracebacks.")]
TaskIdsArg = Annotated[list[str], typer.Argument(metavar="TASK_ID...", help="One or more task ids.",
                                                 show_default=False)]


def output_format(output: OutputFormat, as_json: bool) -> str:
    """-o and --json together are fine only when they agree."""
    from taskctl.errors import UsageError

    if as_json and output not in (OutputFormat.table, OutputFormat.json):
        raise UsageError(f"--json conflicts with -o {output.value}", "use one of them")
    return "json" if as_json else output.value
