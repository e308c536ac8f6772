"""The table of a listing (`list -o table`): one row per task, as kubectl and gh print lists: a header, no box,
columns as wide as they need, the name cut short first when the terminal is narrow."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from taskctl.model import Field, FieldKind, Task, TaskResult
from taskctl.render import plain
from taskctl.render.safe import inert, safe_text
from taskctl.render.style import state_text

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions, RenderResult
    from rich.table import Table
    from rich.text import Text

    from taskctl.render.page import Page

COLUMNS = ("ID", "NAME", "TYPE", "STATE", "CREATED")
NAME_ROOM = 20  # cells a name should have before the other columns give way
GAP = 2


def render_rows(results: Sequence[TaskResult], page: Page) -> str:
    """The tasks as one table (the provider's list columns after the shared ones); nothing for no task."""
    if not results:
        return ""
    tasks = [page.shown(result).task for result in results]
    now = page.now() or datetime.now(UTC)
    if page.plain_width is not None:
        try:
            return page.plain(plain_rows(tasks, now, page.plain_width))
        except plain.NotPlain:
            pass
    return page.lay_out(page.console(), _Rows(tasks, now))


class _Rows:
    """The rows, laid out once the width is known: ids, types and states are never cut; on a narrow terminal the
    provider's extra columns go first, then the creation time gives way to the age alone, then names wrap."""

    def __init__(self, tasks: list[Task], now: datetime) -> None:
        self.tasks, self.now = tasks, now

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        extra = [column.label.upper() for column in self.tasks[0].list_columns]
        rows = [self._row(task, len(extra), full=True) for task in self.tasks]
        if self._width(rows, extra) > options.max_width:
            extra, rows = [], [row[:5] for row in rows]
        if self._width(rows, extra) > options.max_width:
            rows = [self._row(task, 0, full=False) for task in self.tasks]
        yield self._table(rows, extra)

    def _row(self, task: Task, extra: int, full: bool) -> list[Text]:
        created = created_cell(task.created, self.now) if full else _age(task.created, self.now)
        return [safe_text(task.task_id), safe_text(task.name), safe_text(task.type_label), state_text(task.state),
                safe_text(created), *(_cell(column) for column in task.list_columns[:extra])]

    @staticmethod
    def _width(rows: list[list[Text]], extra: list[str]) -> int:
        """The width the table needs with names of at most NAME_ROOM cells."""
        headers = [*COLUMNS, *extra]
        widths = [max(len(headers[n]), *(row[n].cell_len for row in rows)) for n in range(len(headers))]
        widths[1] = min(widths[1], NAME_ROOM)
        return sum(widths) + GAP * (len(widths) - 1)

    @staticmethod
    def _table(rows: list[list[Text]], extra: list[str]) -> Table:
        from rich.table import Table

        table = Table(box=None, show_edge=False, pad_edge=False, padding=(0, GAP, 0, 0), header_style="bold",
                      collapse_padding=True)
        kept = ("ID", "STATE")  # never cut: the id is what a user types next, the state what they look for
        for index, column in enumerate((*COLUMNS, *extra)):
            wraps = column == "NAME"  # the one column that gives way
            width = max([len(column), *(row[index].cell_len for row in rows)]) if column in kept else len(column)
            table.add_column(safe_text(column), no_wrap=not wraps, overflow="fold" if wraps else "ellipsis",
                             min_width=None if wraps else width)
        for row in rows:
            table.add_row(*row)
        return table


def _age(moment: datetime | None, now: datetime) -> str:
    from taskctl.render.humanize import age

    return age(now - moment) if moment else ""


def created_cell(moment: datetime | None, now: datetime) -> str:
    """``2025-12-01 12:00 (6d 4h ago)`` in local time; empty when the service did not say."""
    from taskctl.render.humanize import age

    return f"{moment.astimezone():%Y-%m-%d %H:%M} ({age(now - moment)})" if moment else ""


def _cell(column: Field) -> Text:
    return safe_text(cell_text(column))


def cell_text(column: Field) -> str:
    """A provider's list column as shown (seconds as a duration)."""
    from taskctl.render.humanize import duration

    if column.kind is FieldKind.DURATION and column.value:
        try:
            return duration(float(column.value))
        except ValueError:
            pass
    return column.value


# --- the same table without rich, for a pipe (render/plain.py): keep it in step with _Rows above -----------------


def plain_rows(tasks: list[Task], now: datetime, width: int) -> list[str]:
    """``_Rows`` as rich lays it out off a terminal at ``width``, where every column keeps its natural width
    (plain.NotPlain where it cannot tell)."""
    headers = [*COLUMNS, *(column.label.upper() for column in tasks[0].list_columns)]
    rows = [[inert(task.task_id), inert(task.name), inert(task.type_label), task.state.value,
             inert(created_cell(task.created, now)), *(inert(cell_text(column))
                                                       for column in task.list_columns[:len(headers) - len(COLUMNS)])]
            for task in tasks]
    if any(len(row) != len(headers) for row in rows):
        raise plain.NotPlain("a task without every list column")
    columns = [plain.Column(inert(header), [row[index] for row in rows], 0 if index == len(headers) - 1 else GAP)
               for index, header in enumerate(headers)]
    return plain.checked(plain.table_lines(columns, plain.column_widths(columns), "", rule=False), width)
