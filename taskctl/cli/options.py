"""Option aliases shared by every command, so each `get` and `watch` speaks the same options."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from taskctl.cli.complete import complete_profile, complete_task_id
from taskctl.render.formats import Format

OutputFormat = Format  # the formats taskctl.render knows (one enum for the CLI, commands and renderers)


ProfileOpt = Annotated[str | None, typer.Option(
    "--profile", "-p", metavar="NAME", autocompletion=complete_profile,
    help="Profile to use (default: $TASKCTL_PROFILE, the provider's default, or its only profile). "
         "'sandbox' runs the bundled sandbox.")]
OutputOpt = Annotated[OutputFormat | None, typer.Option(
    "--output", "-o", case_sensitive=False, show_default=False,
    help="Output format: table (default), tree, json, yaml, or summary (one JSON line per task, the same keys "
         "for every provider).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Same as -o json: the task objects exactly as received.")]
JqOpt = Annotated[str | None, typer.Option(
    "--jq", metavar="EXPR", show_default=False,
    help="Run this jq expression on each JSON document (-o json, the default with --jq, or -o summary); strings "
         "print raw. jq need not be installed.")]
ConfigOpt = Annotated[Path | None, typer.Option(
    "--config", metavar="PATH",
    help="Profiles file (default: $TASKCTL_CONFIG, else $XDG_CONFIG_HOME/taskctl/profiles.yaml).")]
DebugOpt = Annotated[bool, typer.Option(
    "--debug", help="Trace HTTP requests and responses on stderr (secrets redacted); show tracebacks.")]
WatchIdsArg = Annotated[list[str], typer.Argument(
    metavar="TASK_ID...", help="The tasks to watch (several: a live table, polled together).", show_default=False,
    autocompletion=complete_task_id)]
FailFastOpt = Annotated[bool, typer.Option(
    "--fail-fast", help="With several tasks: stop at the first that ends badly (exit 7).")]
DEFAULT_INTERVAL = 5.0  # taskctl.watch.DEFAULT_INTERVAL (not imported here: --help stays light)
IntervalOpt = Annotated[float, typer.Option(
    "--interval", metavar="SECONDS",
    help="Seconds between polls (fractions work); grows gently after a minute, and when rate limited.")]
TimeoutOpt = Annotated[float | None, typer.Option(
    "--timeout", metavar="SECONDS",
    help="Give up after this many seconds (exit 8, the last task seen printed); 0 checks once. "
         "Default: wait until the task ends.", show_default=False)]
DownloadTaskArg = Annotated[str, typer.Argument(metavar="TASK_ID", help="The task whose files to download.",
                                                show_default=False, autocompletion=complete_task_id)]
DestOpt = Annotated[str | None, typer.Option(
    "--dest", metavar="PATH", show_default=False,
    help="An existing folder (the file is named as the server suggests), the file to write, or - for stdout. "
         "Default: the current folder.")]
InputsOpt = Annotated[bool, typer.Option("--inputs", help="Download the task's input files too.")]
ForceOpt = Annotated[bool, typer.Option("--force", help="Replace the file if it exists.")]
WaitOpt = Annotated[bool, typer.Option("--wait", help="Watch the task until it ends, then download its files.")]
WaitIntervalOpt = Annotated[float | None, typer.Option(
    "--interval", metavar="SECONDS", show_default=False,
    help=f"With --wait: seconds between polls. Default: {DEFAULT_INTERVAL:g}.")]
WaitTimeoutOpt = Annotated[float | None, typer.Option(
    "--timeout", metavar="SECONDS", show_default=False,
    help="With --wait: give up after this many seconds (exit 8, nothing downloaded). "
         "Default: wait until the task ends.")]
TaskIdsArg = Annotated[list[str], typer.Argument(metavar="TASK_ID...", help="One or more task ids.",
                                                 show_default=False, autocompletion=complete_task_id)]


class PreviewProtocol(StrEnum):
    """How `preview` draws (taskctl.commands.preview.protocols.Protocol, not imported here: --help stays light)."""

    kitty = "kitty"
    iterm = "iterm"
    sixel = "sixel"
    blocks = "blocks"


PreviewInputOpt = Annotated[str | None, typer.Option(
    "--input", metavar="NAME", show_default=False,
    help="Show the thumbnail of this input (its band or file name) instead of the output's.")]
SaveOpt = Annotated[str | None, typer.Option(
    "--save", metavar="PATH", show_default=False, help="Write the image to this file (and print its path).")]
OpenOpt = Annotated[bool, typer.Option("--open", help="Open the image in the desktop viewer (xdg-open / open).")]
ProtocolOpt = Annotated[PreviewProtocol | None, typer.Option(
    "--protocol", case_sensitive=False, show_default=False,
    help="How to draw: kitty graphics, iTerm2 inline image, sixel, or colour half blocks. "
         "Default: what the terminal ($TERM, $TERM_PROGRAM, ...) says it speaks.")]
PreviewTaskArg = Annotated[str, typer.Argument(metavar="TASK_ID", help="The task whose thumbnail to show.",
                                               show_default=False, autocompletion=complete_task_id)]
SaveForceOpt = Annotated[bool, typer.Option("--force", help="With --save: replace the file if it exists.")]


def output_format(output: Format | None, as_json: bool, jq: str | None = None) -> Format:
    """The format -o, --json and --jq ask for: -o and --json together are fine only when they agree; --jq alone
    means json. A --jq expression is compiled here, so a bad one is a usage error before any request."""
    from taskctl.errors import UsageError

    if as_json and output not in (None, Format.json):
        raise UsageError(f"--json conflicts with -o {output.value}", "use one of them")
    fmt = Format.json if as_json else output or (Format.json if jq is not None else Format.table)
    if jq is not None:
        from taskctl.render.output import jq_filter

        jq_filter(fmt, jq)
    return fmt


StateOpt = Annotated[list[str] | None, typer.Option(
    "--state", "-s", metavar="STATE", show_default=False,
    help="Only tasks in these states (repeatable or comma-separated): pending, running, succeeded, partial, "
         "failed, canceled, unknown.")]
TypeOpt = Annotated[list[str] | None, typer.Option(
    "--type", "-t", metavar="TYPE", show_default=False,
    help="Only tasks of these types (repeatable or comma-separated; see above).")]
NameOpt = Annotated[str | None, typer.Option(
    "--name", metavar="TEXT", show_default=False, help="The service's search in task names.")]
LimitOpt = Annotated[int | None, typer.Option(
    "--limit", "-L", metavar="N", show_default=False, help="Show at most N tasks (default: 20).")]
AllOpt = Annotated[bool, typer.Option("--all", help="Show every task, following every page.")]
