"""-o table (the default): a summary of the task and a table per section, for an 80-column terminal."""

from __future__ import annotations

from typing import TYPE_CHECKING

from taskctl.model import Section, State, Task
from taskctl.render.safe import link_target, safe_text, shorten_url

if TYPE_CHECKING:
    from rich.console import RenderableType
    from rich.table import Table
    from rich.text import Text

URL_WIDTH = 22  # shortened links; the whole URL is in -o json / tree
FIRST_COLUMN_WIDTH = 30
STATE_STYLES = {State.PENDING: "blue", State.RUNNING: "yellow", State.SUCCEEDED: "green",
                State.PARTIAL: "yellow", State.FAILED: "red", State.CANCELED: "magenta",
                State.UNKNOWN: "magenta"}


def render_table(task: Task, hyperlinks: bool = False) -> RenderableType:
    from rich.console import Group
    from rich.text import Text

    title = Text.assemble((f"{task.provider} task ", "bold"), safe_text(task.task_id, "bold"))
    if task.name:
        title.append(" · ")
        title.append_text(safe_text(task.name, "bold"))
    parts: list[RenderableType] = [title, _summary(task, hyperlinks)]
    for section in task.sections:
        parts += [Text(""), _section(section, hyperlinks)]
    return Group(*parts)


def state_text(state: State) -> Text:
    from rich.text import Text

    return Text(state.value, style=f"bold {STATE_STYLES[state]}")


def _summary(task: Task, hyperlinks: bool) -> Table:
    from rich.table import Table

    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="dim", no_wrap=True)
    grid.add_column(overflow="fold")
    for item in task.summary:
        if item.kind == "status":
            value = safe_text(item.value + " → ").append_text(state_text(task.state))
        else:
            value = _value_cell(item.value, item.kind, hyperlinks)
        grid.add_row(item.label, value)
        if item.kind == "status" and task.progress is not None:
            grid.add_row("Progress", _progress(task.progress))
    if not any(item.kind == "status" for item in task.summary):
        grid.add_row("State", state_text(task.state))
        if task.progress is not None:
            grid.add_row("Progress", _progress(task.progress))
    if task.message:
        grid.add_row("Message", safe_text(task.message, STATE_STYLES[task.state]))
    return grid


def _section(section: Section, hyperlinks: bool) -> RenderableType:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    if not section.rows:
        return Text.assemble((section.title, "bold"), ("  none", "dim"))
    count = section.count if section.count is not None else len(section.rows)
    table = Table(title=f"{section.title} ({count})", title_justify="left", title_style="bold",
                  box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, padding=(0, 1), collapse_padding=True)
    for position, column in enumerate(section.columns):
        if position in section.url_columns:
            table.add_column(column, overflow="ellipsis", no_wrap=True, max_width=URL_WIDTH)
        else:
            # Keep the first column (the name) whole when it is of a reasonable length.
            longest = max((len(row[position]) for row in section.rows), default=0) if position == 0 else 0
            table.add_column(column, overflow="fold", min_width=min(longest, FIRST_COLUMN_WIDTH) or None)
    for row in section.rows:
        table.add_row(*(_url_cell(cell, hyperlinks) if position in section.url_columns else safe_text(cell)
                        for position, cell in enumerate(row)))
    return table


def _value_cell(value: str, kind: str, hyperlinks: bool) -> Text:
    from taskctl.render.humanize import duration, local_time

    if kind == "url":
        return _url_cell(value, hyperlinks)
    if kind == "time":
        return safe_text(local_time(value))
    if kind == "duration":
        try:
            return safe_text(duration(float(value)))
        except ValueError:
            return safe_text(value)
    return safe_text(value)


def _url_cell(url: str, hyperlinks: bool) -> Text:
    from rich.style import Style

    text = safe_text(shorten_url(url, URL_WIDTH))
    target = link_target(url) if hyperlinks else None
    if target:
        text.stylize(Style(link=target))
    return text


def _progress(percent: int) -> Text:
    from rich.text import Text

    clamped = max(0, min(100, percent))
    filled = round(clamped / 5)
    return Text.assemble(("█" * filled, "green"), ("░" * (20 - filled), "dim"), f" {percent}%")
