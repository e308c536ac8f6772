"""Renderers and the EO parser: hostile server strings stay inert; arbitrary JSON never crashes them."""

from __future__ import annotations

import io
import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from taskctl import jsonio
from taskctl.errors import TaskctlError
from taskctl.model import TaskResult
from taskctl.providers.eo import client as eo
from taskctl.render.output import FORMATS, Output
from taskctl.render.safe import inert, shorten_url

CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # all controls but \t and \n


def render(result: TaskResult, fmt: str, terminal: bool = False, width: int = 80) -> str:
    from rich.console import Console

    stream = io.StringIO()
    console = Console(file=stream, force_terminal=terminal, width=width, highlight=False, markup=False,
                      emoji=False, color_system="standard" if terminal else None)
    Output(fmt, stream, lambda: console).write(result)
    return stream.getvalue()


def eo_result(data: dict) -> TaskResult:
    return TaskResult(raw=data, task=eo.normalize(data, "1"))


HOSTILE = {
    "id": 707, "taskType": 7, "status": 7,
    "taskName": "[bold red]pwned[/] \x1b[31mred\x1b[0m\x07 [link=http://evil]x[/link]\nline2",
    "outputFileName": "\x1b]8;;http://evil\x07click\x1b]8;;\x07\x9b2J\x7f\u202egnp.exe",
    "datas": [{"fileName": "[blink]f[/blink]\r", "originalBandName": "\x1b[2K", "bandInfoId": [1],
               "thumbnailUrl": "https://x.example/a%1B[31m.jpg?sig=1"}],
    "output": {"fileName": "[/]", "dataFileId": 1, "thumbnailUrl": "javascript:alert(1)"},
}


def test_inert_shows_controls_visibly() -> None:
    assert inert("a\x1b[31mb\x07\x7f\x9b\u202e\n") == "a^[[31mb^G^?M-^[<U+202E>^J"


def test_hostile_strings_reach_the_terminal_inert_in_table_and_tree() -> None:
    for fmt in ("table", "tree"):
        for terminal in (False, True):
            out = render(eo_result(HOSTILE), fmt, terminal)
            visible = re.sub(r"\x1b\[[0-9;]*m", "", out)  # our own colour codes only
            visible = re.sub(r"\x1b]8;[^\x1b]*\x1b\\", "", visible)  # our own hyperlinks
            assert not CONTROL.search(visible), (fmt, terminal, visible)
            assert "[bold red]pwned[/]" in visible  # markup printed literally, not interpreted
            assert "^[[31mred" in visible
            assert "\u202e" not in visible
            links = re.findall(r"\x1b]8;[^;]*;([^\x1b]*)\x1b", out)
            assert all(link in ("", "https://x.example/a%1B[31m.jpg?sig=1") for link in links), links


def test_json_and_yaml_escape_terminal_controls_but_keep_values() -> None:
    out = render(eo_result(HOSTILE), "json")
    assert not CONTROL.search(out.replace("\n", ""))
    assert json.loads(out) == HOSTILE
    import yaml

    text = render(eo_result(HOSTILE), "yaml")
    assert not CONTROL.search(text.replace("\n", ""))
    assert "\u202e" not in text
    assert yaml.safe_load(text) == HOSTILE


def test_shorten_url_keeps_the_file_name() -> None:
    url = ("https://eopocstorage.blob.core.windows.net/eo-qa/data_test%2FRaster%2F702%2Fband_merge_702_thumb.jpg"
           "?sv=2023-11-03&sig=abc%3D")
    assert shorten_url(url, 40) == "…/band_merge_702_thumb.jpg"
    assert len(shorten_url(url, 16)) == 16


