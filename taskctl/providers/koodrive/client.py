"""Huawei KooDrive share batch tasks: POST /koodrive/ose/v1/share/taskDetail."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from taskctl.config import Profile
from taskctl.errors import ResponseError, TaskctlError, UsageError
from taskctl.http import HttpClient
from taskctl.jsonio import as_int, describe_value, json_type
from taskctl.model import Field, FieldKind, Section, State, Task, TaskResult
from taskctl.providers.base import decode_json, mapped_error, parse_opaque_id, required_option
from taskctl.providers.koodrive import KooDriveOptions
from taskctl.secrets import Secret

if TYPE_CHECKING:
    from taskctl.providers.files import RemoteFile

NAME = "koodrive"
ERROR_RULES = "taskctl.providers.koodrive.errors"  # its rows of the error table (loaded on a failure)
PATH = "/koodrive/ose/v1/share/taskDetail"
BEARER = "Bearer+"

TASK_TYPES = {1: "package download", 2: "save to drive"}
STATUSES = {0: "to be processed", 1: "being processed", 2: "completed", 3: "canceled"}
RESULTS = {1: "all succeeded", 2: "partially failed", 3: "all failed"}
FILE_FAILED = 3  # a per-file result's `status` (1: succeeded)
FILE_STATUSES = {1: "succeeded", FILE_FAILED: "failed"}
FILE_COLUMNS = {"fileName": "File", "status": "Status", "msg": "Message", "code": "Code", "fileId": "File id"}
SHOWN_FAILURES = 3  # failed files named in the message; the table and --json have them all


def parse_task_id(text: str) -> str:
    return parse_opaque_id(NAME, text)


def make_fetcher(profile: Profile, secret: Secret, client: HttpClient, options: KooDriveOptions,
                 environ: Mapping[str, str]) -> KooDriveFetcher:
    share_id = required_option(options.share_id, "share_id", flag="--share-id", what="a share id", profile=profile)
    trace_id = options.trace_id
    if trace_id is not None and not (trace_id.isascii() and trace_id.isprintable() and trace_id.strip()):
        raise UsageError(f"invalid --trace-id {trace_id!r}: expected printable ASCII",
                         "KooDrive trace ids are 58 characters such as letters, digits and dashes")
    kdstoken = options.kdstoken
    if kdstoken:
        client.redact.add(kdstoken)  # it travels in the body, which --debug traces
    return KooDriveFetcher(profile, secret, client, share_id, kdstoken, trace_id)


def authorization(token: str) -> str:
    """`Bearer+<token>`, without doubling a prefix the session API already put on a stored token."""
    return token if token.startswith(BEARER) else BEARER + token


class KooDriveFetcher:
    def __init__(self, profile: Profile, secret: Secret, client: HttpClient, share_id: str,
                 kdstoken: str | None = None, trace_id: str | None = None) -> None:
        self.profile = profile
        self.secret = secret
        self.client = client
        self.share_id = share_id
        self.kdstoken = kdstoken
        self.trace_id = trace_id

    def fetch(self, task_id: str) -> TaskResult:
        what = f"koodrive task {task_id}"
        body: dict[str, str] = {"taskId": task_id, "shareId": self.share_id}
        if self.kdstoken:
            body["kdstoken"] = self.kdstoken
        headers = {"Authorization": authorization(self.secret.value), "Accept": "application/json"}
        if self.trace_id:
            headers["X-Traceid"] = self.trace_id
        response = self.client.request("POST", self.profile.endpoint + PATH, headers=headers, json_body=body)
        answer = decode_json(response, what, self.profile, rules=ERROR_RULES)
        if response.status_code == 404 and not _own_error(answer):
            got = f"JSON that is not a KooDrive error ({json_type(answer)})"
            raise mapped_error(ERROR_RULES, what, 404, self.profile, got=got)
        if not isinstance(answer, dict):
            raise ResponseError(f"{what}: the answer is {json_type(answer)}, not this API's response object")
        if response.status_code == 200 and str(answer.get("code")) == "0":
            task = answer.get("taskInfo", answer.get("jobInfo"))
            if not isinstance(task, dict):
                raise ResponseError(f"{what}: the answer has no taskInfo or jobInfo object",
                                    "the service may not speak this API version; --debug shows its answer")
            files = answer.get("taskInfos")
            return TaskResult(raw=task, task=normalize(task, task_id, files),
                              companions=(("taskInfos", files),) if "taskInfos" in answer else ())
        raise _error(what, response.status_code, answer, self.profile)

    def files(self, result: TaskResult, *, inputs: bool = False) -> tuple[RemoteFile]:
        """The FileSource capability (taskctl.providers.files): the task's package, at its pre-signed
        ``downloadUrl`` (see ``koodrive.files``). A share task lists no input files (``inputs`` is not offered)."""
        from taskctl.providers.koodrive.files import package_files

        return package_files(result, self.client.warn)


def _own_error(answer: Any) -> bool:
    """KooDrive's error shapes: `{"code": 13000309, "msg": ...}` or `{"error_code": ..., "error_msg": ...}`."""
    if not isinstance(answer, dict):
        return False
    if "error_code" in answer:
        from taskctl.providers.error_rules import is_gateway_code

        return not is_gateway_code(answer["error_code"])
    return "code" in answer and ("msg" in answer or "message" in answer)


