"""What a watch of several tasks shows while it waits, on stderr only (stdout is kept for the final tasks).

* On a terminal: a live table redrawn in place (rich ``Live``, transient), a line of counts and one row per task
  in argument order: a mark (spinner, ✓ or ✗), the id, the name, the state coloured as in the table, the progress
  bar of ``render/style.py`` where the provider reports progress, and the elapsed time. A finished row stays, with
  its outcome and the time it took.
* Anywhere else, or with ``--debug``: one plain line per change of each task, as a single watch writes them.

Observers are called from the worker threads that poll; every change is made under one lock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from taskctl.commands.watch.loop import Clock, WatchObserver, WatchOutcome, seconds_text
from taskctl.commands.watch.view import PlainReporter, live_capable, retry_words
from taskctl.errors import ExitCode, TaskctlError, task_label
from taskctl.model import State, Task, TaskResult
from taskctl.render.safe import inert
from taskctl.render.style import PROGRESS_CELLS

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
    from rich.table import Table
    from rich.text import Text

    from taskctl.context import AppContext

REFRESH_PER_SECOND = 4
WIDE = 100  # from this width on, the progress bar has its full length
NARROW_BAR = 10


class Board(Protocol):
    """The observers of every watched task, and what the watch tells about each end."""

    def observer(self, task_id: str) -> WatchObserver:
        """The observer of the next task, asked for in argument order."""

    def finished(self, index: int, outcome: WatchOutcome | None, error: TaskctlError | None) -> None:
        """Task ``index`` (argument order) is over: its outcome, or the error that ended its watch."""

    def round_over(self) -> None:
        """Every poll of a round has answered (what the round's polls said may now be shown in argument order)."""


@contextmanager
def board_display(app: AppContext, provider: str, task_ids: tuple[str, ...], clock: Clock) -> Iterator[Board]:
    """A live table on a terminal, plain change lines elsewhere."""
    if not live_capable(app):
        yield PlainBoard(app, provider)
        return
    from rich.live import Live

    board = LiveBoard(provider, task_ids, clock, warn=app.warn, redact=app.redact)
    with Live(board, console=app.stderr_console(), transient=True, refresh_per_second=REFRESH_PER_SECOND,
              redirect_stdout=False, redirect_stderr=False):
        yield board


class PlainBoard:
    """A single watch's change lines for each task; those of one round in argument order (polls answer in any)."""

    def __init__(self, app: AppContext, provider: str) -> None:
        self._app, self._provider, self._lock = app, provider, threading.Lock()
        self._lines: list[list[Callable[[], None]]] = []

    def observer(self, task_id: str) -> WatchObserver:
        lines: list[Callable[[], None]] = []
        self._lines.append(lines)

        def write(line: str) -> None:
            with self._lock:
                lines.append(lambda: self._write(line))

        def warn(message: str) -> None:
            with self._lock:
                lines.append(lambda: self._app.warn(message))

        return PlainReporter(task_label(self._provider, task_id), write_line=write, warn=warn)

    def _write(self, line: str) -> None:
        self._app.stderr.write(inert(self._app.redact(line)) + "\n")
        self._app.stderr.flush()

    def finished(self, index: int, outcome: WatchOutcome | None, error: TaskctlError | None) -> None:
        pass  # the change lines said it; the verdicts follow the tasks

    def round_over(self) -> None:
        with self._lock:
            pending = [show for lines in self._lines for show in lines]
            for lines in self._lines:
                lines.clear()
        for show in pending:
            show()


@dataclass
class _Row:
    task_id: str
    task: Task | None = None
    note: str = "waiting for the first answer"
    ended_after: float | None = None  # seconds from the start, once over
    verdict: ExitCode | None = None


class _RowObserver:
    def __init__(self, board: LiveBoard, row: _Row) -> None:
        self._board, self._row = board, row

    def polled(self, result: TaskResult, elapsed: float) -> None:
        with self._board.lock:
            self._row.task, self._row.note = result.task, ""

    def failed(self, error: TaskctlError, elapsed: float, retry_in: float) -> None:
        with self._board.lock:
            self._row.note = f"retrying in {seconds_text(retry_in)}"
        self._board.warn(retry_words(task_label(self._board.provider, self._row.task_id), error, retry_in))


class LiveBoard:
    """The renderable rich ``Live`` redraws (its refresh thread calls ``__rich_console__``), and the observers."""

    def __init__(self, provider: str, task_ids: tuple[str, ...], clock: Clock, *, warn: Callable[[str], None],
                 redact: Callable[[str], str]) -> None:
        self.provider = provider
        self.rows = [_Row(task_id) for task_id in task_ids]
        self._pending = list(range(len(self.rows)))  # observers are handed out in argument order
        self._clock, self._started, self.warn, self._redact = clock, clock(), warn, redact
        self.lock = threading.Lock()
        self._spinners: dict[int, RenderableType] = {}

    def observer(self, task_id: str) -> WatchObserver:
        return _RowObserver(self, self.rows[self._pending.pop(0)])

    def round_over(self) -> None:
        pass  # the table shows every change as it comes

    def finished(self, index: int, outcome: WatchOutcome | None, error: TaskctlError | None) -> None:
        with self.lock:
            row = self.rows[index]
            row.ended_after = self._clock() - self._started
            if outcome is not None:
                row.task, row.verdict, row.note = outcome.result.task, outcome.exit_code, ""
                if outcome.timed_out:
                    row.note = "timed out"
            elif error is not None:
                row.verdict, row.note = error.exit_code, inert(self._redact(error.message))

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        with self.lock:
            shown = self._fitting(max(2, console.height - 2))  # the counts line, and rich's own "..." line
            yield self._counts()
            yield self._table(options.max_width, shown)
            hidden = len(self.rows) - len(shown)
            if hidden:
                yield self._hidden_line(shown, hidden)

    def _fitting(self, room: int) -> list[int]:
        """The rows that fit ``room`` lines (one kept for the line that counts the others), in argument order:
        every row when they fit; else the unfinished ones first, then those finished last."""
        if len(self.rows) <= room:
            return list(range(len(self.rows)))
        running = [index for index, row in enumerate(self.rows) if row.verdict is None]
        finished = sorted((index for index, row in enumerate(self.rows) if row.verdict is not None),
                          key=lambda index: self.rows[index].ended_after or 0.0, reverse=True)
        return sorted((running + finished)[:room - 1])

    def _hidden_line(self, shown: list[int], hidden: int) -> Text:
        from rich.text import Text

        unseen = [row for index, row in enumerate(self.rows) if index not in set(shown)]
        finished = sum(1 for row in unseen if row.verdict is not None)
        words = f"… {hidden} more not shown"
        if finished:
            words += f" ({finished} finished)"
        return Text(words, style="dim")

    def _counts(self) -> Text:
        from rich.text import Text

        done = [row for row in self.rows if row.verdict is not None]
        bad = sum(1 for row in done if row.verdict != ExitCode.OK)
        text = Text(f"{len(done)} of {len(self.rows)} done", style="bold")
        if bad:
            text.append(f" · {bad} not succeeded", style="bold red")
        text.append(f" · {seconds_text(self._clock() - self._started)}", style="dim")
        return text

    def _table(self, width: int, shown: list[int]) -> Table:
        from rich.table import Table

        cells = PROGRESS_CELLS if width >= WIDE else NARROW_BAR
        rows = [(self._mark(index, self.rows[index]), self._text(self.rows[index].task_id),
                 self._name(self.rows[index]), self._state(self.rows[index]),
                 self._detail(self.rows[index], cells), self._elapsed(self.rows[index])) for index in shown]
        # The id and the state are never cut: a long name gives way first (then the progress or note).
        widths = [max((_cells(row[column]) for row in rows), default=0) for column in range(6)]
        name_room = max(8, width - sum(widths) + widths[2] - 5)  # 5: the gaps between the six columns
        table = Table.grid(padding=(0, 1))
        table.add_column(no_wrap=True, min_width=1)  # mark
        table.add_column(no_wrap=True, style="bold", min_width=widths[1])  # id
        table.add_column(no_wrap=True, overflow="ellipsis", max_width=name_room)  # name
        table.add_column(no_wrap=True, min_width=widths[3])  # state
        table.add_column(no_wrap=True, overflow="ellipsis")  # progress or note
        table.add_column(no_wrap=True, justify="right", style="dim")  # elapsed
        for row in rows:
            table.add_row(*row)
        return table

    def _mark(self, index: int, row: _Row) -> RenderableType:
        from rich.text import Text

        if row.verdict is None:
            if index not in self._spinners:
                from rich.spinner import Spinner

                self._spinners[index] = Spinner("dots", style="cyan")
            return self._spinners[index]
        good = row.verdict == ExitCode.OK
        return Text("✓" if good else "✗", style="bold green" if good else "bold red")

    def _text(self, value: str) -> Text:
        from rich.text import Text

        return Text(inert(self._redact(value)))

    def _name(self, row: _Row) -> Text:
        return self._text(row.task.name if row.task is not None else "")

    def _state(self, row: _Row) -> RenderableType:
        from rich.text import Text

        from taskctl.render.style import state_text

        if row.task is None:
            return Text("error" if row.verdict is not None else "", style="bold red")
        state = state_text(row.task.state)
        if row.task.state == State.UNKNOWN:
            state.append(f" ({inert(self._redact(row.task.raw_status))})", style="dim")
        return state

    def _detail(self, row: _Row, cells: int) -> RenderableType:
        from rich.text import Text

        from taskctl.render.style import progress_text

        if row.note:
            return Text(row.note, style="dim")
        if row.task is not None and row.task.progress is not None:
            return progress_text(row.task.progress, row.task.state, cells)
        return Text("")

    def _elapsed(self, row: _Row) -> str:
        seconds = row.ended_after if row.ended_after is not None else self._clock() - self._started
        return seconds_text(seconds)


def _cells(renderable: RenderableType) -> int:
    """The cells a cell's text takes (a spinner: one)."""
    if isinstance(renderable, str):
        from rich.cells import cell_len

        return cell_len(renderable)
    return getattr(renderable, "cell_len", 1)
