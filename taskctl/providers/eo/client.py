"""Earth-observation imagery processing platform: POST /processtask/query/task/detail."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from taskctl.config import Profile
from taskctl.errors import ResponseError, TaskctlError, UsageError
from taskctl.http import HttpClient
from taskctl.jsonio import as_int, describe_value, json_type
from taskctl.model import Field, FieldKind, Section, State, Task, TaskResult
from taskctl.providers.base import (
    ListPage,
    ListQuery,
    decode_json,
    listed_tasks,
    mapped_error,
    reported_total,
    shown_id,
)
from taskctl.providers.spec import FetchOptions
from taskctl.secrets import Secret

if TYPE_CHECKING:
    from taskctl.providers.files import RemoteFile
    from taskctl.providers.thumbnails import Thumbnail

NAME = "eo"
ERROR_RULES = "taskctl.providers.eo.errors"  # its rows of the error table (loaded on a failure)
PATH = "/processtask/query/task/detail"
LIST_PATH = "/processtask/query/page"
MAX_PAGE_SIZE = 50  # the API documents no maximum; a moderate page, as its notes advise
MAX_TASK_ID = 2**63 - 1  # the API's taskId is a Java Long
# The API documents no failure reason; deployments that add one use names like these.
FAILURE_KEYS = ("failReason", "failureReason", "errorMessage", "errorMsg", "reason")

TASK_TYPES = {1: "Imagery Fusion", 2: "Imagery Mosaicking", 3: "Clip", 4: "Cloud Removal", 6: "Band Merging",
              7: "NDVI", 8: "EVI", 9: "NDWI", 10: "NDBI", 11: "BAI"}
STATUSES = {5: ("PROCESSING", State.RUNNING), 7: ("PUBLISHED", State.SUCCEEDED),
            8: ("PUBLISH_FAILED", State.FAILED)}
STATUS_CODES = {state: code for code, (_name, state) in STATUSES.items()}


def parse_task_id(text: str) -> str:
    """EO task ids are non-negative integers (Java Long)."""
    candidate = text.strip()
    if not candidate.isdecimal() or not candidate.isascii() or int(candidate) > MAX_TASK_ID:
        raise UsageError(f"invalid eo task id {shown_id(text)}: expected an integer from 0 to {MAX_TASK_ID}",
                         "example: taskctl eo get 702")
    return str(int(candidate))


def parse_list_types(values: Sequence[str]) -> tuple[str, ...]:
    """`list --type`: type numbers or names (``7``, ``NDVI``, ``band-merging``), as numbers."""
    by_name = {_squeezed(label): code for code, label in TASK_TYPES.items()}
    codes = []
    for value in values:
        text = value.strip()
        code = int(text) if text.isascii() and text.isdecimal() and len(text) < 10 else by_name.get(_squeezed(text))
        if code is None:
            known = ", ".join(f"{code} {label}" for code, label in TASK_TYPES.items())
            raise UsageError(f"unknown eo task type {value!r}", f"use a number or a name: {known}")
        codes.append(str(code))
    return tuple(dict.fromkeys(codes))


def _squeezed(text: str) -> str:
    return "".join(char for char in text.casefold() if char.isalnum())


def make_fetcher(profile: Profile, secret: Secret, client: HttpClient, options: FetchOptions,
                 environ: Mapping[str, str]) -> EoFetcher:
    return EoFetcher(profile, secret, client)


class EoFetcher:
    def __init__(self, profile: Profile, secret: Secret, client: HttpClient) -> None:
        self.profile = profile
        self.secret = secret
        self.client = client

    def fetch(self, task_id: str) -> TaskResult:
        data = self._data(PATH, {"taskId": int(task_id)}, f"eo task {task_id}")
        return TaskResult(raw=data, task=normalize(data, task_id))

    def pages(self, query: ListQuery) -> Iterator[ListPage]:
        """``POST /processtask/query/page``, page after page (the states the API names are filtered there)."""
        body: dict[str, Any] = {"keyword": query.name} if query.name else {}
        codes = [STATUS_CODES.get(state) for state in query.states]
        if codes and None not in codes:
            body["taskStatusList"] = sorted(code for code in codes if code is not None)
        if query.types:
            body["taskTypeList"] = [int(code) for code in query.types]
        size = max(1, min(query.page_size, MAX_PAGE_SIZE))
        number = 1
        while True:
            yield self._page({**body, "pageNumber": number, "pageSize": size}, number, size)
            number += 1

    def accepts(self, query: ListQuery, result: TaskResult) -> bool:
        task_type = result.raw.get("taskType") if isinstance(result.raw, dict) else None
        return not query.types or describe_value(task_type) in query.types

    def _page(self, body: dict[str, Any], number: int, size: int) -> ListPage:
        what = f"eo task list (page {number})"
        data = self._data(LIST_PATH, body, what, shape="a page of tasks")
        items = listed_tasks(data, "taskList", what, "id")
        results = tuple(TaskResult(raw=item, task=normalize(item, "")) for item in items)
        applied, pages = as_int(data.get("pageSize")), as_int(data.get("pageCount"))
        return ListPage(results, reported_total(data.get("totalCount")),
                        applied if applied is not None and applied > 0 else size,
                        last=pages is not None and number >= pages)

    def _data(self, path: str, json_body: dict[str, Any], what: str, shape: str = "a task object") -> dict[str, Any]:
        """The ``data`` object of a successful answer, or the error the answer means."""
        response = self.client.request(
            "POST", self.profile.endpoint + path, json_body=json_body,
            headers={self.profile.settings["auth_header"]: self.secret.value, "Accept": "application/json"})
        body = decode_json(response, what, self.profile, rules=ERROR_RULES)
        code = body.get("code") if isinstance(body, dict) else None
        if response.status_code == 200 and code in (200, "200"):
            data = body.get("data")
            if not isinstance(data, dict):
                raise ResponseError(f"{what}: the answer's `data` is {json_type(data)}, not {shape}",
                                    "the service may not speak this API version; --debug shows its answer")
            return data
        if not isinstance(body, dict) or "code" not in body:
            if response.status_code == 404:  # the API's errors carry `code`: this 404 is from something else
                raise mapped_error(ERROR_RULES, what, 404, self.profile, got=f"JSON without `code` ({json_type(body)})")
            if response.status_code == 200:
                raise ResponseError(f"{what}: the answer has no `code`; it is not this API's response shape")
            code = response.status_code
        message = describe_value(body.get("message")) if isinstance(body, dict) else ""
        if isinstance(code, float):  # EO's codes are integers: one such as 401.0 is shown, but the status decides
            code = describe_value(code)
        raise mapped_error(ERROR_RULES, what, response.status_code, self.profile, code=code, text=message)


    def files(self, result: TaskResult, *, inputs: bool = False) -> list[RemoteFile]:
        """The FileSource capability (taskctl.providers.files): the output file of a published task, and with
        ``inputs`` its input files, at links the file-URL API issues (see ``eo.files``)."""
        from taskctl.providers.eo.files import task_files

        return task_files(result, self.list_file_urls, inputs=inputs)

    def thumbnail(self, result: TaskResult, input_name: str | None) -> Thumbnail:
        """The ThumbnailSource capability (taskctl.providers.thumbnails): see ``eo.thumbnails``."""
        from taskctl.providers.eo.thumbnails import task_thumbnail

        return task_thumbnail(result, input_name)

    def list_file_urls(self, file_ids: Sequence[int]) -> Any:
        """``GET /datafile/file/urls?dataFileIds=...``: the answer's body, once it says ``code`` 200."""
        from taskctl.providers.eo.files import FILE_URLS_PATH

        what = f"download links of eo file {', '.join(str(file_id) for file_id in file_ids)}"
        url = f"{self.profile.endpoint}{FILE_URLS_PATH}?dataFileIds={','.join(str(i) for i in file_ids)}"
        response = self.client.request(
            "GET", url, headers={self.profile.settings["auth_header"]: self.secret.value, "Accept": "application/json"})
        body = decode_json(response, what, self.profile, rules=ERROR_RULES)
        code = body.get("code") if isinstance(body, dict) else None
        if response.status_code == 200 and code in (200, "200"):
            return body
        message = describe_value(body.get("message")) if isinstance(body, dict) else ""
        if code in (404, "404"):
            raise TaskctlError(f"{what}: the service has no such file ({message or 'files not found'})",
                               "the file may have been deleted; see the task with `taskctl eo get`")
        if not isinstance(body, dict) or "code" not in body:
            raise ResponseError(f"{what}: the answer has no `code`; it is not this API's response shape")
        raise mapped_error(ERROR_RULES, what, response.status_code, self.profile, code=code, text=message)


