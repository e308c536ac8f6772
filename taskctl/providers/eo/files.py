"""The files of an EO task, through ``GET {endpoint}/datafile/file/urls?dataFileIds=<id>,<id>``.

A PUBLISHED task's output file (``output.dataFileId``), and with ``inputs`` its input files
(``datas[].dataFileId``), each at a pre-signed link the API issues on request (links expire: a refused one
is asked for again, once, through ``RemoteFile.refresh``). Entries are matched by ``dataFileId``, not by
position; an id the answer leaves out is an error. See api-docs/eo-download-file-urls.txt.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from taskctl.errors import ResponseError, TaskctlError, TaskEndedError, task_label
from taskctl.jsonio import describe_value, json_type
from taskctl.model import State, TaskResult
from taskctl.providers.files import RemoteFile, usable_url

FILE_URLS_PATH = "/datafile/file/urls"
BATCH = 50  # ids per request: the API documents no limit; this keeps URLs short
UrlLister = Callable[[Sequence[int]], Any]  # ids -> the answer's decoded JSON body (HTTP and auth checked)


def task_files(result: TaskResult, list_urls: UrlLister, *, inputs: bool) -> list[RemoteFile]:
    """The output file (then, with ``inputs``, the input files) of a published task, each with a fresh link."""
    task = result.task
    label = task_label(task.provider, task.task_id)
    _check_published(result, label)
    wanted = {_output_id(result.raw, label, task.task_id): "output"}
    if inputs:
        for number, item in enumerate(_list(result.raw.get("datas")), 1):
            file_id = _file_id(item.get("dataFileId") if isinstance(item, dict) else None)
            if file_id is None:
                raise ResponseError(f"{label}: input {number} has no usable dataFileId "
                                    f"({describe_value(item.get('dataFileId') if isinstance(item, dict) else item)})")
            wanted.setdefault(file_id, "input")
    entries = _entries(list_urls, list(wanted), label)
    return [_remote_file(entries[file_id], file_id, what, list_urls, label) for file_id, what in wanted.items()]


def _check_published(result: TaskResult, label: str) -> None:
    task = result.task
    if task.state is State.SUCCEEDED:
        return
    if task.state is State.FAILED:
        reason = f": {task.message}" if task.message else ""
        raise TaskEndedError(f"{label} ended failed ({task.raw_status}{reason}); there is no output file",
                             f"see `taskctl {task.provider} get {task.task_id}` for details")
    raise TaskctlError(f"{label} is not ready ({task.raw_status}): only a PUBLISHED task has files to download",
                       "rerun with --wait to wait for it")


def _output_id(raw: Any, label: str, task_id: str) -> int:
    output = raw.get("output") if isinstance(raw, dict) else None
    value = output.get("dataFileId") if isinstance(output, dict) else None
    file_id = _file_id(value)
    if file_id is None:
        shown = "there is no output" if not isinstance(output, dict) else \
            f"output.dataFileId is {describe_value(value) if value is not None else 'null'}"
        raise TaskctlError(f"{label} has no output file ({shown})",
                           f"see `taskctl eo get {task_id} --json` for what the service sent")
    return file_id


def _file_id(value: Any) -> int | None:
    """A data file id: a JSON integer (or a string of digits) that fits a Java Long."""
    if isinstance(value, str) and value.isascii() and value.isdecimal():
        value = int(value)
    if type(value) is int and 0 <= value < 2**63:
        return value
    return None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _entries(list_urls: UrlLister, ids: list[int], label: str) -> dict[int, dict[str, Any]]:
    """The answer's ``urlList`` entries by ``dataFileId``, asked in batches; every id must be answered."""
    found: dict[int, dict[str, Any]] = {}
    for start in range(0, len(ids), BATCH):
        for entry in _url_list(list_urls(ids[start:start + BATCH]), label):
            file_id = _file_id(entry.get("dataFileId"))
            if file_id is not None:
                found.setdefault(file_id, entry)
    missing = [file_id for file_id in ids if file_id not in found]
    if missing:
        shown = ", ".join(str(file_id) for file_id in missing[:5]) + (" ..." if len(missing) > 5 else "")
        raise ResponseError(f"{label}: the service gave no download link for file {shown}",
                            "the file may have been deleted or moved; see `taskctl eo get` for the task")
    return found


def _url_list(body: Any, label: str) -> list[dict[str, Any]]:
    data = body.get("data") if isinstance(body, dict) else None
    entries = data.get("urlList") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise ResponseError(f"{label}: the download-link answer has no urlList ({json_type(entries)})",
                            "the service may not speak this API version; --debug shows its answer")
    if not entries:
        raise ResponseError(f"{label}: the download-link answer lists no files (urlList is empty)",
                            "the files may have been deleted; retry later, or see the task in the EO console")
    return [entry for entry in entries if isinstance(entry, dict)]


def _remote_file(entry: dict[str, Any], file_id: int, what: str, list_urls: UrlLister, label: str) -> RemoteFile:
    url = entry.get("url")
    if not isinstance(url, str):
        raise ResponseError(f"{label}: the download link of file {file_id} is {json_type(url)}, not a URL")
    name = entry.get("name") if isinstance(entry.get("name"), str) and entry.get("name") else None
    path = entry.get("path")
    if name is None and isinstance(path, str):
        name = path.rstrip("/").rsplit("/", 1)[-1] or None  # made safe where it is used, like every name

    def refresh() -> str:
        fresh = _entries(list_urls, [file_id], label)[file_id].get("url")
        return usable_url(fresh if isinstance(fresh, str) else "", label)

    return RemoteFile(usable_url(url.strip(), label), name=name, what=f"{what} file {file_id}", refresh=refresh)
