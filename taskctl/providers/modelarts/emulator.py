"""The ModelArts data-processing API (v2): ``GET /modelarts/v2/{project_id}/processor-tasks/{task_id}``.

Faithful to the "Querying Details About a Processing Task" document: the endpoint is
``base_url/modelarts``, success is HTTP 200 with the task as the whole body, errors are
``{"error_code": "ModelArts.xxxx", "error_msg": ...}``. Every answer of this API (success, error,
fault) carries an ``X-Request-Id`` header (32 random hex digits). Path segments arrive
percent-encoded and are decoded (UTF-8) before lookup: ``task%20%C3%BC%201`` is ``task ü 1``.

Authentication, either of:

* ``X-Auth-Token: sandbox-token`` (``SANDBOX_TOKEN``), or a token the sandbox's IAM (``/iam``, see
  ``iam_emulator``) issued and that has not expired (an expired one: 401 ``APIGW.0301`` "The token must be
  updated."); when this header is present it alone decides;
* AK/SK signing (``Authorization: SDK-HMAC-SHA256 Access=..., SignedHeaders=..., Signature=...`` plus
  ``X-Sdk-Date``), checked by ``taskctl.providers.signing.verify_request`` against the request target
  as received (``/modelarts/v2/...``, query included), its headers and body, within 15 minutes of the
  sandbox's clock. AK ``SANDBOXACCESSKEY0001`` (permanent: no ``X-Security-Token`` allowed) or the
  temporary AK ``SANDBOXTEMPKEY0002`` (``X-Security-Token`` must be ``SANDBOX_SECURITY_TOKEN``); both
  have the secret key ``sandbox-secret-key-0001``.

Errors, checked in this order:

=========================================  ====  ===============================================================
request                                    HTTP  body
=========================================  ====  ===============================================================
neither ``X-Auth-Token`` nor               401   ``{"error_code": "ModelArts.0101", "error_msg": "Missing
``Authorization``                                authentication: X-Auth-Token or AK/SK signature required."}``
wrong token, bad signature, unknown AK,    401   ``{"error_code": "ModelArts.0103", "error_msg": "Authentication
clock skew, bad security token                   failed: <reason>"}``
``project_id`` not ``sandbox-project``     404   ``{"error_code": "ModelArts.0104", "error_msg": "Project <id>
                                                 not found."}``
task ``task-forbidden``                    403   ``{"error_code": "ModelArts.0201", "error_msg": "Forbidden."}``
unknown ``task_id``                        404   ``{"error_code": "ModelArts.4352", "error_msg": "Processor task
                                                 <id> not found."}``
=========================================  ====  ===============================================================

Seed tasks (project ``sandbox-project``):

===================  ==========================================================================================
task_id              task
===================  ==========================================================================================
AcYfsdfhGyrWL5TtahH  the document's example, byte for byte (status 2, ``sys_data_analyse``, ``"key" : value``)
task-pending         0, ``sys_data_validation``, ``inputs`` only, no ``duration_seconds``
task-running         1, ``sys_data_augmentation`` (3 operators: nested map, lists, booleans), ``inputs`` only,
                     OBS ``work_path``, ``version_name``, undocumented ``flavor`` object
task-cleaning        2, ``sys_data_cleaning``, ``data_source`` only, byte for byte from a file: compact JSON with
                     ``"threshold":0.50``, ``"simlarity_threshold":0.90`` and ``1.0E-4`` (must stay as sent),
                     ``result`` object, undocumented ``processor_version``
task-failed          3 with ``error_msg``, ``sys_data_selection``
task-canceled        4, ``sys_data_cleaning``, ``data_source`` only, DATASET ``work_path``, ``is_current`` false
task-unknown         9 (undocumented)
task-hostile         3; rich markup, ANSI/OSC escapes, BEL, C1 CSI, DEL, newline in ``name``,
                     ``description``, ``error_msg`` and nested strings
task ü 1             2: an id with a space and a non-ASCII letter (send it percent-encoded)
task-advancing       poll 1: status 0; poll 2: 1; poll 3 on: 2
task-advancing-fail  poll 1: status 0; poll 2: 1; poll 3 on: 3 with ``error_msg``
===================  ==========================================================================================

Fault injection:

===============  ====  ==========================================================================================
task_id          HTTP  answer
===============  ====  ==========================================================================================
task-forbidden   403   ``ModelArts.0201`` (above)
fault-500        500   ``{"error_code": "ModelArts.0010", "error_msg": "Internal server error."}``
fault-502        502   nginx-style HTML "502 Bad Gateway" (``text/html``)
fault-503        503   HTML "503 Service Temporarily Unavailable", ``Retry-After: 1``
fault-truncated  200   the first half of the document example's bytes (Content-Length matches)
fault-array      200   a JSON array: ``[{"task_id": "fault-array", "status": 2}]``
fault-empty      200   an empty ``application/json`` body
fault-redirect   302   ``Location: http://203.0.113.7/modelarts/v2/sandbox-project/processor-tasks/x``
===============  ====  ==========================================================================================

The list, ``GET /modelarts/v2/{project_id}/processor-tasks`` (same authentication, project check and
``X-Request-Id``): every seed task above (faults aside) and 20 generated ones (``catalogue.py``), 31 in all.
``limit`` 1-100 (default 10), ``offset`` the 0-based *page* (the document's "start page"; a client cannot know
that and must probe), ``sort_by`` ``create_time`` (default) | ``name`` | ``duration_seconds``, ``order`` ``desc``
(default) | ``asc``, ``status`` (one of 0-4), ``task_name`` (case-insensitive substring), ``task_type`` (a
template id), ``return_result=false`` leaves ``result`` out. Answer ``{"count": <all matching>, "tasks": [...]}``;
a bad parameter: HTTP 400 ``ModelArts.2764`` (``ModelArts.2790`` for ``sort_by``). Listing counts no poll.

Seeding at runtime: ``RunningSandbox.add_task("modelarts", task_id, seed)`` with a non-empty string
``task_id`` (decoded, as it is looked up) and a ``ModelArtsResult`` seed: a mapping (the whole HTTP 200
body), ``bytes`` (the whole HTTP 200 body, as is) or a ``Response``; or a callable taking the poll
count (1 on the first request) and returning one.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any
from urllib.parse import parse_qs, unquote

from taskctl.providers.modelarts import (
    SANDBOX_ACCESS_KEY,
    SANDBOX_PROJECT_ID,
    SANDBOX_SECRET_KEY,
    SANDBOX_SECURITY_TOKEN,
    SANDBOX_TEMP_ACCESS_KEY,
)
from taskctl.providers.modelarts.catalogue import catalogue_tasks
from taskctl.providers.modelarts.iam_emulator import IamApi
from taskctl.providers.modelarts.seeds import DOC_TASK_ID, FILE_SEEDS, advancing, advancing_fail, seed_tasks
from taskctl.sandbox import SANDBOX_TOKEN
from taskctl.sandbox.seeds import SeedBook, gateway_faults
from taskctl.sandbox.server import Mount, Request, Response, Route, json_object, json_response

DETAIL_PATH = "/v2/{project_id}/processor-tasks/{task_id}"
LIST_PATH = "/v2/{project_id}/processor-tasks"
SORT_KEYS = ("create_time", "name", "duration_seconds")
FORBIDDEN_TASK_ID = "task-forbidden"
REDIRECT_TARGET = "http://203.0.113.7/modelarts/v2/sandbox-project/processor-tasks/x"
SECRET_KEYS = {SANDBOX_ACCESS_KEY: SANDBOX_SECRET_KEY, SANDBOX_TEMP_ACCESS_KEY: SANDBOX_SECRET_KEY}
TEMPORARY_ACCESS_KEYS = frozenset({SANDBOX_TEMP_ACCESS_KEY})

ModelArtsResult = Mapping[str, Any] | bytes | Response
ModelArtsSeed = ModelArtsResult | Callable[[int], ModelArtsResult]


@cache
def data_file(name: str) -> bytes:
    """A seed served byte for byte from ``data/``."""
    from importlib.resources import files

    return files("taskctl.providers.modelarts").joinpath("data", name).read_bytes()


def document_example() -> bytes:
    """The document's example response (task ``AcYfsdfhGyrWL5TtahH``), exactly as the file holds it."""
    return data_file(FILE_SEEDS[DOC_TASK_ID])


