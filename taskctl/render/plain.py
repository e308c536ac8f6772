"""Piped views laid out without rich: the very lines rich prints when stdout is not a terminal.

There, rich lays the human views out with no colour, at a width nothing reaches (``context.PIPE_WIDTH``), so with
natural column widths and nothing wrapped, and ``Page`` strips the trailing blanks. Importing rich and laying out
with it costs about 20 ms, a fifth of such a command. The functions here build the same lines from plain strings,
and give up (``NotPlain``) wherever rich would do something they do not reproduce: a character whose width rich
might count otherwise (combining, zero-width, emoji, control), a line longer than the width, a title wider than its
table. The caller then asks rich.
``tests/test_render_plain.py`` holds the two byte-identical on random tasks.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from functools import cache
from typing import NamedTuple

# Characters rich counts as one cell in every Unicode version it knows (tests/test_render_plain.py asks rich):
# rich's own single-cell ranges (Latin, Greek, Cyrillic, box drawing and blocks, Braille), plus general
# punctuation (dashes, quotes, …, ·), currency signs and arrows (→). No control, combining or zero-width one.
_ONE_CELL_RANGES = ((0x20, 0x7E), (0xA0, 0xAC), (0xAE, 0x2FF), (0x370, 0x482), (0x2010, 0x2027), (0x2030, 0x205E),
                    (0x20A0, 0x20C0), (0x2190, 0x21FF), (0x2500, 0x25FC), (0x2800, 0x28FF))
# And those it counts as two in every version: CJK punctuation, kana, Hangul, the CJK ideographs of Unicode 4.1,
# fullwidth forms (task names in Chinese, Japanese or Korean). No emoji: their width depends on what follows.
_TWO_CELL_RANGES = ((0x3000, 0x3029), (0x3030, 0x303E), (0x3041, 0x3096), (0x309B, 0x30FF), (0x3131, 0x3163),
                    (0x3165, 0x318E), (0x3400, 0x4DB5), (0x4E00, 0x9FBB), (0xAC00, 0xD7A3), (0xFE30, 0xFE4F),
                    (0xFF01, 0xFF60), (0xFFE0, 0xFFE6))
_TWO_CELL_STARTS = tuple(start for start, _ in _TWO_CELL_RANGES)
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
    """How many terminal cells rich gives ``text``; NotPlain unless each of its characters surely takes one or
    surely two."""
    if text.isascii() and text.isprintable():
        return len(text)
    one = _one_cell()
    if one.issuperset(text):
        return len(text)
    return sum(1 if character in one else _two(character) for character in text)


def _two(character: str) -> int:
    code = ord(character)
    index = bisect_right(_TWO_CELL_STARTS, code) - 1
    if index < 0 or code > _TWO_CELL_RANGES[index][1]:
        raise NotPlain(character)
    return 2


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
    size = cells(text)
    if size <= width:
        return text + " " * (width - size)
    return _cut(text, width - 1) + "…"


def _cut(text: str, width: int) -> str:
    """The first ``width`` cells of ``text`` (rich's ``set_cell_size``: a wide character across the edge is a
    space)."""
    kept = 0
    for index, character in enumerate(text):
        size = cells(character)
        if kept + size > width:
            return text[:index] + " " * (width - kept)
        kept += size
    return text


class TreeNode(NamedTuple):
    """A node of a tree: its label on one line, and its children."""

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
