"""`PROVIDER list`: the newest tasks of a provider that can list them, filtered, paged robustly
(``taskctl.paging``), written through the same output as `get` (a table with a row per task, or each task in
any other format, exactly as the list sent it)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from taskctl import providers
from taskctl.errors import ExitCode, UsageError, about, task_label
from taskctl.model import State

if TYPE_CHECKING:
    from taskctl.context import AppContext
    from taskctl.paging import Listing
    from taskctl.providers.base import Lister
    from taskctl.providers.spec import FetchOptions

DEFAULT_LIMIT = 20
FILTERED_PAGE_SIZE = 100  # a filter applied here skips tasks: fewer, fuller pages (the provider clamps it)


@dataclass(frozen=True)
class ListOptions:
    provider: str
    profile: str | None
    output: str
    states: frozenset[State] = frozenset()
    types: tuple[str, ...] = ()  # as the provider's parse_list_types gave them
    name: str | None = None
    limit: int | None = DEFAULT_LIMIT  # None: every task (--all)
    options: FetchOptions | None = None  # None: the provider's defaults
    jq: str | None = None  # --jq: a jq expression each task's JSON document goes through


def no_list(provider: str) -> UsageError:
    """What `list` says for a provider whose service has no list API."""
    return UsageError(f"'{provider} list' does not exist: the {provider} service has no API to list its tasks")


def parse_states(values: Sequence[str]) -> frozenset[State]:
    """`--state running,failed --state pending`: normalized states, repeatable or comma-separated."""
    states = set()
    for value in values:
        for word in value.split(","):
            name = word.strip().casefold()
            if not name:
                continue
            try:
                states.add(State(name))
            except ValueError:
                known = ", ".join(state.value for state in State)
                raise UsageError(f"unknown state {word.strip()!r}", f"use one or more of: {known}") from None
    if values and not states:  # `--state ,` or `--state ""`: a filter that names nothing is a typo, not "any"
        raise UsageError("--state names no state", f"use one or more of: {', '.join(state.value for state in State)}")
    return frozenset(states)


def parse_limit(limit: int | None, every: bool) -> int | None:
    """The number of tasks to show (None: all)."""
    if every and limit is not None:
        raise UsageError("--limit conflicts with --all", "use one of them")
    if every:
        return None
    if limit is not None and limit < 1:
        raise UsageError(f"invalid --limit {limit}: expected 1 or more", "--all shows every task")
    return DEFAULT_LIMIT if limit is None else limit


def parse_types(provider: str, values: Sequence[str]) -> tuple[str, ...]:
    """`--type`, repeatable or comma-separated, checked by the provider before any request."""
    words = [word.strip() for value in values for word in value.split(",") if word.strip()]
    if values and not words:
        raise UsageError("--type names no task type", f"see `taskctl {provider} list --help`")
    if not words:
        return ()
    return tuple(providers.load(provider).parse_list_types(words))  # type: ignore[attr-defined]


def run(app: AppContext, options: ListOptions) -> ExitCode:
    from taskctl.paging import collect
    from taskctl.providers.base import ListQuery

    if not providers.get(options.provider).lists:
        raise no_list(options.provider)
    filtered = bool(options.states or options.types)
    page_size = FILTERED_PAGE_SIZE if filtered or options.limit is None else options.limit
    query = ListQuery(options.states, options.types, options.name, page_size)
    with app.connect(options.provider, options.profile, options.options) as connection:
        lister = cast("Lister", connection.fetcher)
        listing = collect(lister, query, options.limit, clock=app.clock, sleep=app.sleep)
        profile = connection.profile.name
    failed = _show(app, options, listing, profile)
    app.remember(options.provider, profile, listing.results)
    return failed or ExitCode.OK


def _show(app: AppContext, options: ListOptions, listing: Listing, profile: str) -> ExitCode | None:
    """The listing on stdout, what to know about it on stderr; the exit code of a task --jq failed on."""
    from taskctl.output_streams import reader_safe
    from taskctl.paging import MAX_PAGES
    from taskctl.render.output import Output

    if listing.capped:
        app.warn(f"stopped after {MAX_PAGES} pages: the service kept sending more tasks")
    if not listing.results and options.output == "table":  # as kubectl: an empty table is none, a line on stderr
        app.stderr_line(None, "", "no tasks match")
    output = Output(options.output, reader_safe(app.stdout), app.stdout_console, redact=app.redact, now=app.now,
                    profile=profile, jq=options.jq, plain_width=app.plain_width(app.stdout))
    failed = output.write_list(listing.results, lambda result, error: app.report(
        about(error, task_label(options.provider, result.task.task_id))))
    if listing.more and app.is_terminal(app.stdout):
        shown = len(listing.results)
        counted = f"{shown} of {listing.total}" if listing.total is not None else f"the first {shown}"
        app.stderr_line(None, "", f"showing {counted}; --limit or --all for more")
    return failed
