"""What a watch shows while it waits, on stderr only (stdout is kept for the final task).

* On a terminal: one live line redrawn in place (rich ``Live``, transient: erased when the watch ends):
  spinner, provider task id and name, the state coloured as in the table, a progress bar where the
  provider reports progress, and the elapsed time.
* Anywhere else (a CI log, a pipe, a file), or with ``--debug`` (whose trace lines would tear a live
  display): one plain line per change of state or progress, e.g.
  ``taskctl: <provider> task T: running 40% (12s)``; nothing when nothing changed.

Transient errors are one warning line each, in both modes. Server text is made inert and redacted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from taskctl.commands.watch.loop import Clock, WatchObserver, seconds_text
from taskctl.errors import TaskctlError, task_label
from taskctl.model import State, Task, TaskResult
from taskctl.render.safe import inert

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions, RenderableType
    from rich.spinner import Spinner
    from rich.text import Text

    from taskctl.context import AppContext

REFRESH_PER_SECOND = 4
NAME_WIDTH = 40
MIN_LABEL = 6  # a label cut shorter than this says nothing


@contextmanager
def watch_display(app: AppContext, provider: str, task_id: str, clock: Clock) -> Iterator[WatchObserver]:
    """The observer for one watch: a live display on a terminal, plain change lines elsewhere."""
    label = task_label(provider, task_id)
    if not live_capable(app):
        yield PlainReporter(label, write_line=lambda line: _write_plain(app, line), warn=app.warn)
        return
    from rich.live import Live

    view = LiveView(label, clock, warn=app.warn, redact=app.redact)
    with Live(view, console=app.stderr_console(), transient=True, refresh_per_second=REFRESH_PER_SECOND,
              redirect_stdout=False, redirect_stderr=False):
        yield view


def live_capable(app: AppContext) -> bool:
    """A live display only on a real terminal (not merely FORCE_COLOR), not TERM=dumb, not under --debug."""
    if app.debug or not app.is_terminal(app.stderr):
        return False
    return app.environ.get("TERM", "") not in ("dumb", "unknown")


def _write_plain(app: AppContext, line: str) -> None:
    app.stderr.write(inert(app.redact(line)) + "\n")
    app.stderr.flush()


# --- shared wording ------------------------------------------------------------------------------------


def state_words(task: Task) -> str:
    """``running 40%``; an unknown state also names the raw status: ``unknown (6 UNKNOWN)``."""
    words = task.state.value
    if task.state == State.UNKNOWN:
        words += f" ({task.raw_status})"
    if task.progress is not None:
        words += f" {task.progress}%"
    return words


def retry_words(label: str, error: TaskctlError, retry_in: float) -> str:
    """``<provider> task 709: HTTP 502 ...; next poll in 5.0s`` (the task named once)."""
    message = error.message if error.message.startswith(label) else f"{label}: {error.message}"
    return f"{message}; next poll in {seconds_text(retry_in)}"


# --- not a terminal: one line per change ---------------------------------------------------------------


@dataclass
class PlainReporter:
    """One line per change of state or progress (and again after an error, to show the recovery)."""

    label: str
    write_line: Callable[[str], None]
    warn: Callable[[str], None]
    _last: tuple[str, str, int | None] | None = field(default=None, init=False)

    def polled(self, result: TaskResult, elapsed: float) -> None:
        task = result.task
        key = (task.state.value, task.raw_status, task.progress)
        if key == self._last:
            return
        self._last = key
        self.write_line(f"taskctl: {self.label}: {state_words(task)} ({seconds_text(elapsed)})")

    def failed(self, error: TaskctlError, elapsed: float, retry_in: float) -> None:
        self._last = None
        self.warn(retry_words(self.label, error, retry_in))


# --- a terminal: one line redrawn in place -------------------------------------------------------------


class LiveView:
    """The renderable rich ``Live`` redraws (its refresh thread calls ``__rich__``) and the observer."""

    def __init__(self, label: str, clock: Clock, *, warn: Callable[[str], None],
                 redact: Callable[[str], str]) -> None:
        self.label = label
        self._clock = clock
        self._started = clock()
        self._warn = warn
        self._redact = redact
        self._task: Task | None = None
        self._note = "waiting for the first answer"
        self._spinner: Spinner | None = None

    def polled(self, result: TaskResult, elapsed: float) -> None:
        self._task, self._note = result.task, ""

    def failed(self, error: TaskctlError, elapsed: float, retry_in: float) -> None:
        self._note = f"retrying in {seconds_text(retry_in)}"
        self._warn(retry_words(self.label, error, retry_in))

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> Iterator[RenderableType]:
        yield self.line(options.max_width)

    def line(self, width: int) -> Text:
        """The line at ``width`` columns: the richest layout that fits, dropping the least useful parts first
        (the name, then the bar, then the elapsed time and the note, then cutting the label); the state and the
        whole percentage stay at any width."""
        from rich.text import Text

        elapsed = seconds_text(self._clock() - self._started)
        for named, cells, timed in _LAYOUTS:
            title = self._title(named)
            rest = [*self._state_parts(cells), self._dim(self._note) if self._note and timed else None,
                    self._dim(elapsed) if timed else None]
            line = Text(" ").join([self._spinner_text(), title, *(part for part in rest if part is not None)])
            if line.cell_len <= width:
                return line
        # The leanest layout: the label cut to what is left beside the state, or left out.
        room = width - (line.cell_len - title.cell_len)
        title.truncate(room, overflow="ellipsis")
        parts = [self._spinner_text(), title] if room >= MIN_LABEL else [self._spinner_text()]
        line = Text(" ").join([*parts, *(part for part in rest if part is not None)])
        line.truncate(width, overflow="crop")
        return line

    def _spinner_text(self) -> Text:
        from rich.text import Text

        if self._spinner is None:
            from rich.spinner import Spinner

            self._spinner = Spinner("dots", style="cyan")
        frame = self._spinner.render(self._clock())
        return frame if isinstance(frame, Text) else Text(str(frame))

    def _title(self, named: bool = True) -> Text:
        from rich.text import Text

        title = Text(inert(self._redact(self.label)), style="bold")
        if named and self._task is not None and self._task.name:
            name = inert(self._redact(self._task.name))
            title.append(" · " + (name if len(name) <= NAME_WIDTH else name[:NAME_WIDTH - 1] + "…"))
        return title

    def _state_parts(self, cells: int) -> list[Text]:
        from taskctl.render.style import progress_text, state_text

        task = self._task
        if task is None:
            return []
        state = state_text(task.state)
        if task.state == State.UNKNOWN:
            state.append(f" ({inert(self._redact(task.raw_status))})", style="dim")
        return [state] if task.progress is None else [state, progress_text(task.progress, task.state, cells)]

    @staticmethod
    def _dim(text: str) -> Text:
        from rich.text import Text

        return Text(text, style="dim")


# From the richest live line to the leanest: (with the name, bar cells, with the elapsed time and the note).
_LAYOUTS = ((True, 20, True), (False, 20, True), (False, 10, True), (False, 0, True), (False, 0, False))
