"""The one place where errors become stderr lines and exit codes."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from taskctl.errors import ExitCode, TaskctlError
from taskctl.output_streams import silence

if TYPE_CHECKING:
    from taskctl.context import AppContext
    from taskctl.providers.spec import FetchOptions


ContextFactory = Callable[..., "AppContext"]
"""Builds the AppContext from keyword arguments (environ, stdin, config_path, debug): ``AppContext`` itself.
A test hands another one to the runner as ``obj`` (e.g. with a fake clock and sleep): ``new_context`` calls it."""


def new_context(ctx: typer.Context, config: Path | None = None, debug: bool = False,
                profile: str | None = None) -> AppContext:
    """The AppContext of this invocation, in the root ``ctx.obj``: the real environment, stdin, clock and sleep,
    and this module's ``report`` as its reporter (errors are printed here and nowhere else)."""
    from taskctl.context import AppContext

    root = ctx.find_root()
    factory: ContextFactory = root.obj if callable(root.obj) else AppContext
    app = factory(environ=dict(os.environ), stdin=sys.stdin, config_path=config, debug=debug)
    app.profile_name = profile
    app.reporter = report
    root.obj = app
    return app


def app_context(ctx: typer.Context, config: Path | None = None, debug: bool = False) -> AppContext:
    """The AppContext the root callback built, with options given after the subcommand applied."""
    from taskctl.context import AppContext

    root = ctx.find_root()
    app = root.obj if isinstance(root.obj, AppContext) else new_context(ctx)
    if config is not None:
        app.config_path = config
    app.debug = app.debug or debug
    return app


def run_command(ctx: typer.Context, action: Callable[[AppContext], ExitCode | None], *,
                config: Path | None = None, debug: bool = False) -> None:
    """Run a command's work; turn every failure into one or two lines on stderr and the SPEC exit code."""
    from taskctl.interrupt import Terminated, raising

    app = app_context(ctx, config, debug)
    try:
        with raising():
            code = action(app) or ExitCode.OK
    except KeyboardInterrupt as interrupt:
        _interrupted(terminated=isinstance(interrupt, Terminated))
    except BrokenPipeError:  # a write that bypassed the reader-safe streams (see output_streams)
        silence(app.stdout)
        code = ExitCode.OK
    except Exception as error:  # noqa: BLE001 - the last line of defence against tracebacks
        code = _failed(app, error)
    app.flush_config_warnings()
    raise typer.Exit(int(code))


def _failed(app: AppContext, error: Exception) -> ExitCode:
    """Report what ended the command; its exit code."""
    if isinstance(error, TaskctlError):
        report(app, error)
        return error.exit_code
    if isinstance(error, UnicodeEncodeError):
        shown = TaskctlError(f"cannot write the output in the {error.encoding} encoding",
                             "use a UTF-8 locale, or set PYTHONIOENCODING=utf-8")
        report(app, shown)
    elif isinstance(error, OSError):  # writing the output failed: a full disk, a closed terminal
        report(app, TaskctlError(f"cannot write the output: {error.strerror or error}"))
    else:
        report(app, TaskctlError(f"internal error: {type(error).__name__}: {error}",
                                 "rerun with --debug for the traceback, and report it"), cause=error)
    return ExitCode.FAILURE


def report(app: AppContext, error: TaskctlError, cause: BaseException | None = None) -> None:
    """Print an error as one or two plain lines: what failed, then what to do (Ctrl-C is not an error). With
    --debug, the traceback of where it was raised first (of ``cause`` when given; none for an error that was
    never raised, such as a watch's verdict)."""
    raised = cause or error
    if app.debug and raised.__traceback__ is not None:
        _print_traceback(app, raised)
    interrupted = error.exit_code == ExitCode.INTERRUPTED
    app.stderr_line(None if interrupted else "error", "red", error.message)
    if error.hint:
        app.stderr_line(None, "", error.hint)


def _print_traceback(app: AppContext, error: BaseException) -> None:
    import traceback

    from taskctl.render.safe import inert

    # A traceback quotes server text (an error's message): inert like every other line, one line at a time.
    lines = app.redact("".join(traceback.format_exception(error))).splitlines()
    app.stderr.write("".join(inert(line) + "\n" for line in lines))
    app.stderr.flush()


def _interrupted(terminated: bool = False) -> None:
    """Ctrl-C: one line, exit 130 (SIGTERM: 143), without waiting for worker threads stuck in a socket read."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not interrupt the way out
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        # End a live line on a terminal first; plain logs get no blank line.
        what = "terminated" if terminated else "interrupted"
        sys.stderr.write(("\n" if sys.stderr.isatty() else "") + f"taskctl: {what}\n")
        sys.stderr.flush()
        sys.stdout.flush()
    except (BrokenPipeError, OSError, ValueError):
        pass
    os._exit(int(ExitCode.TERMINATED if terminated else ExitCode.INTERRUPTED))


def run_get_command(ctx: typer.Context, provider: str, task_ids: list[str], *, profile: str | None,
                    output: str | None, as_json: bool, options: FetchOptions, config: Path | None, debug: bool,
                    jq: str | None = None) -> None:
    """What every `PROVIDER get` does once its own options are parsed."""

    def action(app: AppContext) -> ExitCode:
        from taskctl.cli.options import OutputFormat, output_format
        from taskctl.commands.get import GetOptions, parse_task_ids, run

        fmt = output_format(OutputFormat(output) if output else None, as_json, jq)
        return run(app, GetOptions(provider, parse_task_ids(provider, task_ids), profile, fmt, options, jq))

    run_command(ctx, action, config=config, debug=debug)


def run_watch_command(ctx: typer.Context, provider: str, task_ids: list[str], *, profile: str | None,
                      output: str | None, as_json: bool, options: FetchOptions, interval: float,
                      timeout: float | None, fail_fast: bool, config: Path | None, debug: bool,
                      jq: str | None = None) -> None:
    """What every `PROVIDER watch` does once its own options are parsed."""

    def action(app: AppContext) -> ExitCode:
        from taskctl.cli.options import OutputFormat, output_format
        from taskctl.commands.get import parse_task_ids
        from taskctl.commands.watch import WatchOptions, WatchPolicy, run

        fmt = output_format(OutputFormat(output) if output else None, as_json, jq)
        policy = WatchPolicy(interval=interval, timeout=timeout)
        return run(app, WatchOptions(provider, parse_task_ids(provider, task_ids), profile, fmt, policy, options,
                                     fail_fast, jq))

    run_command(ctx, action, config=config, debug=debug)
