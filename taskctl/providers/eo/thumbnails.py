"""The thumbnails of an EO task: ``output.thumbnailUrl``, or ``datas[].thumbnailUrl`` of the input whose band
(``originalBandName``) or file name (``fileName``) is the one asked for (case-insensitive)."""

from __future__ import annotations

from typing import Any

from taskctl.errors import TaskctlError, task_label
from taskctl.jsonio import describe_value
from taskctl.model import TaskResult
from taskctl.providers.files import usable_url
from taskctl.providers.thumbnails import Thumbnail


def task_thumbnail(result: TaskResult, input_name: str | None) -> Thumbnail:
    task = result.task
    label = task_label(task.provider, task.task_id)
    raw = result.raw if isinstance(result.raw, dict) else {}
    if input_name is None:
        output = raw.get("output")
        item = output if isinstance(output, dict) else {}
        where = "output.thumbnailUrl"
    else:
        item, where = _input(raw, input_name, label, task.task_id)
    url = item.get("thumbnailUrl")
    if not isinstance(url, str) or not url.strip():
        shown = "null" if url is None else describe_value(url) or "empty"
        raise TaskctlError(f"{label} has no thumbnail ({where} is {shown})",
                           "a thumbnail appears once the service has made the file; see "
                           f"`taskctl eo get {task.task_id}`")
    band = describe_value(item.get("originalBandName")) or None
    return Thumbnail(usable_url(url.strip(), label), describe_value(item.get("fileName")) or "(unnamed)", band,
                     "output" if input_name is None else "input")


def _input(raw: dict[str, Any], name: str, label: str, task_id: str) -> tuple[dict[str, Any], str]:
    inputs = [item for item in raw.get("datas") or [] if isinstance(item, dict)]
    wanted = name.casefold()
    for number, item in enumerate(inputs, 1):
        names = (describe_value(item.get("originalBandName")), describe_value(item.get("fileName")))
        if any(candidate.casefold() == wanted for candidate in names if candidate):
            return item, f"datas[{number - 1}].thumbnailUrl"
    known = ", ".join(describe_value(item.get("originalBandName")) or describe_value(item.get("fileName"))
                      for item in inputs[:8]) + (", ..." if len(inputs) > 8 else "")
    raise TaskctlError(f"{label} has no input named {name!r}" + (f" (its inputs: {known})" if inputs else
                                                                  " (it lists no inputs)"),
                       f"give a band or file name from `taskctl eo get {task_id}`")
