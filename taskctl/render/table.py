"""-o table (the default): a summary of the task and a table per section, for an 80-column terminal."""

from __future__ import annotations

from typing import TYPE_CHECKING

from taskctl.model import FieldKind, Section, Task, TaskResult
from taskctl.render import plain
from taskctl.render.safe import inert, link_target, safe_text, shorten_url
from taskctl.render.style import STATE_STYLES, progress_parts, progress_text, state_text

if TYPE_CHECKING:
    from datetime import datetime

    from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
    from rich.table import Table
    from rich.text import Text

    from taskctl.render.page import Page

URL_WIDTH = 22  # shortened links in table columns; the whole URL is in -o json / tree
SUMMARY_URL_WIDTH = 60  # a summary line has room for the host
FIRST_COLUMN_WIDTH = 30
MIN_URL_WIDTH = 12  # a link cut shorter says nothing: the column goes instead
FIRST_READABLE_WIDTH = 24  # the first column says what the row is about: other columns go before it folds more
READABLE_WIDTH = 12  # below this a text column folds into a few characters a line: it goes instead


def render_table(task: Task, hyperlinks: bool = False, now: datetime | None = None) -> RenderableType:
    from rich.console import Group
    from rich.text import Text

    title = Text.assemble((f"{task.provider} task ", "bold"), safe_text(task.task_id, "bold"))
    if task.name:
        title.append(" · ")
        title.append_text(safe_text(task.name, "bold"))
    parts: list[RenderableType] = [title, _summary(task, hyperlinks, now)]
    for section in task.sections:
        parts += [Text(""), _section(section, hyperlinks)]
    return Group(*parts)


def _summary(task: Task, hyperlinks: bool, now: datetime | None) -> Table:
    from rich.table import Table

    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="dim", no_wrap=True)
    grid.add_column(overflow="fold")
    for item in task.summary:
        if item.kind is FieldKind.STATUS:
            value = safe_text(item.value + " → ").append_text(state_text(task.state))
        else:
            value = _value_cell(item.value, item.kind, hyperlinks, now)
        grid.add_row(safe_text(item.label), value)
        if item.kind is FieldKind.STATUS and task.progress is not None:
            grid.add_row("Progress", progress_text(task.progress, task.state))
    if not any(item.kind is FieldKind.STATUS for item in task.summary):
        grid.add_row("State", state_text(task.state))
        if task.progress is not None:
            grid.add_row("Progress", progress_text(task.progress, task.state))
    if task.message:
        grid.add_row("Message", safe_text(task.message, STATE_STYLES[task.state]))
    return grid


def _section(section: Section, hyperlinks: bool) -> RenderableType:
    from rich.text import Text

    if not section.rows:
        return Text.assemble(safe_text(section.title, "bold"), ("  none", "dim"))
    return _SectionTable(section, hyperlinks)


class _SectionTable:
    """A section's table, laid out once the available width is known."""

    def __init__(self, section: Section, hyperlinks: bool) -> None:
        self.section = section
        self.hyperlinks = hyperlinks

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield self._table(options.max_width)

    def _table(self, width: int) -> Table:
        from rich import box
        from rich.table import Table

        section = self.section
        shown = _columns_that_fit(section, width)
        count = section.item_count if section.item_count is not None else len(section.rows)
        hidden = [section.columns[position] for position in range(len(section.columns)) if position not in shown]
        title = safe_text(f"{section.title} ({count})")
        if hidden:
            title.append_text(safe_text(f"  ({', '.join(hidden)} hidden)", "dim"))
        table = Table(title=title, title_justify="left", title_style="bold",
                      box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, padding=(0, 1), collapse_padding=True)
        first_width = _first_column_width(section, width) if not hidden else None
        url_width = _url_width(section, shown, width)
        for position in shown:
            column = section.columns[position]
            if position in section.url_columns:
                table.add_column(safe_text(column), overflow="ellipsis", no_wrap=True, max_width=url_width)
            else:
                table.add_column(safe_text(column), overflow="fold",
                                 min_width=first_width if position == 0 else None)
        for row in section.rows:
            table.add_row(*(_url_cell(row[position], self.hyperlinks) if position in section.url_columns
                            else safe_text(row[position]) for position in shown))
        return table


def _first_column_width(section: Section, width: int) -> int | None:
    """Keep the first column (the name) whole when it is of a reasonable length and the rest still fits:
    rich would otherwise crop the last columns out of sight."""
    if not section.columns or 0 in section.url_columns:
        return None
    longest = min(max(len(row[0]) for row in section.rows), FIRST_COLUMN_WIDTH)
    others = sum(URL_WIDTH if position in section.url_columns else _longest_word(section, position)
                 for position in range(1, len(section.columns)))
    return longest if longest + others + 3 * (len(section.columns) - 1) <= width else None


def _columns_that_fit(section: Section, width: int) -> list[int]:
    """The columns to show at ``width``: all when each gets a readable width; else the least useful go first
    (links, then from the right), never the first (what the row is about)."""
    shown = list(range(len(section.columns)))
    order = [p for p in reversed(shown) if p in section.url_columns and p != 0]
    order += [p for p in reversed(shown) if p not in order and p != 0]
    for position in order:
        needed = sum(_readable_width(section, p) for p in shown) + 2 * (len(shown) - 1)
        if needed <= width:
            break
        shown.remove(position)
    return shown


def _readable_width(section: Section, position: int) -> int:
    """The narrowest a column may get and still be read: a link's short form, else its longest cell up to a
    dozen characters, two dozen for the first (longer cells fold onto more lines)."""
    if position in section.url_columns:
        return MIN_URL_WIDTH
    return min(_longest_cell(section, position), FIRST_READABLE_WIDTH if position == 0 else READABLE_WIDTH)