def _error(what: str, status: int, answer: dict[str, Any], profile: Profile) -> TaskctlError:
    """KooDrive's own error answer: its code in `code` or `error_code`, its message in `msg` or `error_msg`."""
    return mapped_error(ERROR_RULES, what, status, profile, code=answer.get("code", answer.get("error_code")),
                             text=describe_value(answer.get("msg", answer.get("error_msg"))))


def normalize(task: dict[str, Any], requested_id: str, file_results: Any = None) -> Task:
    status, result = as_int(task.get("taskStatus")), as_int(task.get("taskResultCode"))
    state = _state(status, result)
    status_name = STATUSES.get(status, "unknown") if status is not None else "unknown"
    raw_status = f"{describe_value(task.get('taskStatus'))} {status_name}"
    if result is not None and result in RESULTS:
        raw_status += f", result {result} {RESULTS[result]}"
    task_type = as_int(task.get("taskType"))
    if task_type is not None:
        type_label = TASK_TYPES.get(task_type, f"type {task_type}")
    else:
        raw_type = describe_value(task.get("taskType"))
        type_label = f"type {raw_type}" if raw_type else "unknown type"
    files = file_results if file_results is not None else task.get("taskInfos")
    summary = [Field("Task ID", describe_value(task.get("taskId")) or requested_id), Field("Type", type_label),
               Field("Status", raw_status, kind=FieldKind.STATUS)]
    result_code = task.get("resultCode")
    if result_code not in (None, "", 0, "0") and state is State.UNKNOWN:  # else the message says it
        summary.append(Field("Result code", describe_value(result_code)))
    summary += _times(task)
    if task.get("downloadUrl"):
        summary.append(Field("Download", describe_value(task.get("downloadUrl")), kind=FieldKind.URL))
    if task.get("userId") is not None:
        summary.append(Field("User", describe_value(task.get("userId"))))
    return Task(provider=NAME, task_id=describe_value(task.get("taskId")) or requested_id, name="",
                type_label=type_label, raw_status=raw_status, state=state, summary=tuple(summary),
                sections=_file_sections(files),
                progress=as_int(task.get("progress")), message=_failure(task, state, files),
                annotations=(("taskStatus", f"{status_name} → {state.value}"), ("taskType", type_label)),
                status=task.get("taskStatus"), status_text=STATUSES.get(status) if status is not None else None,
                type_name=type_label if task.get("taskType") is not None else None,
                **_moments(task))


