"""Huawei Cloud ModelArts data-processing tasks: GET /v2/{project_id}/processor-tasks/{task_id}."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from taskctl.config import Profile
from taskctl.errors import ConfigError, ResponseError, TaskctlError, UsageError
from taskctl.http import HttpClient
from taskctl.jsonio import as_int, describe_value, dumps, json_type
from taskctl.model import Field, FieldKind, Section, State, Task, TaskResult
from taskctl.providers.base import (
    ListPage,
    ListQuery,
    decode_json,
    listed_tasks,
    mapped_error,
    parse_opaque_id,
    reported_total,
)
from taskctl.providers.modelarts import ModelArtsOptions
from taskctl.providers.spec import SecretKind
from taskctl.secrets import Secret

if TYPE_CHECKING:
    from taskctl.providers.modelarts.session import IamSession

NAME = "modelarts"
ERROR_RULES = "taskctl.providers.modelarts.errors"  # its rows of the error table (loaded on a failure)
SECURITY_TOKEN_ENV = "TASKCTL_SECURITY_TOKEN"

STATUSES = {0: ("initialized", State.PENDING), 1: ("running", State.RUNNING), 2: ("completed", State.SUCCEEDED),
            3: ("failed", State.FAILED), 4: ("stopped", State.CANCELED)}
TEMPLATES = {"sys_data_analyse": "feature analysis", "sys_data_cleaning": "data cleansing",
             "sys_data_augmentation": "data augmentation", "sys_data_validation": "data validation",
             "sys_data_selection": "data filtering"}


STATUS_CODES = {state: code for code, (_name, state) in STATUSES.items()}
MAX_PAGE_SIZE = 100  # the API's own limit


def parse_task_id(text: str) -> str:
    return parse_opaque_id(NAME, text)


def parse_list_types(values: Sequence[str]) -> tuple[str, ...]:
    """`list --type`: template ids or their short names (``sys_data_analyse``, ``analyse``), as template ids."""
    names = {**{template: template for template in TEMPLATES},
             **{template.removeprefix("sys_data_"): template for template in TEMPLATES},
             **{label: template for template, label in TEMPLATES.items()}}
    chosen = []
    for value in values:
        template = names.get(value.strip().casefold().replace("-", "_"), names.get(value.strip().casefold()))
        if template is None:
            known = ", ".join(f"{short.removeprefix('sys_data_')} ({short})" for short in TEMPLATES)
            raise UsageError(f"unknown modelarts task type {value!r}", f"use a template id or short name: {known}")
        chosen.append(template)
    return tuple(dict.fromkeys(chosen))


def make_fetcher(profile: Profile, secret: Secret, client: HttpClient, options: ModelArtsOptions,
                 environ: Mapping[str, str]) -> ModelArtsFetcher:
    from taskctl.providers.modelarts import credentials

    sdk = credentials.from_sdk(secret)
    security_token = environ.get(SECURITY_TOKEN_ENV) or (environ.get(credentials.SDK_SECURITY_TOKEN) if sdk
                                                         else None) or None
    if security_token:
        client.redact.add(security_token)
    fetcher = ModelArtsFetcher(profile, secret, client, "", security_token,
                               credentials.access_key(profile, secret, environ))
    if secret.kind is SecretKind.PASSWORD:
        fetcher.session = _password_session(profile, secret, client, environ)
    given = options.project_id if options.project_id is not None else (
        profile.settings.get("project_id") or environ.get(credentials.SDK_PROJECT_ID) or None)
    fetcher.project_id = _checked_project(given) if given is not None else _found_project(fetcher, environ)
    return fetcher


def _checked_project(project_id: str) -> str:
    if not project_id:
        raise UsageError("modelarts needs a project id (--project-id is empty)",
                         "pass --project-id, or set `project_id:` or `region:` in the profile")
    if project_id in (".", "..") or not project_id.isprintable():
        raise UsageError(f"invalid project id {project_id!r}", "project ids look like 0a1b2c3d4e5f...")
    return project_id


def region(profile: Profile) -> str | None:
    from taskctl.providers.modelarts.regions import region_of

    named = profile.settings.get("region")
    return str(named) if named else region_of(profile.endpoint)


def iam_endpoint(profile: Profile, environ: Mapping[str, str], where: str | None) -> str | None:
    """`iam_endpoint:`, else the SDK's $HUAWEICLOUD_SDK_IAM_ENDPOINT, else the region's IAM host."""
    from taskctl.providers.modelarts import credentials, regions

    named = profile.settings.get("iam_endpoint") or environ.get(credentials.SDK_IAM_ENDPOINT, "").rstrip("/")
    return str(named) if named else regions.iam_endpoint(where) if where else None


def _password_session(profile: Profile, secret: Secret, client: HttpClient,
                      environ: Mapping[str, str]) -> IamSession:
    from taskctl.providers.modelarts.session import IamSession, Scope, TokenStore

    where = region(profile)
    iam = iam_endpoint(profile, environ, where)
    if where is None or iam is None:
        raise ConfigError(f"profile '{profile.name}': `auth: password` needs `region:` (the project the IAM token "
                          "is scoped to)", f"add `region:` to the profile in {profile.source}")
    scope = Scope(iam, str(profile.settings.get("domain")), str(profile.settings.get("username")), where)
    return IamSession(TokenStore(profile, environ), scope, secret.value, client)


def _found_project(fetcher: ModelArtsFetcher, environ: Mapping[str, str]) -> str:
    """The project of the profile's region: the password token's own, else looked up in IAM (and cached)."""
    from taskctl.providers.modelarts.projects import lookup

    if fetcher.session is not None:
        fetcher.session.token()
        if fetcher.session.project_id:
            return fetcher.session.project_id
    profile = fetcher.profile
    where = region(profile)
    iam = iam_endpoint(profile, environ, where)
    if where is None or iam is None:
        raise UsageError("modelarts needs a project id", f"pass --project-id, or set `project_id:` or `region:` in "
                                                        f"profile '{profile.name}'")
    from taskctl.providers.modelarts.regions import GLOBAL_IAM

    derived = not profile.settings.get("iam_endpoint") and iam == iam_endpoint(profile, {}, where)
    account = fetcher.access_key or f"profile {profile.name}"
    return lookup(fetcher.client, environ, iam, account, where, token=fetcher.token_now(),
                  sign=fetcher.signer() if fetcher.signs else None, fallback=GLOBAL_IAM if derived else None)


def task_url(endpoint: str, project_id: str, task_id: str) -> str:
    """The task's URL, each path segment percent-encoded."""
    return f"{endpoint}/v2/{quote(project_id, safe='')}/processor-tasks/{quote(task_id, safe='')}"


