"""Piped views without rich (render/plain.py): byte for byte what rich prints off a terminal, or rich itself.

The property tests render random tasks both ways at the same width: whenever the plain layout takes a task, its
text must be rich's exactly. The sandbox's tasks must all take the plain road, and a piped `get`, `-o tree` and
`list` must not import rich at all, while a terminal (or anything rich reads from the environment) still gets rich.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from rich.console import Console
from support import sandbox_profile_yaml, write_profiles
from support.probe import probe

from taskctl.context import PIPE_WIDTH, AppContext
from taskctl.http import Redactor
from taskctl.model import Field, FieldKind, Section, State, Task, TaskResult
from taskctl.providers.eo import seeds as eo_seeds
from taskctl.providers.koodrive import seeds as koodrive_seeds
from taskctl.providers.modelarts import seeds as modelarts_seeds
from taskctl.render import plain
from taskctl.render.output import Output
from taskctl.sandbox import RunningSandbox

NOW = datetime(2026, 12, 7, 18, 0, tzinfo=UTC)
SECRET = "s3cr3t-t0ken"
PIECES = ["[bold]", "[/]", "[link=http://evil]x[/link]", "\x1b[31m", "\x07", "\x9b2J", "\u202e", "\u2066", "漢字",
          "😀", "e\u0301", "👨\u200d👩", "\u2764\ufe0f", "\xa0", "\u3000", "\u200b", "\xad", " ", "  ", "→", "…", "·",
          "–", "█░", "─", "\t", "\n", "\r\n", "\u2028", "ß", "ﬁ", "Ǆ", SECRET, "x" * 60, "https://h.example/a/b%0Ac.jpg",
          "https://h.example/data%2FRaster%2F702%2Fband_merge_702_thumb.jpg?sig=abc"]
ascii_words = st.text("abcdefghij KLMNOP0123456789-_./:()", max_size=14)
KNOWN = ["→", "…", "·", "–", "█░", "─", "ß", "\xa0", "  ", "漢字", "任务", "テスト", "한국", "，。", "\u3000", "ＡＢ"]
known_widths = st.lists(ascii_words | st.sampled_from(KNOWN), max_size=4).map("".join)  # the plain road takes these
texts = known_widths | st.lists(ascii_words | st.sampled_from(PIECES) |
                            st.text(st.characters(exclude_categories=("Cs",)), max_size=4), max_size=4).map("".join)
short_texts = st.text("abcde fgh-/", max_size=9)  # small tasks, to reach narrow widths without wrapping
times = st.datetimes(datetime(1990, 1, 1), datetime(2040, 1, 1), timezones=st.just(UTC))


def value_of(kind: FieldKind, text: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    if kind is FieldKind.URL:
        return st.builds(lambda host, path, name: f"https://{host}/{path}/{name}?sig=1",
                         st.sampled_from(["h.example", "storage.example.net:8443", ""]), text, text) | text
    if kind is FieldKind.TIME:
        return times.map(datetime.isoformat) | text
    if kind is FieldKind.DURATION:
        return st.floats(allow_nan=True).map(str) | st.integers(-10**6, 10**12).map(str) | text
    return text


def fields(text: st.SearchStrategy[str]) -> st.SearchStrategy[Field]:
    return st.sampled_from(FieldKind).flatmap(lambda kind: st.builds(Field, text, value_of(kind, text), st.just(kind)))


@st.composite
def sections(draw: st.DrawFn, text: st.SearchStrategy[str]) -> Section:
    columns = tuple(draw(st.lists(text, max_size=5)))
    url_columns = frozenset(draw(st.sets(st.integers(0, len(columns) - 1), max_size=2))) if columns else frozenset()
    rows = tuple(tuple(draw(value_of(FieldKind.URL if position in url_columns else FieldKind.TEXT, text))
                       for position in range(len(columns))) for _ in range(draw(st.integers(0, 4))))
    return Section(draw(text), columns, rows, url_columns, draw(st.none() | st.integers(0, 10**6)))


@st.composite
def tasks(draw: st.DrawFn, text: st.SearchStrategy[str], list_columns: int = 0) -> Task:
    return Task(provider=draw(st.sampled_from(["eo", "koodrive", "modelarts"]) | text), task_id=draw(text),
                name=draw(text), type_label=draw(text), raw_status=draw(text), state=draw(st.sampled_from(State)),
                summary=tuple(draw(st.lists(fields(text), max_size=6))),
                sections=tuple(draw(st.lists(sections(text), max_size=3))),
                progress=draw(st.none() | st.integers(-50, 250)), message=draw(st.none() | text),
                created=draw(st.none() | times), list_columns=tuple(draw(fields(text)) for _ in range(list_columns)))


def json_values(text: st.SearchStrategy[str]) -> st.SearchStrategy[Any]:
    return st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | text,
                        lambda inner: st.lists(inner, max_size=10) | st.dictionaries(text, inner, max_size=5),
                        max_leaves=30)


@st.composite
def results(draw: st.DrawFn, text: st.SearchStrategy[str] = texts) -> TaskResult:
    raw = draw(st.dictionaries(text, json_values(text), max_size=6) | json_values(text))
    keys = list(raw) if isinstance(raw, dict) else []
    notes = tuple((draw(st.sampled_from(keys) if keys else text), draw(text)) for _ in range(draw(st.integers(0, 2))))
    companions = tuple(draw(st.lists(st.tuples(text, json_values(text)), max_size=2)))
    return TaskResult(raw, draw(tasks(text))._replace(annotations=notes), companions)


widths = st.just(PIPE_WIDTH) | st.integers(20, 120) | st.integers(1, 20)  # narrow: what rich cuts, hides, wraps
# The properties run a fixed sequence of examples (derandomize): a soak run of thousands once stalled a worker for
# minutes (not reproduced; Hypothesis' shrinking suspected), and CI must not depend on the draw.


def rich_console(width: int) -> Console:
    """The console AppContext gives a pipe, at ``width`` (PIPE_WIDTH without $COLUMNS)."""
    return Console(file=io.StringIO(), highlight=False, markup=False, emoji=False, soft_wrap=False, width=width,
                   _environ={})


def both_ways(write: Callable[[Output], None], fmt: str, width: int) -> tuple[str | None, str]:
    """What the plain road prints (None when it gives way to rich) and what rich prints, at ``width``."""
    redactor = Redactor()
    redactor.add(SECRET)
    asked: list[bool] = []

    def console() -> Console:
        asked.append(True)
        return rich_console(width)

    printed = []
    for plain_width in (width, None):
        stream = io.StringIO()
        write(Output(fmt, stream, console, redact=redactor, now=lambda: NOW, plain_width=plain_width))
        printed.append(stream.getvalue())
        if plain_width is not None and asked:  # the plain road gave way to rich
            printed[0] = None
    return printed[0], printed[1]


def assert_same(write: Callable[[Output], None], fmt: str, width: int) -> str:
    """Where the plain road takes the task, it prints what rich prints; which road it was, for the statistics."""
    laid_out, by_rich = both_ways(write, fmt, width)
    if laid_out is not None:
        assert laid_out == by_rich
    assert SECRET not in by_rich
    road = "plain" if laid_out is not None else "rich"
    return f"{road} at {'PIPE_WIDTH' if width == PIPE_WIDTH else 'a narrow width'}"


@settings(max_examples=200, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(result=results() | results(short_texts), width=widths)
def test_the_plain_table_is_what_rich_prints(result: TaskResult, width: int) -> None:
    event(assert_same(lambda output: output.write(result), "table", width))


@settings(max_examples=200, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(result=results() | results(short_texts), width=widths)
def test_the_plain_tree_is_what_rich_prints(result: TaskResult, width: int) -> None:
    event(assert_same(lambda output: output.write(result), "tree", width))


@st.composite
def listings(draw: st.DrawFn, text: st.SearchStrategy[str]) -> list[TaskResult]:
    extra = draw(st.integers(0, 3))
    return [TaskResult({}, task) for task in draw(st.lists(tasks(text, extra), min_size=1, max_size=5))]


@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(listed=listings(texts) | listings(short_texts), width=widths)
def test_the_plain_listing_is_what_rich_prints(listed: list[TaskResult], width: int) -> None:
    event(assert_same(lambda output: output.write_list(listed), "table", width))


def test_plain_text_at_its_edges_is_what_rich_prints() -> None:
    """The cases random tasks seldom reach: a link cut with an ellipsis, a title just as wide as its table, a line
    exactly as wide as the page and one cell wider, an empty column, a section without rows or columns."""
    url = "https://h.example/" + "x" * 40 + ".png"
    section = Section("T (x)", ("File", "Thumbnail of the output file"), (("a", url), ("bbbbbbbbbbbbbb", "")),
                      frozenset({1}))
    wide_title = Section("Wide title", ("a", "b"), (("", ""),))  # rich wraps it over its 3-cell table: rich's road
    cases = [(Task("eo", "1", "n", "t", "s", State.RUNNING, sections=(section,)), True),
             (Task("eo", "1", "n", "t", "s", State.RUNNING, sections=(wide_title,)), False),
             (Task("eo", "1", "n", "t", "s", State.RUNNING, sections=(Section("Empty", (), ((),)),
                                                                      Section("None", ("a",), ()))), True),
             (Task("eo", "1" * 30, "", "t", "s", State.FAILED, message="m" * 40, progress=40), True)]
    for task, plain_at_pipe_width in cases:
        result = TaskResult({"k": "v" * 30}, task)
        for width in (PIPE_WIDTH, 36, 37, 38, 44, 45, 46):
            road = assert_same(lambda output, result=result: output.write(result), "table", width)
            if width == PIPE_WIDTH:
                assert road == ("plain" if plain_at_pipe_width else "rich") + " at PIPE_WIDTH"
            assert_same(lambda output, result=result: output.write(result), "tree", width)


@pytest.mark.parametrize("name", ["漢" * 30 + ".png", "a" + "漢" * 30 + ".png", "ab漢字テスト.png", "任务" * 5])
def test_a_link_of_wide_characters_is_cut_as_rich_cuts_it(name: str) -> None:
    """An ellipsis where a wide character would stand across the column's edge leaves a space there, as rich's."""
    section = Section("Files", ("File", "Link"), (("a", f"https://h.example/{name}"), ("b", "https://h/x")),
                      frozenset({1}))
    task = Task("eo", "1", "名前", "t", "s", State.RUNNING, sections=(section,))
    for width in (PIPE_WIDTH, 30, 31, 40):
        laid_out, by_rich = both_ways(lambda output: output.write(TaskResult({}, task)), "table", width)
        assert laid_out == by_rich and (laid_out is not None or width < 40)


# --- the sandbox's tasks: all of them take the plain road --------------------------------------------------------


def sandbox_results() -> Iterator[TaskResult]:
    ids = {"eo": [702, *eo_seeds.seed_tasks(), *eo_seeds.advancing_tasks(), *eo_seeds.download_fault_tasks()],
           "koodrive": [*koodrive_seeds.seed_tasks(), "task-advancing"],
           "modelarts": [modelarts_seeds.DOC_TASK_ID, modelarts_seeds.CLEANING_TASK_ID, *modelarts_seeds.seed_tasks(),
                         "task-advancing", "task-advancing-fail"]}
    for provider, task_ids in ids.items():
        app = AppContext(environ=dict(os.environ), stdout=io.StringIO())
        with app.connect(provider, "sandbox") as connection:  # the built-in profile: a sandbox of its own
            yield from (connection.fetcher.fetch(str(task_id)) for task_id in task_ids)


@pytest.fixture(scope="module")
def sandbox_tasks() -> list[TaskResult]:
    return list(sandbox_results())


def test_every_sandbox_task_takes_the_plain_road(sandbox_tasks: list[TaskResult]) -> None:
    assert len(sandbox_tasks) > 30
    for result in sandbox_tasks:
        for fmt in ("table", "tree"):
            laid_out, by_rich = both_ways(lambda output, result=result: output.write(result), fmt, PIPE_WIDTH)
            assert laid_out == by_rich, (fmt, result.task.provider, result.task.task_id)
    for provider in ("eo", "modelarts"):
        listed = [result for result in sandbox_tasks if result.task.provider == provider]
        laid_out, by_rich = both_ways(lambda output, listed=listed: output.write_list(listed), "table", PIPE_WIDTH)
        assert laid_out == by_rich, provider


def test_rich_gives_every_character_of_the_plain_road_the_cells_it_counts() -> None:
    from rich._unicode_data._versions import VERSIONS
    from rich.cells import get_character_cell_size

    counted = {character: _counted(character) for character in map(chr, range(0x10000))}
    one = [character for character, size in counted.items() if size == 1]
    two = "".join(character for character, size in counted.items() if size == 2)
    assert "→" in one and "…" in one and "█" in one and "漢" in two and "😀" not in counted
    assert not {size for character, size in counted.items() if character in "\u0301\u200b\u200d\ufe0f\xad"} - {None}
    for version in VERSIONS:
        assert not [hex(ord(c)) for c in one if get_character_cell_size(c, version) != 1], version
        assert not [hex(ord(c)) for c in two if get_character_cell_size(c, version) != 2], version


def _counted(character: str) -> int | None:
    try:
        return plain.cells(character)
    except plain.NotPlain:
        return None


# --- which road a command takes ----------------------------------------------------------------------------------


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("environ, stream, width", [
    ({}, io.StringIO(), PIPE_WIDTH),
    ({"NO_COLOR": "1", "TERM": "dumb", "LINES": "5"}, io.StringIO(), PIPE_WIDTH),
    ({}, Tty(), None),
    ({"COLUMNS": "120"}, io.StringIO(), None),
    ({"COLUMNS": "0"}, io.StringIO(), None),
    ({"FORCE_COLOR": ""}, io.StringIO(), None),
    ({"TTY_COMPATIBLE": "0"}, io.StringIO(), None),
    ({"TTY_INTERACTIVE": "0"}, io.StringIO(), None),
])
def test_plain_layout_only_where_rich_would_see_a_pipe_at_the_pipe_width(environ: dict[str, str], stream: io.StringIO,
                                                                        width: int | None) -> None:
    assert AppContext(environ=environ, stdout=stream).plain_width(stream) == width


def _rich(modules: set[str]) -> list[str]:
    return sorted(module for module in modules if module.split(".")[0] == "rich")


@pytest.mark.parametrize("args, shown", [(["eo", "get", "702"], "eo task 702 · API TEST BAND MERGING\nID    "),
                                         (["eo", "get", "702", "707", "-o", "tree"], "\n├── datas (2)\n│   ├── [0]\n"),
                                         (["eo", "list"], "ID   NAME  ")])
def test_piped_views_do_not_import_rich(sandbox: RunningSandbox, profiles_file: Path, args: list[str],
                                        shown: str) -> None:
    write_profiles(profiles_file, sandbox_profile_yaml(sandbox, "local"))
    out, err, code, modules = probe([*args, "--profile", "local"])
    assert code == "0", err
    assert not _rich(modules)
    assert shown in out
    assert not any(line != line.rstrip() for line in out.splitlines())
    # rich, laid out for a pipe:
    same, err, code, modules = probe([*args, "--profile", "local"], {"TTY_COMPATIBLE": "0"})
    assert code == "0", err
    assert _rich(modules) and same == out


@pytest.mark.parametrize("env", [{"FORCE_COLOR": "1"}, {"COLUMNS": "100"}])
def test_a_terminal_or_a_width_still_goes_through_rich(sandbox: RunningSandbox, profiles_file: Path,
                                                       env: dict[str, str]) -> None:
    write_profiles(profiles_file, sandbox_profile_yaml(sandbox, "local"))
    out, err, code, modules = probe(["eo", "get", "702", "--profile", "local"], env)
    assert code == "0", err
    assert _rich(modules)
    if "FORCE_COLOR" in env:
        assert "\x1b[1m" in out  # a terminal's colours
    else:
        assert "\x1b" not in out and max(len(line) for line in out.splitlines()) <= 100  # $COLUMNS is obeyed


def test_the_plain_road_redacts_what_it_lays_out() -> None:
    task = Task("eo", "1", f"leaked {SECRET}", "t", "s", State.RUNNING,
                summary=(Field("Token", SECRET), Field(SECRET[:6], SECRET[6:])))
    result = TaskResult({"token": SECRET, SECRET: [SECRET]}, task, (("beside", {"x": SECRET}),))
    for fmt in ("table", "tree"):
        laid_out, by_rich = both_ways(lambda output: output.write(result), fmt, PIPE_WIDTH)
        assert laid_out == by_rich and laid_out is not None
        assert SECRET not in laid_out and "leaked" in laid_out



@pytest.mark.parametrize("args, exit_code", [
    (["eo", "get", "702", "706", "707"], 0), (["modelarts", "get", "task-hostile", "-o", "tree"], 0),
    (["eo", "watch", "703"], 0), (["koodrive", "watch", "task-done", "task-partial"], 7),
    (["eo", "list", "--all"], 0), (["modelarts", "list"], 0)])
def test_each_command_prints_piped_views_on_the_plain_road(cli: Any, monkeypatch: pytest.MonkeyPatch,
                                                           args: list[str], exit_code: int) -> None:
    from taskctl.render.page import Page

    consoles: list[bool] = []
    console = Page.console
    monkeypatch.setattr(Page, "console", lambda page: consoles.append(True) or console(page))
    monkeypatch.delenv("COLUMNS")
    laid_out = cli(*args, "--profile", "sandbox")
    assert laid_out.exit_code == exit_code and not consoles, laid_out.stderr
    by_rich = cli(*args, "--profile", "sandbox", env={"TTY_COMPATIBLE": "0"})
    assert consoles and laid_out.stdout.strip()
    assert _port_left_out(by_rich.stdout) == _port_left_out(laid_out.stdout)  # each run has a sandbox of its own


def _port_left_out(text: str) -> str:
    return re.sub(r"127\.0\.0\.1:[0-9]+", "127.0.0.1:PORT", text)
