"""The output formats, and the module that renders each: a new format is one module and one line here.

Each module defines ``render_text(result, page) -> str`` (``page``: a ``taskctl.render.Page``) and ``SEPARATED``
(True: a blank line between tasks, as the human views have).
"""

from __future__ import annotations

from enum import StrEnum


class Format(StrEnum):
    table = "table"
    tree = "tree"
    json = "json"
    yaml = "yaml"
    summary = "summary"


RENDERERS: dict[Format, str] = {
    Format.table: "taskctl.render.table",
    Format.tree: "taskctl.render.tree",
    Format.json: "taskctl.render.json",
    Format.yaml: "taskctl.render.yaml",
    Format.summary: "taskctl.render.summary",
}

JQ_FORMATS = frozenset({Format.json, Format.summary})
"""The formats whose documents --jq can read (JSON ones)."""
