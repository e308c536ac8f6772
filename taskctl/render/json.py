"""--json: the provider's task object exactly as received, one document per task."""

from __future__ import annotations

from typing import TYPE_CHECKING

from taskctl import jsonio
from taskctl.model import TaskResult
from taskctl.render.safe import ESCAPE_IN_QUOTES

if TYPE_CHECKING:
    from taskctl.render.page import Page


def render_json(result: TaskResult) -> str:
    # Such characters only occur inside JSON strings, where a \uXXXX escape reads back as the same string.
    text = ESCAPE_IN_QUOTES.sub(lambda match: f"\\u{ord(match.group()):04x}", jsonio.dumps(result.raw, indent=2))
    return text + "\n"


SEPARATED = False


def render_text(result: TaskResult, page: Page) -> str:
    """Exactly as received: no redaction (a script gets the service's answer)."""
    return render_json(result)
