"""-o yaml: the raw task object as a YAML document (key order kept, numbers as received)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from taskctl.jsonio import RawInt, RawNumber
from taskctl.model import TaskResult
from taskctl.render.safe import ESCAPE_IN_QUOTES
from taskctl.render.yaml_emit import emit, float_text

if TYPE_CHECKING:
    from taskctl.render.page import Page


def render_yaml(result: TaskResult) -> str:
    # The document written without PyYAML (its import is ~10 ms of start-up) wherever that gives the very same
    # bytes (render/yaml_emit.py); PyYAML writes the rest.
    text = emit(result.raw)
    if text is None:
        text = dump_with_pyyaml(result.raw)
    # The emitter escapes C0, DEL and C1 in double quotes, but writes bidi controls raw: escape them too
    # (they only occur inside the double-quoted scalars chosen for them, where \uXXXX is valid YAML).
    return ESCAPE_IN_QUOTES.sub(lambda m: f"\\u{ord(m.group()):04X}", text)


def dump_with_pyyaml(raw: Any) -> str:
    """The document as PyYAML writes it (before the bidi escapes of ``render_yaml``)."""
    import yaml

    class Dumper(yaml.SafeDumper):
        pass

    def represent_number(dumper: yaml.SafeDumper, number: RawNumber) -> Any:
        return dumper.represent_scalar("tag:yaml.org,2002:float", float_text(number.text))

    def represent_int(dumper: yaml.SafeDumper, number: RawInt) -> Any:
        return dumper.represent_scalar("tag:yaml.org,2002:int", number.text)

    def represent_str(dumper: yaml.SafeDumper, text: str) -> Any:
        style = '"' if ESCAPE_IN_QUOTES.search(text) else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)

    Dumper.add_representer(RawNumber, represent_number)
    Dumper.add_representer(RawInt, represent_int)
    Dumper.add_representer(str, represent_str)
    text: str = yaml.dump(raw, Dumper=Dumper, sort_keys=False, allow_unicode=True,
                          default_flow_style=False, explicit_start=True, width=100)
    return text


SEPARATED = False


def render_text(result: TaskResult, page: Page) -> str:
    # YAML escapes terminal controls itself (valid YAML that reads back as the same values).
    from taskctl.render.page import map_strings

    return page.redact(render_yaml(map_strings(result, page.redact)))
