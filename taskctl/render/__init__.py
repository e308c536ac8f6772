"""Output formats. Each renderer takes TaskResults and writes to one stream; none reads provider keys."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TextIO

from taskctl.model import TaskResult

if TYPE_CHECKING:
    from rich.console import Console, RenderableType

FORMATS = ("table", "tree", "json", "yaml")


class Output:
    """Writes tasks in one format, one at a time, to stdout (a plain stream, or a rich Console)."""

    def __init__(self, fmt: str, stream: TextIO, console_factory: Callable[[], Console],
                 redact: Callable[[str], str] = lambda text: text) -> None:
        self.fmt = fmt
        self.stream = stream
        self._console_factory = console_factory
        # Human views hide a secret a server echoed back; --json stays exactly as received.
        self._redact = redact
        self._count = 0

    def write(self, result: TaskResult) -> None:
        if self.fmt == "json":
            from taskctl.render.json import render_json

            self.stream.write(render_json(result))
        elif self.fmt == "yaml":
            from taskctl.render.yaml import render_yaml

            self.stream.write(self._redact(render_yaml(result)))
        else:
            console = self._console_factory()
            if self._count:
                self.stream.write("\n")
            renderable: RenderableType
            if self.fmt == "tree":
                from taskctl.render.tree import render_tree

                renderable = render_tree(result)
            else:
                from taskctl.render.table import render_table

                renderable = render_table(result.task, hyperlinks=console.is_terminal)
            with console.capture() as captured:
                console.print(renderable)
            text = self._redact(captured.get())
            if not console.is_terminal:  # plain text for files and pipes: no padding spaces at line ends
                text = "".join(line.rstrip() + "\n" for line in text.splitlines())
            self.stream.write(text)
        self.stream.flush()
        self._count += 1