def test_table_fits_80_columns() -> None:
    data = {"id": 5, "taskName": "n" * 200, "taskType": 6, "status": 5,
            "datas": [{"fileName": "f" * 90, "originalBandName": "b" * 40, "thumbnailUrl": "https://h/" + "t" * 90}]}
    out = render(eo_result(data), "table")
    assert max(len(line) for line in out.splitlines()) <= 80


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
eo_like = st.fixed_dictionaries({}, optional={
    "id": json_values, "taskType": json_values, "taskName": json_values, "status": json_values,
    "outputPath": json_values, "outputFileName": json_values, "output": json_values,
    "datas": st.lists(st.dictionaries(st.sampled_from(
        ["fileName", "originalBandName", "bandInfoId", "bandId", "dataFileId", "thumbnailUrl"]), json_values),
        max_size=3) | json_values,
})


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=eo_like, extra=st.dictionaries(st.text(max_size=6), json_values, max_size=3))
def test_eo_parser_and_every_renderer_accept_arbitrary_json(data: dict, extra: dict) -> None:
    task_object = {**extra, **data}
    try:
        result = eo_result(task_object)
    except TaskctlError:
        return
    for fmt in FORMATS:
        out = render(result, fmt, terminal=fmt == "table")
        if fmt == "json":
            assert json.loads(out) == json.loads(json.dumps(task_object))


@given(value=json_values)
def test_jsonio_round_trips_values(value: object) -> None:
    text = json.dumps(value)
    assert json.loads(jsonio.dumps(jsonio.loads(text))) == json.loads(text)


@given(value=json_values, indent=st.sampled_from([None, 2]))
def test_jsonio_writes_the_same_text_whichever_encoder_it_picks(value: object, indent: int | None) -> None:
    """dumps hands documents without exact numbers to the json module's encoder: the same text as its own writer,
    terminal controls escaped alike."""
    loaded = jsonio.loads(json.dumps(value))
    assert jsonio.dumps(loaded, indent=indent) == jsonio._dumps_exactly(loaded, indent)


@pytest.mark.parametrize("text", ['{"a": [1, {"b": "\\u009b31m\\u202e"}], "c": {}, "d": []}', '{"x": 1.10}',
                                  '{"x": -0}', '[true, null, "\\u2028"]'])
def test_jsonio_writes_known_documents_the_same_way_as_its_own_writer(text: str) -> None:
    loaded = jsonio.loads(text)
    for indent in (None, 2):
        assert jsonio.dumps(loaded, indent=indent) == jsonio._dumps_exactly(loaded, indent)


@given(number=st.from_regex(r"-?(0|[1-9][0-9]{0,25})(\.[0-9]{1,20})?([eE][-+]?[0-9]{1,3})?", fullmatch=True))
def test_jsonio_writes_numbers_back_as_received(number: str) -> None:
    text = f'{{"n": {number}, "list": [{number}]}}'
    assert jsonio.dumps(jsonio.loads(text), indent=None) == text


koodrive_like = st.fixed_dictionaries({}, optional={
    key: json_values for key in ("userId", "taskId", "taskType", "taskStatus", "taskResultCode", "resultCode",
                                 "createTime", "startTime", "endTime", "progress", "downloadUrl")
} | {"createTime": st.from_regex(r"20[0-9]{12}", fullmatch=True) | json_values})
modelarts_like = st.fixed_dictionaries({}, optional={
    key: json_values for key in ("task_id", "name", "status", "description", "duration_seconds", "create_time",
                                 "version_name", "error_msg", "inputs", "data_source", "work_path")
} | {"template": st.fixed_dictionaries({}, optional={
    "id": json_values, "operator_params": st.lists(st.dictionaries(
        st.sampled_from(["id", "name", "params"]), json_values), max_size=3) | json_values}) | json_values,
     "create_time": st.integers(-10**15, 10**15) | json_values})


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(task_object=koodrive_like, files=json_values)
def test_koodrive_parser_and_renderers_accept_arbitrary_json(task_object: dict, files: object) -> None:
    from taskctl.providers.koodrive import client as koodrive

    result = TaskResult(raw=task_object, task=koodrive.normalize(task_object, "t", files),
                        companions=(("taskInfos", files),))
    for fmt in FORMATS:
        render(result, fmt, terminal=fmt == "tree")


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(task_object=modelarts_like)
def test_modelarts_parser_and_renderers_accept_arbitrary_json(task_object: dict) -> None:
    from taskctl.providers.modelarts import client as modelarts

    result = TaskResult(raw=task_object, task=modelarts.normalize(task_object, "t"))
    for fmt in FORMATS:
        render(result, fmt, terminal=fmt == "table")