def normalize(data: dict[str, Any], requested_id: str) -> Task:
    status = data.get("status")
    status_name, state = STATUSES.get(status, ("UNKNOWN", State.UNKNOWN)) if isinstance(status, int) and not (
        isinstance(status, bool)) else ("UNKNOWN", State.UNKNOWN)
    task_type = data.get("taskType")
    if isinstance(task_type, int) and not isinstance(task_type, bool):
        type_label = TASK_TYPES.get(task_type, f"type {task_type}")
    else:
        type_label = f"type {describe_value(task_type)}" if task_type is not None else "unknown type"
    raw_status = f"{describe_value(status)} {status_name}".strip()
    task_id = describe_value(data.get("id")) or requested_id
    summary = (
        Field("ID", task_id),
        Field("Name", describe_value(data.get("taskName"))),
        Field("Type", type_label),
        Field("Status", raw_status, kind=FieldKind.STATUS),
        Field("Output folder", describe_value(data.get("outputPath"))),
        Field("Output file", describe_value(data.get("outputFileName"))),
    )
    reason = next((describe_value(data[key]) for key in FAILURE_KEYS if data.get(key)), None)
    return Task(provider=NAME, task_id=task_id, name=describe_value(data.get("taskName")),
                message=reason if state is State.FAILED else None,
                type_label=type_label, raw_status=raw_status, state=state, summary=summary,
                sections=_sections(data),
                annotations=(("status", f"{status_name} → {state.value}"), ("taskType", type_label)),
                status=status, status_text=None if state is State.UNKNOWN else status_name,
                type_name=type_label if task_type is not None else None, created=_created(data.get("ctime")),
                list_columns=(Field("Creator", describe_value(data.get("creatorName") or data.get("creator"))),))