class ModelArtsFetcher:
    def __init__(self, profile: Profile, secret: Secret, client: HttpClient, project_id: str,
                 security_token: str | None = None, access_key: str | None = None) -> None:
        self.profile = profile
        self.secret = secret
        self.client = client
        self.project_id = project_id
        self.security_token = security_token
        self.access_key = access_key  # None: not signing
        self.session: IamSession | None = None  # `auth: password`: its IAM token

    def fetch(self, task_id: str) -> TaskResult:
        body = self._body(task_url(self.profile.endpoint, self.project_id, task_id), f"modelarts task {task_id}")
        return TaskResult(raw=body, task=normalize(body, task_id))

    def pages(self, query: ListQuery) -> Iterator[ListPage]:
        """The listing, newest first (one state and one type are filtered by the service, more by ``accepts``
        and the caller)."""
        from taskctl.providers.modelarts.listing import pages

        params = {"sort_by": "create_time", "order": "desc", "return_result": "false"}
        if query.name:
            params["task_name"] = query.name
        if len(query.types) == 1:
            params["task_type"] = query.types[0]
        if len(query.states) == 1 and (code := STATUS_CODES.get(next(iter(query.states)))) is not None:
            params["status"] = str(code)
        return pages(self.list_page, params, max(1, min(query.page_size, MAX_PAGE_SIZE)))

    def accepts(self, query: ListQuery, result: TaskResult) -> bool:
        template = result.raw.get("template") if isinstance(result.raw, dict) else None
        return not query.types or (isinstance(template, dict) and template.get("id") in query.types)

    def list_page(self, params: dict[str, str], page_size: int) -> ListPage:
        """``GET /v2/{project_id}/processor-tasks?...``: one page."""
        url = f"{self.profile.endpoint}/v2/{quote(self.project_id, safe='')}/processor-tasks?{urlencode(params)}"
        what = f"modelarts task list (offset {params.get('offset', '0')})"
        body = self._body(url, what, shape="a page of tasks")
        results = tuple(TaskResult(raw=item, task=normalize(item, ""))
                        for item in listed_tasks(body, "tasks", what, "task_id"))
        return ListPage(results, reported_total(body.get("count")), page_size)

    def _body(self, url: str, what: str, shape: str = "a task object") -> dict[str, Any]:
        """The JSON object of a successful answer, or the error the answer means."""
        response = self.get(url)
        request_id = response.headers.get("X-Request-Id")
        body = decode_json(response, what, self.profile, rules=ERROR_RULES, request_id=request_id)
        if response.status_code == 404 and not _own_error(body):
            raise mapped_error(ERROR_RULES, what, 404, self.profile, request_id=request_id,
                                    got=f"JSON that is not a ModelArts error ({json_type(body)})")
        if response.status_code == 200 and not _error_in_success(body):
            if not isinstance(body, dict):
                raise ResponseError(f"{what}: the answer is {json_type(body)}, not {shape}",
                                    "the service may not speak this API version; --debug shows its answer")
            return body
        raise _error(what, response.status_code, body, request_id, self.profile)

    def get(self, url: str):  # type: ignore[no-untyped-def]
        """GET with the profile's credentials (token, password session or signature): every ModelArts request
        (a task, a page of the list) goes through here. A password session's token refused with 401 (expired,
        revoked) is replaced once and the request sent again."""
        token = self.token_now()
        response = self._send(url, token)
        if response.status_code == 401 and self.session is not None and token is not None:
            response = self._send(url, self.session.renew(token))
        return response

    def _send(self, url: str, token: str | None):  # type: ignore[no-untyped-def]
        headers = {"Accept": "application/json"} | ({"X-Auth-Token": token} if token else {})
        return self.client.request("GET", url, headers=headers, sign=self.signer() if self.signs else None)

    @property
    def signs(self) -> bool:
        return self.access_key is not None and self.secret.kind is SecretKind.SECRET_KEY

    def token_now(self) -> str | None:
        """The X-Auth-Token to send (None when signing)."""
        if self.signs:
            return None
        return self.session.token() if self.session is not None else self.secret.value

    def signer(self):  # type: ignore[no-untyped-def]
        """Signs each request as it is sent (again after a same-origin redirect: the path is signed)."""
        from taskctl.providers.modelarts.signing import sign_request

        access_key = self.access_key or ""
        secret_key, token = self.secret.value, self.security_token

        def sign(method: str, url: str, headers: dict[str, str], body: bytes) -> dict[str, str]:
            return sign_request(method, url, headers, body, access_key, secret_key, security_token=token)

        return sign


