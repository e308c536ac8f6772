"""The command group of one provider, built from its spec: `get` and `watch` (and `download` when its fetcher
offers files), each with the shared options plus the provider's own (``ProviderSpec.cli_options``)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

import typer

from taskctl.cli.boundary import run_command, run_get_command, run_watch_command
from taskctl.cli.options import (
    DEFAULT_INTERVAL,
    AllOpt,
    ConfigOpt,
    DebugOpt,
    DestOpt,
    DownloadTaskArg,
    FailFastOpt,
    ForceOpt,
    InputsOpt,
    IntervalOpt,
    JqOpt,
    JsonOpt,
    LimitOpt,
    NameOpt,
    OpenOpt,
    OutputOpt,
    PreviewInputOpt,
    PreviewTaskArg,
    ProfileOpt,
    ProtocolOpt,
    SaveForceOpt,
    SaveOpt,
    StateOpt,
    TaskIdsArg,
    TimeoutOpt,
    TypeOpt,
    WaitIntervalOpt,
    WaitOpt,
    WaitTimeoutOpt,
    WatchIdsArg,
)
from taskctl.providers.spec import CliOption, FetchOptions, ProviderSpec

if TYPE_CHECKING:
    from taskctl.context import AppContext
    from taskctl.errors import ExitCode


def provider_app(spec: ProviderSpec) -> typer.Typer:
    # Built on its own (cli.app.LazyGroup), so it says what the root says: plain help, no rich markup.
    app = typer.Typer(help=spec.summary, no_args_is_help=True, rich_markup_mode=None)
    app.command("get", help=spec.help.get)(_get_command(spec))
    app.command("watch", help=spec.help.watch)(_watch_command(spec))
    if spec.downloads:
        app.command("download", help=spec.help.download)(_download_command(spec))
    if spec.previews:
        app.command("preview", help=spec.help.preview)(_preview_command(spec))
    if spec.lists:
        app.command("list", help=spec.help.list)(_list_command(spec))
    else:  # asked for anyway: one plain line, not a usage box
        app.command("list", hidden=True, add_help_option=False,
                    context_settings={"allow_extra_args": True, "ignore_unknown_options": True})(_no_list(spec))
    return app


def _get_command(spec: ProviderSpec) -> Callable[..., None]:
    def get(ctx: typer.Context, task_ids: TaskIdsArg, profile: ProfileOpt = None,
            output: OutputOpt = None, as_json: JsonOpt = False, jq: JqOpt = None, config: ConfigOpt = None,
            debug: DebugOpt = False, **options: str | None) -> None:
        run_get_command(ctx, spec.name, task_ids, profile=profile, output=output, as_json=as_json, jq=jq,
                        options=provider_options(spec, options), config=config, debug=debug)

    return with_provider_options(get, spec.options_for("get"))


def _watch_command(spec: ProviderSpec) -> Callable[..., None]:
    def watch(ctx: typer.Context, task_ids: WatchIdsArg, interval: IntervalOpt = DEFAULT_INTERVAL,
              timeout: TimeoutOpt = None, fail_fast: FailFastOpt = False, profile: ProfileOpt = None,
              output: OutputOpt = None, as_json: JsonOpt = False, jq: JqOpt = None, config: ConfigOpt = None,
              debug: DebugOpt = False, **options: str | None) -> None:
        run_watch_command(ctx, spec.name, task_ids, profile=profile, output=output, as_json=as_json, jq=jq,
                          options=provider_options(spec, options), interval=interval, timeout=timeout,
                          fail_fast=fail_fast, config=config, debug=debug)

    return with_provider_options(watch, spec.options_for("watch"))


def _download_command(spec: ProviderSpec) -> Callable[..., None]:
    def download(ctx: typer.Context, task_id: DownloadTaskArg, dest: DestOpt = None, inputs: InputsOpt = False,
                 force: ForceOpt = False, wait: WaitOpt = False, interval: WaitIntervalOpt = None,
                 timeout: WaitTimeoutOpt = None, profile: ProfileOpt = None, config: ConfigOpt = None,
                 debug: DebugOpt = False, **options: str | None) -> None:
        def action(app: AppContext) -> ExitCode:
            from taskctl.commands.download import DownloadOptions, run

            return run(app, DownloadOptions(spec.name, task_id, profile, dest, force, provider_options(spec, options),
                                            wait, interval, timeout, inputs))

        run_command(ctx, action, config=config, debug=debug)

    omitted = () if spec.download_inputs else ("inputs",)
    return with_provider_options(download, spec.options_for("download"), omitted)


def _preview_command(spec: ProviderSpec) -> Callable[..., None]:
    def preview(ctx: typer.Context, task_id: PreviewTaskArg, input_name: PreviewInputOpt = None,
                save: SaveOpt = None, open_viewer: OpenOpt = False, protocol: ProtocolOpt = None,
                force: SaveForceOpt = False, profile: ProfileOpt = None, config: ConfigOpt = None,
                debug: DebugOpt = False) -> None:
        def action(app: AppContext) -> ExitCode:
            from taskctl.commands.preview import PreviewOptions, run
            from taskctl.commands.preview.protocols import Protocol

            return run(app, PreviewOptions(spec.name, task_id, profile, input_name, save, open_viewer,
                                           None if protocol is None else Protocol(protocol.value), force))

        run_command(ctx, action, config=config, debug=debug)

    return preview


def _list_command(spec: ProviderSpec) -> Callable[..., None]:
    def list_tasks(ctx: typer.Context, state: StateOpt = None, task_type: TypeOpt = None, name: NameOpt = None,
                   limit: LimitOpt = None, every: AllOpt = False, profile: ProfileOpt = None,
                   output: OutputOpt = None, as_json: JsonOpt = False, jq: JqOpt = None, config: ConfigOpt = None,
                   debug: DebugOpt = False, **options: str | None) -> None:
        def action(app: AppContext) -> ExitCode:
            from taskctl.cli.options import OutputFormat, output_format
            from taskctl.commands.list import ListOptions, parse_limit, parse_states, parse_types, run

            fmt = output_format(OutputFormat(output) if output else None, as_json, jq)
            return run(app, ListOptions(spec.name, profile, fmt, parse_states(state or []),
                                        parse_types(spec.name, task_type or []), name, parse_limit(limit, every),
                                        provider_options(spec, options), jq))

        run_command(ctx, action, config=config, debug=debug)

    return with_provider_options(list_tasks, spec.options_for("list"), leading=1)


def _no_list(spec: ProviderSpec) -> Callable[..., None]:
    def no_list(ctx: typer.Context) -> None:
        def action(app: AppContext) -> ExitCode:
            from taskctl.commands.list import no_list

            raise no_list(spec.name)

        run_command(ctx, action)

    return no_list


def provider_options(spec: ProviderSpec, given: dict[str, str | None]) -> FetchOptions:
    """The provider's typed options from what the command line gave (None: not given)."""
    return spec.options(**given)


def with_provider_options(command: Callable[..., None], options: tuple[CliOption, ...],
                          omitted: tuple[str, ...] = (), leading: int = 2) -> Callable[..., None]:
    """The command, as Typer sees it, with one keyword parameter per provider option after its ``leading``
    parameters (the context and the argument; the function collects them in ``**options``), and without the
    shared options this provider does not offer (``omitted``: they keep their defaults)."""
    shared = [p for p in inspect.signature(command, eval_str=True).parameters.values()
              if p.kind is not inspect.Parameter.VAR_KEYWORD and p.name not in omitted]
    added = [inspect.Parameter(option.name, inspect.Parameter.KEYWORD_ONLY, default=None,
                               annotation=_option_annotation(option)) for option in options]
    keyword = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in shared[leading:]]
    command.__signature__ = inspect.Signature([*shared[:leading], *added, *keyword])  # type: ignore[attr-defined]
    return command


def _option_annotation(option: CliOption) -> Any:
    return Annotated[str | None, typer.Option(option.flag, metavar=option.metavar, help=option.help,
                                              envvar=option.envvar, show_envvar=option.envvar is not None)]
