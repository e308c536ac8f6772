"""`taskctl koodrive download`: save a finished task's package. Registered by cli/provider.py for a provider
whose spec says ``downloads``; the work is ``taskctl.commands.download.run``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from taskctl.cli.boundary import run_command
from taskctl.cli.options import (
    DEFAULT_INTERVAL,
    ConfigOpt,
    DebugOpt,
    KdsTokenOpt,
    ProfileOpt,
    ShareIdOpt,
)

if TYPE_CHECKING:
    from taskctl.context import AppContext
    from taskctl.errors import ExitCode

PROVIDER = "koodrive"


def download(
    ctx: typer.Context,
    task_id: str = typer.Argument(..., metavar="TASK_ID", help="The task whose package to download.",
                                  show_default=False),
    share_id: ShareIdOpt = None,
    kdstoken: KdsTokenOpt = None,
    dest: str | None = typer.Option(None, "--dest", metavar="PATH", show_default=False,
                                    help="An existing folder (the file is named as the server suggests) or the "
                                         "file to write. Default: the current folder."),
    force: bool = typer.Option(False, "--force", help="Replace the file if it exists."),
    wait: bool = typer.Option(False, "--wait", help="Watch the task until it ends, then download its package."),
    interval: float | None = typer.Option(None, "--interval", metavar="SECONDS", show_default=False,
                                          help=f"With --wait: seconds between polls. Default: {DEFAULT_INTERVAL:g}."),
    timeout: float | None = typer.Option(None, "--timeout", metavar="SECONDS", show_default=False,
                                         help="With --wait: give up after this many seconds (exit 8, nothing "
                                              "downloaded). Default: wait until the task ends."),
    profile: ProfileOpt = None,
    config: ConfigOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Download the package of a finished KooDrive task; print the path written.

    An interrupted download resumes when run again, if the storage host names the file's version (ETag or
    Last-Modified); a file that changed meanwhile is downloaded again whole. With --wait, an unfinished task
    is watched first (--interval, --timeout as for `watch`; exit 8 when the timeout passes first).

    Example: taskctl koodrive download task-done --profile sandbox --dest /tmp
    """

    def action(app: AppContext) -> ExitCode:
        from taskctl.commands.download import DownloadOptions, run
        from taskctl.providers.koodrive import KooDriveOptions

        given = KooDriveOptions(share_id=share_id, kdstoken=kdstoken)
        return run(app, DownloadOptions(PROVIDER, task_id, profile, dest, force, given, wait, interval, timeout))

    run_command(ctx, action, config=config, debug=debug)
