"""--json: the provider's task object exactly as received, one document per task."""

from __future__ import annotations

from taskctl import jsonio
from taskctl.model import TaskResult


def render_json(result: TaskResult) -> str:
    return jsonio.dumps(result.raw, indent=2) + "\n"
