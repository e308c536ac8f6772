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


def app_context(ctx: typer.Context, config: Path | None = None, debug: bool = False) -> AppContext:
    """The AppContext the root callback built, with options given after the subcommand applied."""
    from taskctl.context import AppContext

    root = ctx.find_root()
    if not isinstance(root.obj, AppContext):
        root.obj = AppContext(environ=dict(os.environ))
    app = root.obj
    if config is not None:
        app.config_path = config
    app.debug = app.debug or debug
    return app


def run_command(ctx: typer.Context, action: Callable[[AppContext], ExitCode | None], *,
                config: Path | None = None, debug: bool = False) -> None:
    """Run a command's work; turn every failure into one or two lines on stderr and the SPEC exit code."""
    from taskctl.interrupt import raising

    app = app_context(ctx, config, debug)
    try:
        with raising():
            code = action(app) or ExitCode.OK
    except TaskctlError as error:
        if app.debug:
            _print_traceback(app)
        app.report(error)
        code = error.exit_code
    except KeyboardInterrupt:
        _interrupted()
    except BrokenPipeError:  # a write that bypassed the reader-safe streams (see output_streams)
        silence(app.stdout)
        code = ExitCode.OK
    except OSError as error:  # writing the output failed: a full disk, a closed terminal
        app.report(TaskctlError(f"cannot write the output: {error.strerror or error}"))
        code = ExitCode.FAILURE
    except UnicodeEncodeError as error:
        app.report(TaskctlError(f"cannot write the output in the {error.encoding} encoding",
                                "use a UTF-8 locale, or set PYTHONIOENCODING=utf-8"))
        code = ExitCode.FAILURE
    except Exception as error:  # noqa: BLE001 - the last line of defence against tracebacks
        if app.debug:
            _print_traceback(app)
        app.report(TaskctlError(f"internal error: {type(error).__name__}: {error}",
                            "rerun with --debug for the traceback, and report it"))
        code = ExitCode.FAILURE
    app.flush_config_warnings()
    raise typer.Exit(int(code))


def _print_traceback(app: AppContext) -> None:
    import traceback

    from taskctl.render.safe import inert

    # A traceback quotes server text (an error's message): inert like every other line, one line at a time.
    lines = app.redact(traceback.format_exc()).splitlines()
    app.stderr.write("".join(inert(line) + "\n" for line in lines))


def _interrupted() -> None:
    """Ctrl-C: one line, exit 130, without waiting for worker threads stuck in a socket read."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not interrupt the way out
    try:
        # End a live line on a terminal first; plain logs get no blank line.
        sys.stderr.write(("\n" if sys.stderr.isatty() else "") + "taskctl: interrupted\n")
        sys.stderr.flush()
        sys.stdout.flush()
    except (BrokenPipeError, OSError, ValueError):
        pass
    os._exit(int(ExitCode.INTERRUPTED))


def run_get_command(ctx: typer.Context, provider: str, task_ids: list[str], *, profile: str | None, output: str,
                    as_json: bool, options: FetchOptions, config: Path | None, debug: bool) -> None:
    """What every `PROVIDER get` does once its own options are parsed."""

    def action(app: AppContext) -> ExitCode:
        from taskctl.cli.options import OutputFormat, output_format
        from taskctl.get import GetRequest, parse_task_ids, run_get

        fmt = output_format(OutputFormat(output), as_json)
        request = GetRequest(provider, parse_task_ids(provider, task_ids), profile, fmt,
                             options)
        return run_get(app, request)

    run_command(ctx, action, config=config, debug=debug)


def run_watch_command(ctx: typer.Context, provider: str, task_id: str, *, profile: str | None, output: str,
                      as_json: bool, options: FetchOptions, interval: float, timeout: float | None,
                      config: Path | None, debug: bool) -> None:
    """What every `PROVIDER watch` does once its own options are parsed."""

    def action(app: AppContext) -> ExitCode:
        from taskctl import providers
        from taskctl.cli.options import OutputFormat, output_format
        from taskctl.watch import WatchPolicy, WatchRequest, run_watch

        fmt = output_format(OutputFormat(output), as_json)
        policy = WatchPolicy(interval=interval, timeout=timeout)
        request = WatchRequest(provider, providers.load(provider).parse_task_id(task_id), profile, fmt, policy,
                               options)
        return run_watch(app, request)

    run_command(ctx, action, config=config, debug=debug)