def error(http_status: int, code: str, message: str) -> Response:
    """The API's error body."""
    return json_response(http_status, {"error_code": code, "error_msg": message})


def auth_failed(reason: str) -> Response:
    return error(401, "ModelArts.0103", f"Authentication failed: {reason}")


def _faults() -> dict[str, ModelArtsSeed]:
    """The fault-injection ids (see the module docstring)."""
    return {
        FORBIDDEN_TASK_ID: error(403, "ModelArts.0201", "Forbidden."),
        "fault-500": error(500, "ModelArts.0010", "Internal server error."),
        "fault-truncated": lambda _poll: Response(200, document_example()[: len(document_example()) // 2]),
        "fault-array": json_response(200, [{"task_id": "fault-array", "status": 2}]),
        "fault-empty": Response(200, b""),
        **{f"fault-{name}": answer for name, answer in gateway_faults(REDIRECT_TARGET).items()},
    }


def _file_seed(name: str) -> Callable[[int], bytes]:
    return lambda _poll: data_file(name)


def _to_response(result: ModelArtsResult) -> Response:
    """A seed's result as an HTTP answer."""
    if isinstance(result, Response):
        return result
    if isinstance(result, bytes):
        return Response(200, result)
    return json_response(200, dict(result))


def _access_key(authorization: str) -> str | None:
    """The ``Access=`` value of an ``SDK-HMAC-SHA256`` Authorization header."""
    _, _, rest = authorization.partition(" ")
    for part in rest.split(","):
        name, _, value = part.strip().partition("=")
        if name == "Access":
            return value
    return None


def authenticate(request: Request, iam: IamApi | None = None) -> Response | None:
    """None when the request carries a valid token (``SANDBOX_TOKEN`` or one ``iam`` issued) or AK/SK signature,
    else the 401 answer (an expired IAM token: ``APIGW.0301``, as Huawei's API gateway answers)."""
    token = request.header("X-Auth-Token")
    if token is not None:
        state = "valid" if token == SANDBOX_TOKEN else iam.token_state(token) if iam else "unknown"
        if state == "expired":
            return error(401, "APIGW.0301", "The token must be updated.")
        return None if state == "valid" else auth_failed("invalid X-Auth-Token")
    authorization = request.header("Authorization")
    if authorization is None:
        return error(401, "ModelArts.0101", "Missing authentication: X-Auth-Token or AK/SK signature required.")
    try:
        from taskctl.providers.modelarts.signing import verify_request
    except ImportError:
        return auth_failed("AK/SK signature verification is not available")
    reason = verify_request(request.method, request.full_path, request.headers, request.body, SECRET_KEYS.get)
    if reason is not None:
        return auth_failed(reason)
    security_token = request.header("X-Security-Token")
    if _access_key(authorization) in TEMPORARY_ACCESS_KEYS:
        if security_token != SANDBOX_SECURITY_TOKEN:
            return auth_failed("invalid or missing X-Security-Token for a temporary access key")
    elif security_token is not None:
        return auth_failed("X-Security-Token sent with a permanent access key")
    return None


class ModelArtsApi:
    """One sandbox's ModelArts service: seeds (its own copy) and per-task poll counts."""

    def __init__(self) -> None:
        seeds: dict[str, ModelArtsSeed] = {task_id: _file_seed(name) for task_id, name in FILE_SEEDS.items()}
        seeds.update(seed_tasks())
        seeds["task-advancing"] = advancing
        seeds["task-advancing-fail"] = advancing_fail
        seeds.update(catalogue_tasks())
        self._listed = list(seeds)  # every task; the faults below are not tasks
        seeds.update(_faults())
        self._seeds: SeedBook[str, ModelArtsResult] = SeedBook(seeds)
        self.iam = IamApi(SECRET_KEYS.get)

    def extra_mounts(self) -> dict[str, Mount]:
        """``/iam``, on the sandbox root: the IAM that issues the tokens this ModelArts accepts."""
        return {"iam": self.iam}

    def routes(self) -> list[Route]:
        """The detail and the list (relative to ``/modelarts``)."""
        return [Route("GET", DETAIL_PATH, self.task_detail), Route("GET", LIST_PATH, self.task_list)]

    def add_task(self, task_id: str, seed: ModelArtsSeed) -> None:
        """Serve ``seed`` for ``task_id`` from now on (replacing any seed; poll count restarts)."""
        if not isinstance(task_id, str) or not task_id:
            raise ValueError(f"ModelArts task ids are non-empty strings, not {task_id!r}")
        self._seeds.put(task_id, seed)
        if task_id not in self._listed:
            self._listed.append(task_id)

    def task_detail(self, request: Request) -> Response:
        """``GET /v2/{project_id}/processor-tasks/{task_id}``, every answer with an ``X-Request-Id``."""
        response = self._answer(request)
        return response._replace(headers=(*response.headers, ("X-Request-Id", os.urandom(16).hex())))

    def task_list(self, request: Request) -> Response:
        """``GET /v2/{project_id}/processor-tasks``, every answer with an ``X-Request-Id``."""
        response = self._refused(request) or self._list(request)
        return response._replace(headers=(*response.headers, ("X-Request-Id", os.urandom(16).hex())))

    def _refused(self, request: Request) -> Response | None:
        refused = authenticate(request, self.iam)
        if refused is not None:
            return refused
        project_id = unquote(request.params["project_id"])
        if project_id != SANDBOX_PROJECT_ID:
            return error(404, "ModelArts.0104", f"Project {project_id} not found.")
        return None

    def _list(self, request: Request) -> Response:
        query = _list_query(request.query)
        if isinstance(query, Response):
            return query
        tasks = [body for body in self._list_bodies() if _matches(body, query)]
        key = str(query["sort_by"])
        tasks.sort(key=lambda body: (body.get(key) is not None, body.get(key) or 0), reverse=query["order"] == "desc")
        limit, offset = int(query["limit"]), int(query["offset"])
        page = tasks[offset * limit:(offset + 1) * limit]
        if query["return_result"] == "false":
            page = [{key: value for key, value in body.items() if key != "result"} for body in page]
        return json_response(200, {"count": len(tasks), "tasks": page})

    def _list_bodies(self) -> list[dict[str, Any]]:
        bodies = []
        for task_id in list(self._listed):
            result = self._seeds.peek(task_id)
            if isinstance(result, bytes):
                result = json_object(result)
            if isinstance(result, Mapping):
                bodies.append(dict(result))
        return bodies

    def _answer(self, request: Request) -> Response:
        refused = self._refused(request)
        if refused is not None:
            return refused
        task_id = unquote(request.params["task_id"])
        result = self._seeds.poll(task_id)
        if result is None:
            return error(404, "ModelArts.4352", f"Processor task {task_id} not found.")
        return _to_response(result)


def _list_query(query: str) -> dict[str, str | int] | Response:
    """The list's query parameters (defaults filled in), or the API's answer to a bad one."""
    given = {name: values[-1] for name, values in parse_qs(query, keep_blank_values=True).items()}
    values: dict[str, str | int] = {"sort_by": given.get("sort_by", "create_time"),
                                    "order": given.get("order", "desc"),
                                    "return_result": given.get("return_result", "true")}
    if values["sort_by"] not in SORT_KEYS:
        return error(400, "ModelArts.2790", f"Invalid sort_by: {values['sort_by']}.")
    for name, default, low, high in (("limit", 10, 1, 100), ("offset", 0, 0, 10**9), ("status", -1, 0, 4)):
        text = given.get(name)
        number = int(text) if text is not None and text.isascii() and text.isdigit() else None
        if text is not None and (number is None or not low <= number <= high):
            return error(400, "ModelArts.2764", f"Invalid parameter {name}: {text}.")
        values[name] = default if number is None else number
    if values["order"] not in ("asc", "desc"):
        return error(400, "ModelArts.2764", f"Invalid parameter order: {values['order']}.")
    values["task_name"], values["task_type"] = given.get("task_name", ""), given.get("task_type", "")
    return values


def _matches(body: dict[str, Any], query: dict[str, str | int]) -> bool:
    template = body.get("template")
    template_id = template.get("id") if isinstance(template, dict) else None
    name = str(body.get("name") or "")
    return ((query["status"] == -1 or body.get("status") == query["status"])
            and str(query["task_name"]).casefold() in name.casefold()
            and (not query["task_type"] or template_id == query["task_type"]))
