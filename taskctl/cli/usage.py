"""Usage errors (a bad option, a missing argument, an unknown command) in taskctl's two lines, not Click's four.

Click prints the usage, a hint, a blank line and then the error; SPEC wants every error in one or two plain lines
on stderr: what failed, then what to do. The exit code stays Click's (2).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any, TextIO, cast

from typer._click.exceptions import NoArgsIsHelpError, UsageError


class PlainUsageError(UsageError):
    """A usage error shown as ``taskctl: error: ...`` and ``taskctl: usage: ...``."""

    def show(self, file: IO[Any] | None = None) -> None:
        from taskctl.context import AppContext

        app = AppContext(environ=dict(os.environ), stdout=sys.stdout, stderr=cast(TextIO, file or sys.stderr),
                         stdin=None)
        app.stderr_line("error", "red", _sentence(self.message))
        if self.ctx is not None:
            usage = " ".join(self.ctx.get_usage().split()).removeprefix("Usage: ")
            app.stderr_line(None, "", f"usage: {usage} (more: {self.ctx.command_path} -h)")


@contextmanager
def plain_usage_errors() -> Iterator[None]:
    """Usage errors raised inside are shown in two lines (the help that a bare group shows stays as it is)."""
    try:
        yield
    except (PlainUsageError, NoArgsIsHelpError):
        raise
    except UsageError as error:
        raise PlainUsageError(error.format_message(), error.ctx) from error


def _sentence(message: str) -> str:
    """Click's message as taskctl writes its own: lower case first (not an acronym), no final full stop."""
    if message[:1].isupper() and message[1:2].islower():
        message = message[0].lower() + message[1:]
    return message.removesuffix(".")