def _longest_cell(section: Section, position: int) -> int:
    cells = [section.columns[position], *(row[position] for row in section.rows)]
    return max((len(cell) for cell in cells), default=0)


def _url_width(section: Section, shown: list[int], width: int) -> int:
    """Links get what the text columns leave (they are cut with an ellipsis; text would fold instead)."""
    texts = sum(min(_longest_cell(section, p), FIRST_COLUMN_WIDTH) for p in shown if p not in section.url_columns)
    links = sum(1 for p in shown if p in section.url_columns) or 1
    left = (width - texts - 2 * (len(shown) - 1)) // links
    return max(MIN_URL_WIDTH, min(URL_WIDTH, left))


def _longest_word(section: Section, position: int) -> int:
    cells = [section.columns[position], *(row[position] for row in section.rows)]
    return max((len(word) for cell in cells for word in cell.split()), default=0)


def _value_cell(value: str, kind: FieldKind, hyperlinks: bool, now: datetime | None) -> Text:
    if kind is FieldKind.URL:
        return _url_cell(value, hyperlinks, SUMMARY_URL_WIDTH)
    return safe_text(value_text(value, kind, now))


def value_text(value: str, kind: FieldKind, now: datetime | None) -> str:
    """A summary value as shown (a link shortened, a time local with its age, seconds as a duration)."""
    from taskctl.render.humanize import duration, local_time

    if kind is FieldKind.URL:
        return shorten_url(value, SUMMARY_URL_WIDTH)
    if kind is FieldKind.TIME:
        return local_time(value, now)
    if kind is FieldKind.DURATION:
        try:
            return duration(float(value))
        except ValueError:
            return value
    return value


def _url_cell(url: str, hyperlinks: bool, width: int = URL_WIDTH) -> Text:
    from rich.style import Style

    text = safe_text(shorten_url(url, width))
    target = link_target(url) if hyperlinks else None
    if target:
        text.stylize(Style(link=target))
    return text


SEPARATED = True


def render_text(result: TaskResult, page: Page) -> str:
    task = page.shown(result).task
    if page.plain_width is not None:
        try:
            return page.plain(plain_table(task, page.now(), page.plain_width))
        except plain.NotPlain:
            pass
    console = page.console()
    return page.lay_out(console, render_table(task, hyperlinks=console.is_terminal, now=page.now()))


# --- the same view without rich, for a pipe (render/plain.py): keep it in step with the rich one above ---------


def plain_table(task: Task, now: datetime | None, width: int) -> list[str]:
    """``render_table`` as rich lays it out off a terminal at ``width`` (plain.NotPlain where it cannot tell)."""
    title = f"{task.provider} task " + inert(task.task_id)
    if task.name:
        title += " · " + inert(task.name)
    lines = [title, *_plain_summary(task, now)]
    for section in task.sections:
        lines += ["", *_plain_section(section, width)]
    return plain.checked(lines, width)


def _plain_summary(task: Task, now: datetime | None) -> list[str]:
    rows: list[tuple[str, str]] = []
    progress = "".join(progress_parts(task.progress)) if task.progress is not None else None
    for item in task.summary:
        if item.kind is FieldKind.STATUS:
            value = inert(item.value + " → ") + task.state.value
        else:
            value = inert(value_text(item.value, item.kind, now))
        rows.append((inert(item.label), value))
        if item.kind is FieldKind.STATUS and progress is not None:
            rows.append(("Progress", progress))
    if not any(item.kind is FieldKind.STATUS for item in task.summary):
        rows.append(("State", task.state.value))
        if progress is not None:
            rows.append(("Progress", progress))
    if task.message:
        rows.append(("Message", inert(task.message)))
    columns = [plain.Column(None, [label for label, _ in rows], 2), plain.Column(None, [value for _, value in rows], 0)]
    return plain.table_lines(columns, plain.column_widths(columns), "", rule=False)


def _plain_section(section: Section, width: int) -> list[str]:
    if not section.rows:
        return [inert(section.title) + "  none"]
    shown = _columns_that_fit(section, width)
    if not shown:
        return [""]  # rich draws a table without columns as an empty line, title and all left out
    count = section.item_count if section.item_count is not None else len(section.rows)
    hidden = [section.columns[position] for position in range(len(section.columns)) if position not in shown]
    title = inert(f"{section.title} ({count})")
    if hidden:
        title += inert(f"  ({', '.join(hidden)} hidden)")
    columns = _plain_columns(section, shown, width, hidden)
    widths = plain.column_widths(columns)
    table_width = sum(widths) + len(widths) - 1  # the columns and a divider between each two
    return [plain.within(title, table_width), *plain.table_lines(columns, widths, " ", rule=True)]


def _plain_columns(section: Section, shown: list[int], width: int, hidden: list[str]) -> list[plain.Column]:
    first_width = _first_column_width(section, width) if not hidden else None
    url_width = _url_width(section, shown, width)
    columns = []
    for index, position in enumerate(shown):
        pad = 0 if index == len(shown) - 1 else 1
        header = inert(section.columns[position])
        if position in section.url_columns:
            cells = [inert(shorten_url(row[position], URL_WIDTH)) for row in section.rows]
            columns.append(plain.Column(header, cells, pad, max_width=url_width))
        else:
            cells = [inert(row[position]) for row in section.rows]
            columns.append(plain.Column(header, cells, pad, min_width=first_width if position == 0 else None))
    return columns
