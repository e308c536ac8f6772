"""Plain record tables (profile list/show, auth status): bold headers, no box, every cell made safe."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text


def print_records(console: Console, columns: Sequence[str], rows: Sequence[Sequence[str | Text]]) -> None:
    """One row per record; text cells are made inert (a server or a file may have put controls in them)."""
    from rich.table import Table

    from taskctl.render.safe import safe_text

    table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(safe_text(cell) if isinstance(cell, str) else cell for cell in row))
    if console.is_terminal:
        console.print(table)
        return
    with console.capture() as captured:  # piped: no trailing blanks, as the task views
        console.print(table)
    console.file.write("".join(line.rstrip() + "\n" for line in captured.get().splitlines()))
    console.file.flush()
