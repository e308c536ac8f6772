"""Earth-observation imagery processing platform: POST /processtask/query/task/detail."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from taskctl.config import Profile
from taskctl.errors import ResponseError, UsageError
from taskctl.http import HttpClient
from taskctl.jsonio import describe_value, json_type
from taskctl.model import Field, FieldKind, Section, State, Task, TaskResult
from taskctl.providers.base import decode_json, mapped_error, shown_id
from taskctl.providers.spec import FetchOptions
from taskctl.secrets import Secret

NAME = "eo"
ERROR_RULES = "taskctl.providers.eo.errors"  # its rows of the error table (loaded on a failure)
PATH = "/processtask/query/task/detail"
MAX_TASK_ID = 2**63 - 1  # the API's taskId is a Java Long
# The API documents no failure reason; deployments that add one use names like these.
FAILURE_KEYS = ("failReason", "failureReason", "errorMessage", "errorMsg", "reason")

TASK_TYPES = {1: "Imagery Fusion", 2: "Imagery Mosaicking", 3: "Clip", 4: "Cloud Removal", 6: "Band Merging",
              7: "NDVI", 8: "EVI", 9: "NDWI", 10: "NDBI", 11: "BAI"}
STATUSES = {5: ("PROCESSING", State.RUNNING), 7: ("PUBLISHED", State.SUCCEEDED),
            8: ("PUBLISH_FAILED", State.FAILED)}


def parse_task_id(text: str) -> str:
    """EO task ids are non-negative integers (Java Long)."""
    candidate = text.strip()
    if not candidate.isdecimal() or not candidate.isascii() or int(candidate) > MAX_TASK_ID:
        raise UsageError(f"invalid eo task id {shown_id(text)}: expected an integer from 0 to {MAX_TASK_ID}",
                         "example: taskctl eo get 702")
    return str(int(candidate))


def make_fetcher(profile: Profile, secret: Secret, client: HttpClient, options: FetchOptions,
                 environ: Mapping[str, str]) -> EoFetcher:
    return EoFetcher(profile, secret, client)


@dataclass
class EoFetcher:
    profile: Profile
    secret: Secret
    client: HttpClient

    def fetch(self, task_id: str) -> TaskResult:
        what = f"eo task {task_id}"
        response = self.client.request(
            "POST", self.profile.endpoint + PATH, json_body={"taskId": int(task_id)},
            headers={self.profile.settings["auth_header"]: self.secret.value, "Accept": "application/json"})
        body = decode_json(response, what, self.profile, rules=ERROR_RULES)
        code = body.get("code") if isinstance(body, dict) else None
        if response.status_code == 200 and code in (200, "200"):
            data = body.get("data")
            if not isinstance(data, dict):
                raise ResponseError(f"{what}: the answer's `data` is {json_type(data)}, not a task object",
                                    "the service may not speak this API version; --debug shows its answer")
            return TaskResult(raw=data, task=normalize(data, task_id))
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
                type_name=type_label if task_type is not None else None)


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

