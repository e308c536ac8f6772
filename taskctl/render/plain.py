"""Piped views laid out without rich: the very lines rich prints when stdout is not a terminal.

There, rich lays the human views out with no colour, at a width nothing reaches (``context.PIPE_WIDTH``), so with
natural column widths and nothing wrapped, and ``Page`` strips the trailing blanks. Importing rich and laying out
with it costs about 20 ms, a fifth of such a command. The functions here build the same lines from plain strings,
and give up (``NotPlain``) wherever rich would do something they do not reproduce: a character rich might not count
as one cell, a line longer than the width, a title wider than its table. The caller then asks rich.
``tests/test_render_plain.py`` holds the two byte-identical on random tasks.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache
from typing import NamedTuple

# Characters rich counts as one cell in every Unicode version it knows (tests/test_render_plain.py asks rich):
# rich's own single-cell ranges (Latin, Greek, Cyrillic, box drawing and blocks, Braille), plus general
# punctuation (dashes, quotes, …, ·), currency signs and arrows (→). No control, combining, zero-width or wide one.
_ONE_CELL_RANGES = ((0x20, 0x7E), (0xA0, 0xAC), (0xAE, 0x2FF), (0x370, 0x482), (0x2010, 0x2027), (0x2030, 0x205E),
                    (0x20A0, 0x20C0), (0x2190, 0x21FF), (0x2500, 0x25FC), (0x2800, 0x28FF))
TREE_BRANCH, TREE_LAST, TREE_CONTINUE, TREE_SPACE = "├── ", "└── ", "│   ", "    "
HEAD_RULE = "─"  # box.SIMPLE_HEAD's line under the header


class NotPlain(Exception):
    """Rich would lay this out in a way the plain layout does not reproduce: ask rich."""


class Column(NamedTuple):
    """A column of a table as rich is told it: the header (None: no header row), the cells, the padding on its
    right, and the clamps of its width (None: none; ``max_width`` cuts longer cells with an ellipsis)."""

    header: str | None
    cells: Sequence[str]
    pad: int
    min_width: int | None = None
    max_width: int | None = None


@cache
def _one_cell() -> frozenset[str]:
    return frozenset(chr(code) for start, end in _ONE_CELL_RANGES for code in range(start, end + 1))


def cells(text: str) -> int:
    """How many terminal cells rich gives ``text``; NotPlain unless each of its characters is surely one."""
    if not (text.isascii() and text.isprintable()) and not _one_cell().issuperset(text):
        raise NotPlain(text)
    return len(text)


def checked(lines: list[str], width: int) -> list[str]:
    """``lines``, each measured as rich would and no wider than ``width`` (where rich would wrap or crop)."""
    if any(cells(line) > width for line in lines):
        raise NotPlain("wider than the page")
    return lines


def within(text: str, width: int) -> str:
    """A line of text rich lays out at ``width`` (a title over its table): kept only where nothing wraps."""
    if cells(text) > width:
        raise NotPlain("wraps")
    return text


def column_widths(columns: Sequence[Column]) -> list[int]:
    """rich's natural width of each column (``Table._calculate_column_widths`` when everything fits): its
    widest cell, header included, plus its padding, clamped, and 1 at the least."""
    widths = []
    for column in columns:
        texts = column.cells if column.header is None else [column.header, *column.cells]
        width = max((cells(text) for text in texts), default=0) + column.pad
        if column.min_width is not None:
            width = max(width, column.min_width + column.pad)
        if column.max_width is not None:
            width = min(width, column.max_width + column.pad)
        widths.append(width or 1)
    return widths


def table_lines(columns: Sequence[Column], widths: Sequence[int], divider: str, rule: bool) -> list[str]:
    """The header (when the columns have one), a rule under it when asked, and the rows: each cell left-justified
    in its column, cut with an ellipsis where longer, the columns joined by ``divider``."""
    rows: Iterable[Sequence[str]] = zip(*(column.cells for column in columns), strict=True)
    if columns and columns[0].header is not None:
        rows = [[column.header or "" for column in columns], *rows]
    lines = [divider.join(_fitted(cell, width - column.pad) + " " * column.pad
                          for cell, width, column in zip(row, widths, columns, strict=True)) for row in rows]
    if rule and columns and columns[0].header is not None:
        lines.insert(1, HEAD_RULE * (sum(widths) + len(divider) * (len(widths) - 1)))
    return lines


def _fitted(text: str, width: int) -> str:
    """``text`` in ``width`` cells, as rich's left-justified ``ellipsis`` overflow leaves it."""
    if len(text) > width:
        return text[: max(0, width - 1)] + "…"
    return text + " " * (width - len(text))


class TreeNode(NamedTuple):
    label: str
    children: list[TreeNode]


def tree_lines(root: TreeNode) -> list[str]:
    """The tree as rich draws it with its default guides (``├── ``, ``│   ``, ``└── ``) on a UTF-8 console."""
    lines = [root.label]
    _branches(root.children, "", lines)
    return lines


def _branches(nodes: list[TreeNode], prefix: str, lines: list[str]) -> None:
    for index, node in enumerate(nodes):
        last = index == len(nodes) - 1
        lines.append(prefix + (TREE_LAST if last else TREE_BRANCH) + node.label)
        _branches(node.children, prefix + (TREE_SPACE if last else TREE_CONTINUE), lines)