def test_koodrive_states_follow_the_spec() -> None:
    from taskctl.model import State
    from taskctl.providers.koodrive import client as koodrive

    cases = {(0, None): State.PENDING, (1, None): State.RUNNING, (2, 1): State.SUCCEEDED, (2, None): State.SUCCEEDED,
             (2, 2): State.PARTIAL, (2, 3): State.FAILED, (3, None): State.CANCELED, (9, None): State.UNKNOWN,
             ("2", 1): State.UNKNOWN}
    for (status, result), state in cases.items():
        assert koodrive.normalize({"taskStatus": status, "taskResultCode": result}, "t").state == state


def test_modelarts_states_follow_the_spec_and_failed_shows_the_error() -> None:
    from taskctl.model import State
    from taskctl.providers.modelarts import client as modelarts

    states = [modelarts.normalize({"status": s}, "t").state for s in (0, 1, 2, 3, 4, 7)]
    assert states == [State.PENDING, State.RUNNING, State.SUCCEEDED, State.FAILED, State.CANCELED, State.UNKNOWN]
    failed = modelarts.normalize({"status": 3, "error_msg": "OBS path not found"}, "t")
    assert failed.message == "OBS path not found"


# --- keys are server text too ----------------------------------------------------------------------------

OSC52 = "\x1b]52;c;cHduZWQ=\x07"  # would write "pwned" to the clipboard
HOSTILE_KEYS = [OSC52 + "clip", "\x1b[2Jclear", "\u202eevil", "[bold]mk[/bold]", "\x9b31mcsi", "\x9d0;title\x9c",
                "\u2066iso\u2069", "\u061calm", "line\nbreak\r", "tab\there"]
OURS = (re.compile(r"\x1b\[[0-9;]*m"), re.compile(r"\x1b\]8;[^\x1b\x07]*\x1b\\"))  # our colours, our links
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def visible(out: str) -> str:
    for ours in OURS:
        out = ours.sub("", out)
    return out


def hostile_koodrive_result() -> TaskResult:
    from taskctl.providers.koodrive import client as koodrive

    keys = {key: f"v{number}" for number, key in enumerate(HOSTILE_KEYS)}
    raw = {"taskId": "t1", "taskStatus": 2, "taskType": 1, "progress": 100, **keys, "nested": {OSC52: [{OSC52: 1}]}}
    files = [{**keys, "fileName": "a"}]
    return TaskResult(raw=raw, task=koodrive.normalize(raw, "t1", files), companions=(("taskInfos", files),))


def test_hostile_keys_are_inert_in_table_and_tree() -> None:
    result = hostile_koodrive_result()
    for fmt in ("table", "tree"):
        for terminal in (False, True):
            out = render(result, fmt, terminal, width=200)
            assert OSC52 not in out and "\x1b[2J" not in out
            assert not UNSAFE.search(visible(out)), (fmt, terminal, visible(out))
            assert "^[]52;c;cHduZWQ=^Gclip" in out and "<U+202E>evil" in out and "M-^[31mcsi" in out
            assert "[bold]mk[/bold]" in out  # markup in a key is printed, not interpreted


def test_hostile_keys_are_escaped_in_yaml_and_json_and_read_back() -> None:
    import yaml

    result = hostile_koodrive_result()
    for fmt in ("yaml", "json"):
        out = render(result, fmt)
        assert not UNSAFE.search(out.replace("\n", "")), fmt
        assert (yaml.safe_load(out) if fmt == "yaml" else json.loads(out)) == result.raw


