"""-o yaml: the raw task object as a YAML document (key order kept, numbers as received)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from taskctl.jsonio import RawInt, RawNumber
from taskctl.model import TaskResult
from taskctl.render.safe import ESCAPE_IN_QUOTES

if TYPE_CHECKING:
    from taskctl.render.page import Page


def render_yaml(result: TaskResult) -> str:
    import yaml

    class Dumper(yaml.SafeDumper):
        pass

    def represent_number(dumper: yaml.SafeDumper, number: RawNumber) -> Any:
        return dumper.represent_scalar("tag:yaml.org,2002:float", _yaml_float(number.text))

    def represent_int(dumper: yaml.SafeDumper, number: RawInt) -> Any:
        return dumper.represent_scalar("tag:yaml.org,2002:int", number.text)

    def represent_str(dumper: yaml.SafeDumper, text: str) -> Any:
        style = '"' if ESCAPE_IN_QUOTES.search(text) else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)

    Dumper.add_representer(RawNumber, represent_number)
    Dumper.add_representer(RawInt, represent_int)
    Dumper.add_representer(str, represent_str)
    text = yaml.dump(result.raw, Dumper=Dumper, sort_keys=False, allow_unicode=True,
                     default_flow_style=False, explicit_start=True, width=100)
    # The emitter escapes C0, DEL and C1 in double quotes, but writes bidi controls raw: escape them too
    # (they only occur inside the double-quoted scalars chosen above, where \uXXXX is valid YAML).
    return ESCAPE_IN_QUOTES.sub(lambda m: f"\\u{ord(m.group()):04X}", text)


def _yaml_float(text: str) -> str:
    """JSON number text as a YAML 1.1 float that reads back as the same number."""
    lowered = text.lower()
    special = {"nan": ".nan", "infinity": ".inf", "-infinity": "-.inf"}
    if lowered in special:
        return special[lowered]
    if "e" in lowered and "." not in lowered.split("e")[0]:
        mantissa, exponent = lowered.split("e")
        return f"{mantissa}.0e{exponent if exponent[:1] in '+-' else '+' + exponent}"
    if "e" in lowered:
        mantissa, exponent = lowered.split("e")
        return f"{mantissa}e{exponent if exponent[:1] in '+-' else '+' + exponent}"
    return text


SEPARATED = False


def render_text(result: TaskResult, page: Page) -> str:
    # YAML escapes terminal controls itself (valid YAML that reads back as the same values).
    from taskctl.render.page import map_strings

    return page.redact(render_yaml(map_strings(result, page.redact)))
