"""Writes tasks in one output format to stdout, one at a time."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TextIO

from taskctl.model import TaskResult
from taskctl.render.formats import RENDERERS, Format
from taskctl.render.page import Page

if TYPE_CHECKING:
    from datetime import datetime

    from rich.console import Console

FORMATS = tuple(Format)


class Output:
    """Writes tasks in one format, one at a time, to stdout."""

    def __init__(self, fmt: str, stream: TextIO, console_factory: Callable[[], Console],
                 redact: Callable[[str], str] = lambda text: text, now: Callable[[], datetime] | None = None) -> None:
        self.fmt = Format(fmt)
        self.stream = stream
        # Human views hide a secret a server echoed back; --json stays exactly as received.
        self._page = Page(console_factory, redact, now)
        self._renderer = importlib.import_module(RENDERERS[self.fmt])
        self._count = 0

    def write(self, result: TaskResult) -> None:
        text = self._renderer.render_text(result, self._page)
        if self._count and self._renderer.SEPARATED:
            text = "\n" + text
        self.stream.write(text)
        self.stream.flush()
        self._count += 1

    def write_list(self, results: Sequence[TaskResult]) -> None:
        """The tasks of a listing: in the table format one table with a row per task; in every other format
        each task as ``write`` writes it (so a listing speaks every format `get` does)."""
        if self.fmt is not Format.table:
            for result in results:
                self.write(result)
            return
        from taskctl.render.listing import render_rows

        self.stream.write(render_rows(results, self._page))
        self.stream.flush()
