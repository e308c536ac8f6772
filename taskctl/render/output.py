"""Writes tasks in one output format to stdout, one at a time."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING, TextIO

from taskctl.errors import ExitCode, TaskctlError
from taskctl.model import TaskResult
from taskctl.render.formats import JQ_FORMATS, RENDERERS, Format
from taskctl.render.page import Page

if TYPE_CHECKING:
    from datetime import datetime

    from rich.console import Console

    from taskctl.render.jqfilter import JqFilter

FORMATS = tuple(Format)


class Output:
    """Writes tasks in one format, one at a time, to stdout; with ``jq``, each task's JSON document goes through
    that jq program first (``json`` or ``summary`` only: ``jq_filter`` checks it before anything is fetched).
    ``plain_width``: see ``Page`` (``AppContext.plain_width(stream)``; None: rich lays out the human views)."""

    def __init__(self, fmt: str, stream: TextIO, console_factory: Callable[[], Console],
                 redact: Callable[[str], str] = lambda text: text, now: Callable[[], datetime] | None = None,
                 *, profile: str | None = None, jq: str | None = None, plain_width: int | None = None) -> None:
        self.fmt = Format(fmt)
        self.stream = stream
        # Human views hide a secret a server echoed back; --json stays exactly as received.
        self._page = Page(console_factory, redact, now, profile, plain_width=plain_width)
        self._renderer = importlib.import_module(RENDERERS[self.fmt])
        self._filter = jq_filter(self.fmt, jq)
        self._count = 0

    def write(self, result: TaskResult) -> None:
        text = self._renderer.render_text(result, self._page)
        if self._filter is not None:
            text = self._filter.apply(text, terminal=_is_terminal(self.stream))
        elif self._count and self._renderer.SEPARATED:
            text = "\n" + text
        self.stream.write(text)
        self.stream.flush()
        self._count += 1

    def write_or_report(self, result: TaskResult, report: Callable[[TaskctlError], None]) -> ExitCode | None:
        """``write``, where the --jq program failing on this task's document goes to ``report`` instead (so the
        caller goes on with the next task): that failure's exit code, or None."""
        try:
            self.write(result)
        except TaskctlError as error:
            report(error)
            return error.exit_code
        return None

    def write_list(self, results: Sequence[TaskResult],
                   report: Callable[[TaskResult, TaskctlError], None] | None = None) -> ExitCode | None:
        """The tasks of a listing: in the table format one table with a row per task; in every other format
        each task as ``write`` writes it (so a listing speaks every format `get` does). With ``report``, a task
        --jq fails on goes there and the next ones are still written: the exit code of the first."""
        failed: ExitCode | None = None
        if self.fmt is not Format.table:
            for result in results:
                if report is None:
                    self.write(result)
                else:
                    code = self.write_or_report(result, partial(report, result))
                    failed = failed or code
            return failed
        from taskctl.render.listing import render_rows

        self.stream.write(render_rows(results, self._page))
        self.stream.flush()
        return None


def jq_filter(fmt: Format, expression: str | None) -> JqFilter | None:
    """The compiled --jq program (None without one); a UsageError for a bad expression, or a format that is not
    JSON. Call it before the first request: an invalid expression must cost nothing."""
    if expression is None:
        return None
    from taskctl.errors import UsageError

    if fmt not in JQ_FORMATS:
        raise UsageError(f"--jq reads JSON: it works with -o json or -o summary, not -o {fmt.value}",
                         "drop -o (--jq implies -o json), or use -o summary")
    from taskctl.render.jqfilter import JqFilter

    return JqFilter(expression)


def _is_terminal(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed stream
        return False