def _own_error(body: Any) -> bool:
    """ModelArts' errors: `{"error_code": "ModelArts.4352", "error_msg": ...}` (a gateway's code is not one)."""
    code = body.get("error_code") if isinstance(body, dict) else None
    return isinstance(code, str) and code.startswith("ModelArts.")


def _error_in_success(body: Any) -> bool:
    """ModelArts' own error object sent with HTTP 200 (seen from gateways in front of it): neither a task nor a
    page of them."""
    return _own_error(body) and "task_id" not in body and "tasks" not in body


def _error(what: str, status: int, body: Any, request_id: str | None, profile: Profile) -> TaskctlError:
    """ModelArts' own error answer: `{"error_code": "ModelArts.4352", "error_msg": ...}`."""
    code = body.get("error_code") if isinstance(body, dict) else None
    text = describe_value(body.get("error_msg")) if isinstance(body, dict) else ""
    return mapped_error(ERROR_RULES, what, status, profile, code=code, text=text, request_id=request_id)


def normalize(body: dict[str, Any], requested_id: str) -> Task:
    status = as_int(body.get("status"))
    status_name, state = STATUSES.get(status, ("unknown", State.UNKNOWN)) if status is not None else (
        "unknown", State.UNKNOWN)
    template_value = body.get("template")
    template: dict[str, Any] = template_value if isinstance(template_value, dict) else {}
    template_id = describe_value(template.get("id"))
    type_label = TEMPLATES.get(template_id, template_id or "unknown template")
    name = describe_value(body.get("name"))
    summary = [Field("Name", name)] if name else []
    summary += [Field("ID", describe_value(body.get("task_id")) or requested_id),
               Field("Status", f"{describe_value(body.get('status'))} {status_name}", kind=FieldKind.STATUS),
               Field("Template", f"{template_id} ({type_label})" if template_id in TEMPLATES else type_label)]
    summary += _optional_fields(body)
    return Task(provider=NAME, task_id=describe_value(body.get("task_id")) or requested_id,
                name=name, type_label=type_label,
                raw_status=f"{describe_value(body.get('status'))} {status_name}", state=state, summary=tuple(summary),
                sections=_sections(body, template),
                message=describe_value(body.get("error_msg")) or None if state == State.FAILED else None,
                annotations=(("status", f"{status_name} → {state.value}"), ("create_time", _created(body))),
                status=body.get("status"), status_text=None if state is State.UNKNOWN else status_name,
                type_name=type_label if template_id else None, created=_created_at(body),
                duration_seconds=body["duration_seconds"] if _is_number(body.get("duration_seconds")) else None,
                list_columns=_list_columns(body))