def _created(ctime: Any) -> datetime | None:
    """``ctime`` (list items carry it) as a time; its unit is not documented: above 1e12 milliseconds, else
    seconds."""
    if not isinstance(ctime, int | float) or isinstance(ctime, bool) or ctime <= 0:
        return None
    try:
        return datetime.fromtimestamp(ctime / 1000 if ctime > 1e12 else ctime, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _sections(data: dict[str, Any]) -> tuple[Section, ...]:
    inputs = data.get("datas")
    rows = tuple(_input_row(item) for item in inputs if isinstance(item, dict)) if isinstance(inputs, list) else ()
    sections = [Section("Inputs", ("File", "Band", "Band/file id", "Thumbnail"), rows, frozenset({3}))]
    output = data.get("output")
    if isinstance(output, dict):
        sections.append(Section("Output", ("File", "File id", "Thumbnail"), (
            (describe_value(output.get("fileName")), describe_value(output.get("dataFileId")),
             describe_value(output.get("thumbnailUrl"))),), frozenset({2})))
    return tuple(sections)


def _input_row(item: dict[str, Any]) -> tuple[str, ...]:
    band_ids = describe_value(item.get("bandInfoId") if item.get("bandInfoId") is not None else item.get("bandId"))
    ids = " / ".join(v for v in (band_ids, describe_value(item.get("dataFileId"))) if v)
    return (describe_value(item.get("fileName")), describe_value(item.get("originalBandName")), ids,
            describe_value(item.get("thumbnailUrl")))

