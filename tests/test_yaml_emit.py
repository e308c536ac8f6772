"""-o yaml without PyYAML (render/yaml_emit.py): byte for byte what PyYAML writes for every document it accepts,
PyYAML for the rest, every sandbox task accepted, and no `import yaml` for `get -o yaml` once the profiles file's
parse is cached."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import write_profiles
from support.probe import probe

from taskctl import jsonio
from taskctl.jsonio import RawInt, RawNumber
from taskctl.model import TaskResult
from taskctl.providers.eo.catalogue import batch_polls, batch_tasks, catalogue_tasks
from taskctl.providers.eo.seeds import advancing_tasks, download_fault_tasks, seed_tasks
from taskctl.providers.koodrive import SANDBOX_KDSTOKEN, SANDBOX_LOCKED_SHARE_ID, SANDBOX_SHARE_ID
from taskctl.providers.koodrive import seeds as koodrive_seeds
from taskctl.providers.modelarts import SANDBOX_PROJECT_ID
from taskctl.providers.modelarts import catalogue as modelarts_catalogue
from taskctl.providers.modelarts import seeds as modelarts_seeds
from taskctl.render import yaml_emit
from taskctl.render.yaml import dump_with_pyyaml, render_yaml
from taskctl.render.yaml_emit import emit
from taskctl.sandbox import SANDBOX_TOKEN, RunningSandbox


def same_as_pyyaml(value: Any) -> str | None:
    """The emitter's document, checked against PyYAML's whenever it accepts ``value``."""
    fast = emit(value)
    if fast is not None:
        assert fast == dump_with_pyyaml(value)
    return fast


# --- random trees ---------------------------------------------------------------------------------------------------

# Characters each rule of PyYAML's scalar analysis turns on: indicators, quotes, spaces and breaks, C0, DEL, C1
# (NEL), bidi controls, line/paragraph separators, BOM, non-characters, astral, a lone surrogate.
SPECIAL_CHARACTERS = ":#'\"-?,[]{}&*!|>%@`~=<. \n\t\r\x00\x07\x1b\x7f\x85\x9b\xa0\u061c\u202e\u2066\u2028\u2029" \
                     "\ufeff\ufffe\uffff\U0001f600\U0010ffff\ud800éü中"
LINE_BREAKS = "\n\x85\u2028\u2029"
WORDS = ("yes", "No", "ON", "off", "true", "False", "null", "Null", "~", "", "<<", "=", "!", "&", "*", "702",
         "-0", "+1", "0x1F", "0o7", "017", "0b101", "1_000", "1:30", "190:20:30", "1.5", "1e5", "1.0e+5", ".5",
         ".inf", "-.Inf", ".NaN", "2022-11-23", "2022-11-23 10:00:00", "2001-12-14t21:59:43.10-05:00", "---",
         "...", "--- x", "- x", "-x", "? x", "?x", ": x", ":x", "x:", "x: y", "x:y", "a #b", "a#b", "#x", "it's",
         "'q'", '"q"', "https://example.com/a?b=c&d=%2F#frag", "a  b", " lead", "trail ", "x\n", "\ny", "a\nb",
         "a \nb", "a\n b", "a\n\n\nb", "\t", "word", "https://example.com/" + "a" * 100, "0", "08", "0755",
         "1985949195927285760", "20251105140211")


def scalar_texts() -> st.SearchStrategy[str]:
    fragment = st.one_of(st.sampled_from(WORDS), st.text(st.sampled_from(SPECIAL_CHARACTERS), max_size=4),
                         st.text(max_size=6))
    short = st.lists(fragment, max_size=4).map("".join)
    # Long enough to be folded at width 100 in each style, with single and double spaces in between.
    long = st.tuples(st.lists(fragment, min_size=10, max_size=50), st.sampled_from([" ", "  ", "", "' "]),
                     st.sampled_from(["", " "]), st.sampled_from(["", " "])).map(
        lambda parts: parts[2] + parts[1].join(parts[0]) + parts[3])
    return st.one_of(st.sampled_from(WORDS), short, long)


NUMBER_TEXTS = st.one_of(
    st.from_regex(r"-?(0|[1-9][0-9]{0,20})(\.[0-9]{1,6})?([eE][-+]?[0-9]{1,3})?", fullmatch=True),
    st.sampled_from(["NaN", "Infinity", "-Infinity", "1E400", "-0.0", "10", "1_0.5", "1.5\n"]))  # "10", "1.5\n": a tag
SCALARS = st.one_of(
    scalar_texts(), st.booleans(), st.none(), st.integers(),
    NUMBER_TEXTS.map(RawNumber),
    st.sampled_from(["-0", "007", "1_000", " 5", "00", "+5", "\u0663"]).map(RawInt))
# Mostly keys written `key:`; some written `? key` (empty, multi-line, 123 characters and more), which decline.
SIMPLE_KEYS = scalar_texts().filter(lambda key: 0 < len(key) < 100 and not any(ch in key for ch in LINE_BREAKS))
KEYS = st.one_of(SIMPLE_KEYS, SIMPLE_KEYS, SIMPLE_KEYS, scalar_texts(), st.text(min_size=118, max_size=130))
TREES = st.recursive(SCALARS, lambda children: st.one_of(
    st.lists(children, max_size=5), st.dictionaries(KEYS, children, max_size=5)), max_leaves=25)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.dictionaries(KEYS, TREES, max_size=6), st.lists(TREES, max_size=6)))
def test_random_trees_are_written_exactly_as_pyyaml_writes_them(tree: Any) -> None:
    same_as_pyyaml(tree)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["k", "key" * 10, "x" * 60]), scalar_texts()), min_size=1, max_size=4),
       st.integers(min_value=0, max_value=4))
def test_long_strings_at_every_depth_fold_as_pyyaml_folds_them(items: list[tuple[str, str]], depth: int) -> None:
    tree: Any = dict(items)
    for level in range(depth):
        tree = [tree] if level % 2 else {"nested": tree, "list": ["v", [copy.deepcopy(tree)]]}
    assert same_as_pyyaml(tree) is not None  # every string is written here, in whichever style


@settings(max_examples=300, deadline=None)
@given(st.one_of(scalar_texts(), st.text("0123456789_.:-+eExTZ ", max_size=12),
                 st.from_regex(r"[0-9]{1,20}", fullmatch=True)))
def test_implicit_tags_are_pyyamls(text: str) -> None:
    from yaml.nodes import ScalarNode
    from yaml.resolver import Resolver

    if not any(ch in text for ch in LINE_BREAKS):  # the emitter asks only of such texts (plain never has one)
        assert "tag:yaml.org,2002:" + yaml_emit._implicit_tag(text) == Resolver().resolve(ScalarNode, text,
                                                                                          (True, False))


def test_a_json_document_parsed_by_jsonio_is_accepted() -> None:
    text = '{"a": -0, "b": 1.10, "c": 1e400, "d": NaN, "e": -Infinity, "f": [1E-4, 2.50e+3], "g": 12345678901234567890}'
    assert same_as_pyyaml(jsonio.loads(text)) == (
        "---\na: -0\nb: 1.10\nc: 1.0e+400\nd: .nan\ne: -.inf\nf:\n- 1.0e-4\n- 2.50e+3\ng: 12345678901234567890\n")


# --- each rule, one by one ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value, written", [
    ("https://example.com/a?b=c&d=%2F", "https://example.com/a?b=c&d=%2F"),  # plain
    ("API TEST BAND MERGING", "API TEST BAND MERGING"),
    ("it's", "it's"), ("a#b", "a#b"), ("x:y", "x:y"), ("-x", "-x"), ("中文 ü", "中文 ü"),
    ("702", "'702'"), ("-0", "'-0'"), ("0x1F", "'0x1F'"), ("1_000", "'1_000'"), ("1:30", "'1:30'"),  # int
    ("1.5", "'1.5'"), (".inf", "'.inf'"), (".NaN", "'.NaN'"),  # float
    ("yes", "'yes'"), ("Off", "'Off'"), ("TRUE", "'TRUE'"),  # bool (YAML 1.1)
    ("", "''"), ("null", "'null'"), ("~", "'~'"),  # null
    ("2022-11-23", "'2022-11-23'"), ("2022-11-23 10:00:00", "'2022-11-23 10:00:00'"),  # timestamp
    ("<<", "'<<'"), ("=", "'='"),  # merge, value
    ("#x", "'#x'"), ("a #b", "'a #b'"), ("x: y", "'x: y'"), ("x:", "'x:'"), ("- x", "'- x'"), ("? x", "'? x'"),
    ("---x", "'---x'"), ("...", "'...'"), ("'q'", "'''q'''"), ('"q"', "'\"q\"'"), ("@x", "'@x'"), ("`x", "'`x'"),
    (" lead", "' lead'"), ("trail ", "'trail '"),  # leading, trailing space
    ("a\nb", "'a\n\n  b'"), ("x\n", "'x\n\n  '"),  # a line break: single-quoted, one more break
    ("a \nb", '"a \\nb"'), ("a\n b", '"a\\n b"'), ("a\tb", '"a\\tb"'),  # space next to a break, a tab
    ("\x1b[31m", '"\\e[31m"'), ("\x07\x00\x7f\x9b", '"\\a\\0\\x7F\\x9B"'), ("a\u202eb", '"a\\u202Eb"'),
    ("\u2028", '"\\L"'), ("\ufeff", '"\\uFEFF"'), ("\U0001f600", "\U0001f600"), ("\ud800", '"\\uD800"'),
])
def test_each_quoting_rule_as_pyyaml(value: str, written: str) -> None:
    assert render_yaml(TaskResult(raw={"k": value}, task=None)) == f"---\nk: {written}\n"  # type: ignore[arg-type]
    assert same_as_pyyaml({"k": value}) is not None


@pytest.mark.parametrize("value, written", [
    ({}, "--- {}\n"), ([], "--- []\n"), ({"a": {}, "b": []}, "---\na: {}\nb: []\n"),
    ([[1, 2], [{}], {"a": [1]}], "---\n- - 1\n  - 2\n- - {}\n- a:\n  - 1\n"),
    ({"a": {"b": [{"c": None, "d": True}]}}, "---\na:\n  b:\n  - c: null\n    d: true\n"),
    ({"yes": 1, "702": 2, "a b": 3, "\x1b": 4}, "---\n'yes': 1\n'702': 2\na b: 3\n\"\\e\": 4\n"),
])
def test_layout(value: Any, written: str) -> None:
    assert same_as_pyyaml(value) == written


def test_long_values_fold_at_width_100_as_pyyaml_folds_them() -> None:
    words = " ".join(["word"] * 30)
    for value in (words, "'" + words + "'", words + "\x1b", "yes " + words, words.replace(" ", "  "),
                  " " + words + " ", words + "\n" + words, "x" * 120 + " ", " " + "x" * 120):
        text = same_as_pyyaml({"key": value, "list": [value, [value]]})
        assert text is not None
    assert "\n  word" in str(same_as_pyyaml({"key": words}))  # folded, continued two columns in
    for value in (" a b ", "a b", "\x1b a b", "a\nb"):  # a value that starts past column 100
        assert same_as_pyyaml({"k" * 110: value, "list": [{"k" * 110: value}]}) is not None


@pytest.mark.parametrize("value", [
    {"": 1},  # an empty key is written `? ''`
    {"k" * 123: 1},  # so is one of 128 characters with its tag
    {"a\nb": 1},  # and a multi-line one
    {1: "a"}, {None: "a"},  # keys JSON does not have
    {"a": 1.5}, {"a": (1, 2)}, {"a": b"x"}, {"a": type("S", (str,), {})("x")},  # types jsonio does not make
    {"a": RawNumber("10")}, {"a": RawInt(" 5")},  # numbers whose text would need a !!float / !!int tag
    "text", 702, None,  # a document that is not a mapping or a list
])
def test_what_it_declines_goes_to_pyyaml(value: Any) -> None:
    assert emit(value) is None


def test_a_container_twice_in_the_tree_goes_to_pyyaml_which_writes_an_anchor() -> None:
    shared = [1, 2]
    result = TaskResult(raw={"a": shared, "b": shared}, task=None)  # type: ignore[arg-type]
    assert emit(result.raw) is None
    assert render_yaml(result) == "---\na: &id001\n- 1\n- 2\nb: *id001\n"


def test_declined_documents_still_render_through_pyyaml() -> None:
    result = TaskResult(raw={"": "\u202e", "n": RawNumber("10")}, task=None)  # type: ignore[arg-type]
    assert render_yaml(result) == "---\n? ''\n: \"\\u202E\"\nn: !!float '10'\n"


def _pyyaml_special(ch: str) -> bool:
    """yaml/emitter.py ``analyze_scalar`` with allow_unicode: a character that needs double quotes."""
    printable = ch == "\n" or "\x20" <= ch <= "\x7e"
    unicode = ch == "\x85" or "\xa0" <= ch <= "\ud7ff" or "\ue000" <= ch <= "\ufffd" \
        or "\U00010000" <= ch < "\U0010ffff"
    return not printable and not (unicode and ch != "\ufeff")


def _pyyaml_escaped(ch: str) -> bool:
    """yaml/emitter.py ``write_double_quoted`` with allow_unicode: a character written as an escape."""
    return ch in '"\\\x85\u2028\u2029\ufeff' or not (
        "\x20" <= ch <= "\x7e" or "\xa0" <= ch <= "\ud7ff" or "\ue000" <= ch <= "\ufffd")


def test_the_character_classes_are_pyyamls_conditions_for_every_code_point() -> None:
    every = "".join(map(chr, range(0x110000)))
    for pattern, condition in ((yaml_emit._SPECIAL, _pyyaml_special), (yaml_emit._DOUBLE_ESCAPED, _pyyaml_escaped)):
        assert "".join(re.findall(pattern, every)) == "".join(filter(condition, every))


# --- every sandbox task ---------------------------------------------------------------------------------------------

def _profiles(sandbox: RunningSandbox) -> str:
    return ("profiles:\n"
            f"  eo:\n    provider: eo\n    endpoint: {sandbox.endpoint('eo')}\n    token: {SANDBOX_TOKEN}\n"
            f"  drive:\n    provider: koodrive\n    endpoint: {sandbox.endpoint('koodrive')}\n"
            f"    token: {SANDBOX_TOKEN}\n    share_id: {SANDBOX_SHARE_ID}\n"
            f"  ma:\n    provider: modelarts\n    endpoint: {sandbox.endpoint('modelarts')}\n"
            f"    project_id: {SANDBOX_PROJECT_ID}\n    token: {SANDBOX_TOKEN}\n")


def _sandbox_ids() -> dict[str, tuple[tuple[str, ...], list[str], list[str]]]:
    """Every task id the sandbox serves (fault ids aside), by provider: the options that reach them, the ids,
    and those of the tasks that advance on each poll."""
    eo_advancing = set(advancing_tasks()) | set(batch_tasks())
    eo = {702} | set(seed_tasks()) | set(catalogue_tasks()) | set(download_fault_tasks()) | eo_advancing
    ma_advancing = {"task-advancing", "task-advancing-fail"}
    ma = set(modelarts_seeds.FILE_SEEDS) | set(modelarts_seeds.seed_tasks()) \
        | set(modelarts_catalogue.catalogue_tasks()) | ma_advancing
    return {
        "eo": (("--profile", "eo"), sorted(map(str, eo)), sorted(map(str, eo_advancing))),
        "koodrive": (("--profile", "drive"), sorted(koodrive_seeds.seed_tasks()) + ["task-advancing"],
                     ["task-advancing"]),
        "koodrive-locked": (("--profile", "drive", "--share-id", SANDBOX_LOCKED_SHARE_ID, "--kdstoken",
                             SANDBOX_KDSTOKEN), sorted(koodrive_seeds.locked_seed_tasks()), []),
        "modelarts": (("--profile", "ma"), sorted(ma), sorted(ma_advancing)),
    }


def _documents(json_text: str) -> list[Any]:
    """The raw task objects in `get --json` output (one pretty-printed document per task), parsed as the
    clients parse a body."""
    return [jsonio.loads(chunk) for chunk in re.split(r"(?m)^(?=[{\[])", json_text) if chunk.strip()]


def test_every_sandbox_task_of_every_provider_takes_the_fast_path(cli, sandbox, profiles_file: Path) -> None:
    write_profiles(profiles_file, _profiles(sandbox))
    # Each `get` polls each task once: every task, then the advancing ones until each has shown all its states
    # (the EO batch's are the slowest; KooDrive's and ModelArts' end at poll 3).
    polls = max(map(batch_polls, batch_tasks())) + 2
    served = 0
    for name, (options, ids, advancing) in _sandbox_ids().items():
        served += len(ids)
        for poll in range(polls if advancing else 1):
            asked = ids if poll == 0 else advancing
            result = cli(name.split("-")[0], "get", *asked, *options, "--json")
            assert result.exit_code == 0, result.stderr
            documents = _documents(result.stdout)
            assert len(documents) == len(asked)
            for document in documents:
                assert same_as_pyyaml(document) is not None, document
    assert served > 90


def test_get_yaml_shows_the_same_document_as_pyyaml(cli, sandbox, profiles_file: Path) -> None:
    write_profiles(profiles_file, _profiles(sandbox))
    for provider, task_id in (("eo", "707"), ("koodrive", "task-hostile"), ("modelarts", "task-hostile")):
        raw = _documents(cli(provider, "get", task_id, "--json").stdout)[0]
        shown = cli(provider, "get", task_id, "-o", "yaml")
        assert shown.exit_code == 0
        assert shown.stdout == render_yaml(TaskResult(raw=raw, task=None))  # type: ignore[arg-type]
        assert emit(raw) is not None


# --- start-up ---------------------------------------------------------------------------------------------------------

def test_get_yaml_imports_no_yaml_once_the_profiles_parse_is_cached(sandbox, profiles_file: Path) -> None:
    write_profiles(profiles_file, _profiles(sandbox))
    first, second = probe(["eo", "get", "702", "-o", "yaml"]), probe(["eo", "get", "702", "-o", "yaml"])
    assert first.exit_code == second.exit_code == "0"
    assert second.stdout == first.stdout and second.stdout.startswith("---\nid: 702\ntaskType: 6\n")
    assert "yaml" in first.modules  # the profiles file, parsed once
    assert not [module for module in second.modules if module == "yaml" or module.startswith("yaml.")]