def _failure(task: dict[str, Any], state: State, file_results: Any) -> str | None:
    """Why a completed task did not wholly succeed: the service's result code, and each failed file's message."""
    if state not in (State.FAILED, State.PARTIAL):
        return None
    code = task.get("resultCode")
    parts = [f"result code {describe_value(code)}"] if code not in (None, "", 0, "0") else []
    entries = file_results if isinstance(file_results, list) else [file_results]
    failed = [entry for entry in entries if isinstance(entry, dict) and as_int(entry.get("status")) == FILE_FAILED]
    parts += [f"{describe_value(entry.get('fileName')) or 'a file'}: {describe_value(entry.get('msg')) or 'failed'}"
              for entry in failed[:SHOWN_FAILURES]]
    if len(failed) > SHOWN_FAILURES:
        parts.append(f"{len(failed) - SHOWN_FAILURES} more files failed")
    return "; ".join(parts) or RESULTS.get(as_int(task.get("taskResultCode")) or 0)


def _state(status: int | None, result: int | None) -> State:
    if status == 2:
        return {2: State.PARTIAL, 3: State.FAILED}.get(result or 0, State.SUCCEEDED)
    return {0: State.PENDING, 1: State.RUNNING, 3: State.CANCELED}.get(status, State.UNKNOWN) if (
        status is not None) else State.UNKNOWN


def parse_time(value: Any) -> datetime | None:
    """A `yyyyMMddHHmmss` timestamp. The API does not name a zone; taken as UTC (see README)."""
    if not isinstance(value, str) or len(value) != 14 or not (value.isascii() and value.isdigit()):
        return None
    # By position, not strptime: its module costs 2 ms to import on every `koodrive get`.
    try:
        return datetime(int(value[:4]), int(value[4:6]), int(value[6:8]), int(value[8:10]), int(value[10:12]),
                        int(value[12:]), tzinfo=UTC)
    except ValueError:
        return None


def _moments(task: dict[str, Any]) -> dict[str, Any]:
    """The task's times for `-o summary`: created, started, ended, and the duration when both ends are known."""
    created, started, ended = (parse_time(task.get(key)) for key in ("createTime", "startTime", "endTime"))
    duration = (ended - started).total_seconds() if started and ended else None
    return {"created": created, "started": started, "ended": ended, "duration_seconds": duration}


def _times(task: dict[str, Any]) -> list[Field]:
    fields = []
    moments = {}
    for key, label in (("createTime", "Created"), ("startTime", "Started"), ("endTime", "Ended")):
        moment = parse_time(task.get(key))
        if moment is not None:
            moments[key] = moment
            fields.append(Field(label, moment.isoformat(), kind=FieldKind.TIME))
        elif task.get(key) not in (None, ""):
            fields.append(Field(label, describe_value(task.get(key))))
    if "startTime" in moments and "endTime" in moments:
        seconds = (moments["endTime"] - moments["startTime"]).total_seconds()
        fields.append(Field("Duration", str(seconds), kind=FieldKind.DURATION))
    return fields


def _file_sections(file_results: Any) -> tuple[Section, ...]:
    """The per-file results (`taskInfos`): the documented keys by name, in the order a reader wants them (the
    file, how it went, why), each status as a word; keys the document does not name after them, as sent."""
    if isinstance(file_results, dict):
        file_results = [file_results]
    if not isinstance(file_results, list) or not file_results:
        return ()
    entries = [entry for entry in file_results if isinstance(entry, dict)]
    keys: list[str] = []
    for entry in entries:
        keys += [key for key in entry if key not in keys]
    keys = [key for key in FILE_COLUMNS if key in keys] + [key for key in keys if key not in FILE_COLUMNS]
    keys = keys[:6]  # keep the table readable; the tree and --json have everything
    if not keys:
        return ()
    rows = tuple(tuple(_file_cell(key, entry.get(key)) for key in keys) for entry in entries)
    return (Section("Files", tuple(FILE_COLUMNS.get(key, key) for key in keys), rows),)


def _file_cell(key: str, value: Any) -> str:
    status = as_int(value) if key == "status" else None
    if status in FILE_STATUSES:
        return f"{FILE_STATUSES[status]} ({status})"
    return describe_value(value)
