"""Output formats. Each renderer takes TaskResults and writes to one stream; none reads provider keys."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TextIO

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
        if self.fmt != "json":
            result = hide_secrets(result, self._redact)
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


def hide_secrets(result: TaskResult, redact: Callable[[str], str]) -> TaskResult:
    """The same task with every string passed through ``redact``, before any layout can wrap a secret."""
    from dataclasses import replace

    def clean(value: Any) -> Any:
        if isinstance(value, str):
            return redact(value)
        if isinstance(value, dict):
            return {clean(key): clean(item) for key, item in value.items()}
        if isinstance(value, list):
            return [clean(item) for item in value]
        return value

    task = result.task
    task = replace(task, task_id=redact(task.task_id), name=redact(task.name),
                   message=redact(task.message) if task.message else task.message,
                   summary=tuple(replace(item, value=redact(item.value)) for item in task.summary),
                   sections=tuple(replace(section, rows=tuple(tuple(redact(cell) for cell in row)
                                                              for row in section.rows))
                                  for section in task.sections))
    return replace(result, raw=clean(result.raw), task=task,
                   companions=tuple((name, clean(value)) for name, value in result.companions))
