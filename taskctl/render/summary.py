"""-o summary: one compact JSON line per task, the same keys in the same order for every provider (SPEC schema 1).

A script checks ``state`` and ``terminal`` instead of each service's status numbers. New keys go at the end.
"""

from __future__ import annotations

from datetime import UTC
from typing import TYPE_CHECKING, Any

from taskctl import jsonio
from taskctl.model import TaskResult
from taskctl.render.page import map_strings

if TYPE_CHECKING:
    from datetime import datetime

    from taskctl.render.page import Page

SCHEMA_VERSION = 1


def summary(result: TaskResult, profile: str | None) -> dict[str, Any]:
    """The task as SPEC's `summary` object: every key present, None where the service does not say."""
    task = result.task
    return {
        "provider": task.provider,
        "profile": profile,
        "id": task.task_id,
        "name": task.name or None,
        "type": task.type_name,
        "state": task.state.value,
        "terminal": task.state.terminal,
        "status": task.status,
        "status_text": task.status_text,
        "progress": task.progress,
        "created": iso_utc(task.created),
        "started": iso_utc(task.started),
        "ended": iso_utc(task.ended),
        "duration_seconds": _seconds(task.duration_seconds),
        "message": task.message or None,
    }


def iso_utc(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with ``Z``: whole seconds, or milliseconds when the service gave them."""
    if moment is None:
        return None
    utc = moment.astimezone(UTC)
    spec = "milliseconds" if utc.microsecond else "seconds"
    return utc.replace(tzinfo=None).isoformat(timespec=spec) + "Z"


def _seconds(value: float | None) -> float | int | None:
    """A duration as a JSON number: an integer when it is whole (``95``, not ``95.0``)."""
    if value is None or isinstance(value, int):
        return value
    return int(value) if float(value).is_integer() else value


SEPARATED = False


def render_text(result: TaskResult, page: Page) -> str:
    """One line; a secret the service echoed back is hidden, as in the human views."""
    document = map_strings(summary(result, page.profile), page.redact)
    return jsonio.dumps(document, indent=None) + "\n"
