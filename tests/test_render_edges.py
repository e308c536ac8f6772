"""Drawing at the edges: one progress bar coloured by state, visible without colour; narrow terminals keep the
state and the whole percentage; piped trees are not wrapped."""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console

from taskctl.commands.watch.view import LiveView
from taskctl.model import State, Task, TaskResult
from taskctl.render.output import Output

ANSI = re.compile(r"\x1b\[[0-9;]*m")
RED, GREEN = "31", "32"


def koodrive_like(state: State, progress: int, name: str = "quarterly report package") -> TaskResult:
    return TaskResult(raw={}, task=Task("koodrive", "task-advancing", name, "package download", "1", state,
                                        progress=progress))


def table(result: TaskResult, *, width: int = 80, colour: bool = True, no_color: bool = False) -> str:
    stream = io.StringIO()
    console = Console(file=stream, force_terminal=True, width=width, color_system="standard" if colour else None,
                      no_color=no_color, highlight=False, markup=False, emoji=False)
    Output("table", stream, lambda: console).write(result)
    return stream.getvalue()


def live(result: TaskResult, width: int, *, colour: bool = False, no_color: bool = False) -> str:
    now = [0.0]
    view = LiveView("koodrive task task-advancing", lambda: now[0], warn=lambda _line: None, redact=lambda text: text)
    view.polled(result, 1.0)
    now[0] = 12.0
    console = Console(file=io.StringIO(), width=width, color_system="standard" if colour else None,
                      force_terminal=True, no_color=no_color)
    console.print(view)
    return console.file.getvalue()  # type: ignore[attr-defined]


def _bar_colour(text: str) -> str:
    match = re.search(r"\x1b\[([0-9;]*)m█", text)
    assert match, text
    return match.group(1).split(";")[-1]


@pytest.mark.parametrize(("state", "colour"), [(State.FAILED, RED), (State.SUCCEEDED, GREEN)])
def test_the_bar_takes_the_states_colour_in_the_table_and_the_live_line(state: State, colour: str) -> None:
    result = koodrive_like(state, 40)
    assert _bar_colour(table(result)) == colour
    assert _bar_colour(live(result, 120, colour=True)) == colour


def test_the_table_and_the_live_line_draw_the_same_bar() -> None:
    result = koodrive_like(State.RUNNING, 40)
    bar = "████████░░░░░░░░░░░░ 40%"
    assert bar in ANSI.sub("", table(result)) and bar in live(result, 120)


def test_without_colour_the_empty_part_stays_visible() -> None:
    result = koodrive_like(State.RUNNING, 25)
    for text in (table(result, no_color=True), table(result, colour=False), live(result, 120, no_color=True)):
        assert "█████░░░░░░░░░░░░░░░ 25%" in ANSI.sub("", text)


@pytest.mark.parametrize("width", [200, 80, 60, 50, 45, 40, 30, 24])
def test_the_live_line_keeps_the_state_and_the_whole_percent_at_any_width(width: int) -> None:
    line = live(koodrive_like(State.RUNNING, 50), width).rstrip("\n")
    assert len(line) <= width and "\n" not in line
    assert re.search(r" running (█*░* )?50%", line), line
    if width >= 40:
        assert "koodrive task" in line


def test_the_live_line_drops_the_name_then_the_bar_then_the_time() -> None:
    assert "quarterly report package" in live(koodrive_like(State.RUNNING, 50), 200)
    at_60 = live(koodrive_like(State.RUNNING, 50), 60)
    assert "quarterly" not in at_60 and "░" in at_60 and "12s" in at_60
    at_45 = live(koodrive_like(State.RUNNING, 50), 45)
    assert "░" not in at_45 and "running 50%" in at_45


def test_at_40_columns_tables_drop_links_and_minor_columns_before_folding_names(cli) -> None:
    result = cli("eo", "get", "703", "--profile", "sandbox", env={"COLUMNS": "40"})
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 40
    assert "7 PUBLISHED → succeeded" in result.stdout  # the state is never dropped
    assert "Thumbnail hidden" in result.stdout.replace("\n", " ")
    assert re.search(r"^LC08_L2SP_118038_20230514 +Red$", result.stdout, re.M)  # the file name is not 4 a line


def test_a_piped_tree_is_not_wrapped(cli) -> None:
    result = cli("eo", "get", "702", "--profile", "sandbox", "-o", "tree", env={"COLUMNS": ""})
    urls = [line for line in result.stdout.splitlines() if "thumbnailUrl" in line]
    assert urls and all(line.rstrip().endswith("%3D") for line in urls)  # each whole, on one line
    assert max(len(line) for line in result.stdout.splitlines()) > 200
