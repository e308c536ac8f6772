"""--json: the provider's task object exactly as received, one document per task."""

from __future__ import annotations

from typing import TYPE_CHECKING

from taskctl import jsonio
from taskctl.model import TaskResult

if TYPE_CHECKING:
    from taskctl.render.page import Page


def render_json(result: TaskResult) -> str:
    """The task object, numbers exact and terminal controls escaped inside its strings (``jsonio.dumps``)."""
    return jsonio.dumps(result.raw, indent=2) + "\n"


SEPARATED = False


def render_text(result: TaskResult, page: Page) -> str:
    """Exactly as received: no redaction (a script gets the service's answer)."""
    return render_json(result)
