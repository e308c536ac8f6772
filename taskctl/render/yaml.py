"""-o yaml: the raw task object as a YAML document (key order kept, numbers as received)."""

from __future__ import annotations

from typing import Any

from taskctl.jsonio import RawInt, RawNumber
from taskctl.model import TaskResult


def render_yaml(result: TaskResult) -> str:
    import yaml

    class Dumper(yaml.SafeDumper):
        pass

    def represent_number(dumper: yaml.SafeDumper, number: RawNumber) -> Any:
        return dumper.represent_scalar("tag:yaml.org,2002:float", _yaml_float(number.text))

    def represent_int(dumper: yaml.SafeDumper, number: RawInt) -> Any:
        return dumper.represent_scalar("tag:yaml.org,2002:int", number.text)

    Dumper.add_representer(RawNumber, represent_number)
    Dumper.add_representer(RawInt, represent_int)
    return yaml.dump(result.raw, Dumper=Dumper, sort_keys=False, allow_unicode=True,
                     default_flow_style=False, explicit_start=True, width=100)


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
