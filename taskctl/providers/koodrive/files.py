"""The files of a KooDrive task: its one package, at the pre-signed ``downloadUrl`` of a finished task."""

from __future__ import annotations

from collections.abc import Callable

from taskctl.errors import TaskctlError, TaskEndedError, task_label
from taskctl.model import State, TaskResult
from taskctl.providers.files import RemoteFile, usable_url


def package_files(result: TaskResult, warn: Callable[[str], None]) -> tuple[RemoteFile]:
    """The task's package, or the error that says why there is none (a partial task: a warning)."""
    task = result.task
    label = task_label(task.provider, task.task_id)
    _check_finished(result, label)
    url = usable_url(_download_url(result, label), label)
    if task.state is State.PARTIAL:
        warn(f"{label} finished partially ({_reason(result)}): the package holds only the files that succeeded")
    return (RemoteFile(url, what="package"),)


def _check_finished(result: TaskResult, label: str) -> None:
    task = result.task
    if task.state in (State.PENDING, State.RUNNING):
        progress = f", {task.progress}%" if task.progress is not None else ""
        raise TaskctlError(f"{label} is not finished yet ({task.state.value}{progress})",
                           "rerun with --wait to wait for it")
    if task.state in (State.FAILED, State.CANCELED):
        raise TaskEndedError(f"{label} ended {task.state.value} ({_reason(result)}): there is no package",
                             f"see `taskctl {task.provider} get {task.task_id}` (with the same --profile and "
                             "--share-id) for details")
    if task.state is State.UNKNOWN:
        raise TaskctlError(f"{label} is in a state taskctl does not know ({task.raw_status})",
                           f"see `taskctl {task.provider} get {task.task_id}`; only finished tasks have a package")


def _download_url(result: TaskResult, label: str) -> str:
    task, raw = result.task, result.raw
    url = raw.get("downloadUrl") if isinstance(raw, dict) else None
    if not isinstance(url, str) or not url.strip():
        shown = "empty" if url is not None else "missing"
        raise TaskctlError(f"{label} has no download link (downloadUrl is {shown})",
                           f"see `taskctl {task.provider} get {task.task_id} --json` for what the service sent")
    return url.strip()


def _reason(result: TaskResult) -> str:
    """Why a task did not (wholly) succeed: its status, and the message `get` shows (result code, failed files)."""
    task = result.task
    return "; ".join(detail for detail in (task.raw_status, task.message) if detail)
