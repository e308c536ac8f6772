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

    def __init__(self, fmt: str, stream: TextIO, console_factory: Callable[[], Console]) -> None:
        self.fmt = fmt
        self.stream = stream
        self._console_factory = console_factory
        self._count = 0

    def write(self, result: TaskResult) -> None:
        if self.fmt == "json":
            from taskctl.render.json import render_json

            self.stream.write(render_json(result))
        elif self.fmt == "yaml":
            from taskctl.render.yaml import render_yaml

            self.stream.write(render_yaml(result))
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
            if console.is_terminal:
                console.print(renderable)
            else:
                with console.capture() as captured:
                    console.print(renderable)
                # Plain text for files and pipes: no padding spaces at line ends.
                self.stream.write("".join(line.rstrip() + "\n" for line in captured.get().splitlines()))
        self.stream.flush()
        self._count += 1