def _list_columns(body: dict[str, Any]) -> tuple[Field, ...]:
    seconds = body.get("duration_seconds")
    return (Field("Duration", str(seconds) if _is_number(seconds) else "", kind=FieldKind.DURATION),)


def _optional_fields(body: dict[str, Any]) -> list[Field]:
    fields = []
    if body.get("description"):
        fields.append(Field("Description", describe_value(body["description"])))
    version = body.get("version_name") or body.get("version_id")
    if version:
        fields.append(Field("Version", describe_value(version)))
    work_path = body.get("work_path")
    if isinstance(work_path, dict):
        where = work_path.get("output_path") or work_path.get("path")
        fields.append(Field("Work path", f"{describe_value(work_path.get('type'))} {describe_value(where)}".strip()))
    if _is_number(body.get("duration_seconds")):
        fields.append(Field("Duration", str(body["duration_seconds"]), kind=FieldKind.DURATION))
    created = _created(body)
    if created:
        fields.append(Field("Created", created, kind=FieldKind.TIME))
    return fields


def _created(body: dict[str, Any]) -> str:
    """`create_time` (epoch milliseconds) as an ISO 8601 instant, or "" when absent or not a number."""
    moment = _created_at(body)
    return moment.isoformat() if moment else ""


def _created_at(body: dict[str, Any]) -> datetime | None:
    value = body.get("create_time")
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    try:
        return datetime.fromtimestamp(float(value) / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _sections(body: dict[str, Any], template: dict[str, Any]) -> tuple[Section, ...]:
    operators = template.get("operator_params")
    rows: list[tuple[str, ...]] = []
    listed = [op for op in operators if isinstance(op, dict)] if isinstance(operators, list) else []
    for op in listed:
        rows += _operator_rows(op)
    inputs_value, data_source = body.get("inputs"), body.get("data_source")
    sources: list[Any] = inputs_value if isinstance(inputs_value, list) else (
        [data_source] if isinstance(data_source, dict) else [])
    inputs = tuple((describe_value(s.get("type")), describe_value(s.get("source")),
                    describe_value(s.get("name")), describe_value(s.get("version_name") or s.get("version_id")))
                   for s in sources if isinstance(s, dict))
    return (Section("Operators", ("Operator", "Name", "Parameter", "Value"), tuple(rows), item_count=len(listed)),
            Section("Inputs", ("Type", "Source", "Name", "Version"), inputs))


def _operator_rows(operator: dict[str, Any]) -> list[tuple[str, ...]]:
    """One row per parameter; the operator's id and name on its first row only."""
    head = (describe_value(operator.get("id")), describe_value(operator.get("name")))
    params = operator.get("params")
    pairs = [(str(key), _param_value(value)) for key, value in params.items()] if isinstance(params, dict) else (
        [("", describe_value(params))] if params is not None else [("", "")])
    return [(head if position == 0 else ("", "")) + pair for position, pair in enumerate(pairs)]


def _param_value(value: Any) -> str:
    return dumps(value, indent=None) if isinstance(value, dict | list) else describe_value(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