def test_the_file_table_headers_are_the_inert_keys() -> None:
    out = render(hostile_koodrive_result(), "table", width=200)
    header = next(line for line in out.splitlines() if line.startswith("File "))
    assert header.split()[:4] == ["File", "^[]52;c;cHduZWQ=^Gclip", "^[[2Jclear", "<U+202E>evil"]


server_text = st.text(st.sampled_from(list("ab:/ []\x1b\x07\x9b\x9c\x9d\u202e\u2066\u200f\u061c\n\r\t\x00\x7f")) |
                      st.characters(), max_size=10)


@st.composite
def any_task(draw: st.DrawFn) -> TaskResult:
    """A TaskResult with server text in every string the model has: labels, titles, column names, notes."""
    from taskctl.model import Field, Section, State, Task

    columns = tuple(draw(st.lists(server_text, min_size=1, max_size=4)))
    rows = tuple(tuple(draw(server_text) for _ in columns) for _ in range(draw(st.integers(0, 3))))
    url_columns = frozenset(draw(st.sets(st.integers(0, len(columns) - 1), max_size=1)))
    kinds = st.sampled_from(["text", "url", "status", "time", "duration"])
    summary = tuple(Field(draw(server_text), draw(server_text | st.just("https://h/\x1b]52;c;x\x07")), draw(kinds))
                    for _ in range(draw(st.integers(0, 4))))
    task = Task(provider="koodrive", task_id=draw(server_text), name=draw(server_text),
                type_label=draw(server_text), raw_status=draw(server_text), state=draw(st.sampled_from(State)),
                summary=summary, sections=(Section(draw(server_text), columns, rows, url_columns),),
                progress=draw(st.none() | st.integers(-5, 105)), message=draw(st.none() | server_text),
                annotations=tuple((draw(server_text), draw(server_text)) for _ in range(2)))
    raw = draw(st.dictionaries(server_text, server_text | st.lists(server_text, max_size=2), max_size=4))
    companions = ((draw(server_text), draw(st.dictionaries(server_text, server_text, max_size=2))),)
    return TaskResult(raw=raw, task=task, companions=companions)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(result=any_task())
def test_no_string_of_the_model_reaches_a_terminal_live(result: TaskResult) -> None:
    for fmt in ("table", "tree"):
        for terminal in (False, True):
            out = render(result, fmt, terminal)
            assert not UNSAFE.search(visible(out)), (fmt, terminal, visible(out))
            for link in re.findall(r"\x1b\]8;[^;]*;([^\x1b]*)\x1b\\", out):
                assert re.fullmatch(r"https?://[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*", link), link


@pytest.mark.parametrize("url, target", [("https://h/x.jpg", True), ("http://h:1/a?b=c#d", True), ("HTTP:", False),
                                         ("https:", False), ("https:///path", False), ("HTTPS://h/x", False),
                                         ("ftp://h/x", False), ("https://h/a b", False)])
def test_a_link_target_is_an_http_url_with_a_host(url: str, target: bool) -> None:
    from taskctl.render.safe import link_target

    assert (link_target(url) == url) is target


def test_a_link_target_is_given_only_when_every_character_may_stand_in_a_url() -> None:
    """RFC 3986's characters and non-ASCII text from U+00A0 (IRIs) keep a link a link; one character outside them
    (space, quote, angle bracket, backslash, caret, backtick, brace, bar, C0, DEL, C1) gives no link target."""
    from taskctl.render.safe import _NOT_URL_CHARACTERS

    url_characters = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:/?#[]@!$&'()*+,;=%")
    everything = "".join(map(chr, range(0x110000)))
    refused = {ord(char) for char in _NOT_URL_CHARACTERS.findall(everything)}
    assert refused == {code for code in range(0xA0) if chr(code) not in url_characters}
