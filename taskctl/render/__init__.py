"""Output formats. Each renderer takes TaskResults and writes to one stream; none reads provider keys."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from enum import Enum
from typing import TYPE_CHECKING, Any, TextIO

from taskctl.model import TaskResult
from taskctl.render.safe import inert

if TYPE_CHECKING:
    from rich.console import Console, RenderableType

FORMATS = ("table", "tree", "json", "yaml")


class Output:
    """Writes tasks in one format, one at a time, to stdout.

    The human views are laid out by rich on a console of their own that writes to memory (laid out like
    the one given: width, colours, terminal or not); the text then goes to ``stream`` in one write. So rich
    never writes or flushes the real stream itself, where a closed pipe would make it raise SystemExit(1).
    """

    def __init__(self, fmt: str, stream: TextIO, console_factory: Callable[[], Console],
                 redact: Callable[[str], str] = lambda text: text) -> None:
        self.fmt = fmt
        self.stream = stream
        self._console_factory = console_factory
        # Human views hide a secret a server echoed back; --json stays exactly as received.
        self._redact = redact
        self._count = 0

    def write(self, result: TaskResult) -> None:
        text = self._text(result)
        if self._count and self.fmt in ("table", "tree"):
            text = "\n" + text
        self.stream.write(text)
        self.stream.flush()
        self._count += 1

    def _text(self, result: TaskResult) -> str:
        if self.fmt == "json":
            from taskctl.render.json import render_json

            return render_json(result)
        if self.fmt == "yaml":
            from taskctl.render.yaml import render_yaml

            # YAML escapes terminal controls itself (valid YAML that reads back as the same values).
            return self._redact(render_yaml(map_strings(result, self._redact)))
        # Every string in the task, keys and labels included, is redacted and made inert before any layout.
        shown = map_strings(result, lambda text: inert(self._redact(text)))
        return self._redact(self._layout(shown))

    def _layout(self, result: TaskResult) -> str:
        console = offscreen(self._console_factory())
        renderable: RenderableType
        if self.fmt == "tree":
            from taskctl.render.tree import render_tree

            renderable = render_tree(result)
        else:
            from taskctl.render.table import render_table

            renderable = render_table(result.task, hyperlinks=console.is_terminal)
        console.print(renderable)
        text = console.file.getvalue()  # type: ignore[attr-defined]
        if not console.is_terminal:  # plain text for files and pipes: no padding spaces at line ends
            text = "".join(line.rstrip() + "\n" for line in text.splitlines())
        return text


def offscreen(console: Console) -> Console:
    """A console that lays out exactly as ``console`` would, but writes into memory."""
    import io

    from rich.console import Console

    return Console(file=io.StringIO(), width=console.width, height=console.height,
                   color_system=console.color_system,  # type: ignore[arg-type]
                   force_terminal=console.is_terminal, force_interactive=False, force_jupyter=False,
                   no_color=console.no_color, legacy_windows=False, soft_wrap=console.soft_wrap,
                   tab_size=console.tab_size, safe_box=console.safe_box,
                   highlight=False, markup=False, emoji=False)


def map_strings(value: Any, change: Callable[[str], str]) -> Any:
    """``value`` (a TaskResult, a Task, a raw object) with every string in it, dict keys included, passed
    through ``change``; numbers, states and other values as they are."""
    if isinstance(value, Enum):
        return value
    if isinstance(value, str):
        return change(value)
    if isinstance(value, dict):
        return {map_strings(key, change): map_strings(item, change) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(map_strings(item, change) for item in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {field.name: map_strings(getattr(value, field.name), change)
                   for field in dataclasses.fields(value)}
        return dataclasses.replace(value, **changes)
    return value
