"""What a renderer works with: the task made safe to show, and layout into text (by rich, or plain lines piped)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from enum import Enum
from typing import TYPE_CHECKING, Any

from taskctl.model import TaskResult
from taskctl.render.safe import inert

if TYPE_CHECKING:
    from datetime import datetime

    from rich.console import Console, RenderableType


class Page:
    """What a renderer may use to turn one task into text: redaction, a safe copy of the task, and layout by
    rich on a console of its own that writes to memory (laid out like the real one: width, colours, terminal or
    not), so rich never writes or flushes the real stream itself, where a closed pipe would raise SystemExit(1).

    ``plain_width``: the width at which rich would lay out off a terminal, with nothing in the environment that
    changes how (``AppContext.plain_width``); there a renderer may give plain lines instead (``render/plain.py``),
    without importing rich. None: rich lays out every view."""

    def __init__(self, console_factory: Callable[[], Console], redact: Callable[[str], str],
                 now: Callable[[], datetime] | None = None, profile: str | None = None, *,
                 plain_width: int | None = None) -> None:
        self._console_factory = console_factory
        self.redact = redact
        self._now = now
        self.profile = profile  # the profile the tasks were fetched with (the summary names it)
        self.plain_width = plain_width

    def now(self) -> datetime | None:
        """The time ages are counted from (None: the wall clock when shown)."""
        return self._now() if self._now else None

    def shown(self, result: TaskResult) -> TaskResult:
        """The task with every string in it, keys and labels included, redacted and made inert."""
        shown: TaskResult = map_strings(result, lambda text: inert(self.redact(text)))
        return shown

    def console(self) -> Console:
        return offscreen(self._console_factory())

    def lay_out(self, console: Console, renderable: RenderableType) -> str:
        """``renderable`` as text from an offscreen ``console``; plain lines (no trailing blanks) off a terminal."""
        console.print(renderable)
        text: str = console.file.getvalue()  # type: ignore[attr-defined]
        if not console.is_terminal:
            text = _without_trailing_blanks(text)
        return self.redact(text)

    def plain(self, lines: Iterable[str]) -> str:
        """Lines laid out without rich (at ``plain_width``), finished as ``lay_out`` finishes rich's."""
        return self.redact(_without_trailing_blanks("".join(line + "\n" for line in lines)))


def _without_trailing_blanks(text: str) -> str:
    return "".join(line.rstrip() + "\n" for line in text.splitlines())


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
    if isinstance(value, tuple) and hasattr(value, "_make"):  # a record of the model (a NamedTuple)
        return value._make(map_strings(item, change) for item in value)
    if isinstance(value, list | tuple):
        return type(value)(map_strings(item, change) for item in value)
    return value
