"""The EO (Earth-observation) API: ``POST /eo/processtask/query/task/detail`` and the paged list,
``POST /eo/processtask/query/page``.

Faithful to the "Query Task Detail API" document: the token in ``Authorization`` or ``X-API-Key``
(equal to ``SANDBOX_TOKEN``, no scheme), body ``{"taskId": <Long>}``, answer
``{"code", "message", "data"}``, and errors that often come with HTTP 200.

Request errors:

=====================================  ====  ==================================================
request                                HTTP  body
=====================================  ====  ==================================================
token missing or wrong                 401   ``{"code": 401, "message": "Unauthorized"}``
body not a JSON object                 400   ``{"code": 400, "message": "Malformed JSON ..."}``
``taskId`` missing or null             200   ``{"code": 400, "message": "Task ID is required"}``
``taskId`` not an integer (or > Long)  200   ``{"code": 400, "message": "taskId must be a Long"}``
unknown ``taskId``                     200   ``{"code": 404, "message": "Task not found"}``
=====================================  ====  ==================================================

Seed tasks (``data`` of a ``code`` 200 answer):

===================  ==================================================================
taskId               task
===================  ==================================================================
702                  the document's success example, byte for byte (5 PROCESSING)
703                  NDVI (7), 7 PUBLISHED, inputs Red and NIR
704                  mosaic (2), 8 PUBLISH_FAILED, undocumented ``failReason`` + ``publish``
705                  Cloud Removal (4), status 6 (undocumented: "unknown")
706                  mosaic (2), 7 PUBLISHED, 40 Landsat inputs, non-ASCII name
707                  7 PUBLISHED, hostile strings: rich markup, ANSI/OSC escapes, BEL, C1, DEL
708                  NDWI (9), 5 PROCESSING, ``datas: []`` and ``output: null``
710                  NDVI (7), advances on each poll: 5 PROCESSING on polls 1-2, then 7 PUBLISHED
711                  NDVI (7), advances on each poll: 5 PROCESSING on polls 1-2, then 8 PUBLISH_FAILED
                     (with an undocumented ``failReason``)
712                  NDBI (10), 7 PUBLISHED, but ``output.dataFileId`` null: no file to download (*)
713                  NDVI (7), 7 PUBLISHED, output file 999, which the file-URL API does not know (*)
714                  Band Merging (6), 7 PUBLISHED; each link to its output file works once (*)
1985949195927285760  BAI (11), 7 PUBLISHED: a 19-digit id (and ``outputPath``)
===================  ==================================================================

(*) For the error paths of a download: like the fault ids, not in the list.

Files: ``GET /eo/datafile/file/urls?dataFileIds=<id>,<id>`` (token as above) answers ``{"code": 200,
"message": "success", "data": {"urlList": [{"url", "dataFileId", "name", "path"}]}}`` with a fresh
pre-signed link per known id (unknown ids left out), ``code`` 404 "Files not found" when none is known,
400 "Invalid file IDs" for an id that is not a Long. Every input and output file of the seed tasks is
known (a small TIFF named ``<fileName>.tif``); task 707's have hostile ``name`` and ``path`` values. The
links and the seed tasks' ``thumbnailUrl`` (small PNGs) point at the storage host, a second server on
another port (``RunningSandbox.storage_url``): see ``storage.py``. At runtime,
``api("eo").add_file(file_id, name, data)`` adds a file (``data`` may be a ``Response``, sent as is) and
``api("eo").break_file(file_id, after)`` makes its next answer stop after ``after`` body bytes.

Fault injection, to try scripts against error paths:

======  ====  ===============================================================================
taskId  HTTP  answer
======  ====  ===============================================================================
9401    403   ``{"code": 403, "message": "Forbidden: no access to this project"}``
9500    500   ``{"code": 500, "message": "Server internal error"}``
9502    502   nginx-style HTML "502 Bad Gateway" (``text/html``)
9503    503   HTML "503 Service Temporarily Unavailable", ``Retry-After: 1``
9200    200   ``{"code": 500, "message": "Server internal error"}`` (an error with HTTP 200)
9001    200   the first half of task 702's JSON (truncated; Content-Length matches)
9002    200   ``{"code": 200, "message": "OK", "data": [1, 2, 3]}`` (wrong shape)
9003    200   ``text/plain`` body ``OK``
9301    302   ``Location: http://203.0.113.7/eo/processtask/query/task/detail`` (another host)
======  ====  ===============================================================================

Every error body above also carries ``"data": null``.

The list (``POST /processtask/query/page``, the "Query Process Task List" document): every task above
(fault ids aside) and the generated ones of ``catalogue.py`` (720-739 finished or processing over every type,
740-759 a batch that advances on each poll, 753 failing), 50 in all, newest ``ctime`` first. ``keyword``
(case-insensitive, in ``taskName``), ``taskStatusList`` and ``taskTypeList`` filter (an empty list: no
filter); ``pageNumber`` (from 1) and ``pageSize`` (default 10, clamped to 50 and echoed) page; past the end,
an empty ``taskList``. A field of the wrong type: ``{"code": 400, ...}`` with HTTP 200. Listing counts no poll:
an advancing task shows the state its last poll saw. Tasks added with ``add_task`` are listed too when their
seed is a task object.

Seeding at runtime: ``RunningSandbox.add_task("eo", task_id, seed)`` where ``seed`` is an
``EoResult``: a task object (served as ``data`` of a ``code`` 200 answer), ``bytes`` (the whole
HTTP 200 JSON body, sent as is) or a ``Response`` (sent as is); or a callable taking the poll
count of that task id (1 on the first request) and returning one, for tasks that advance on each
poll, e.g. ``lambda poll: running if poll < 3 else published``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from taskctl.providers.eo.catalogue import batch_tasks, catalogue_tasks, list_item
from taskctl.providers.eo.seeds import advancing_tasks, download_fault_tasks, seed_tasks, stored_files
from taskctl.providers.eo.storage import STORAGE_MOUNT, STORAGE_PLACEHOLDER, EoStorage, StoredFile
from taskctl.sandbox import SANDBOX_TOKEN
from taskctl.sandbox.seeds import SeedBook, gateway_faults
from taskctl.sandbox.server import (
    Mount,
    Request,
    Response,
    Route,
    json_object,
    json_response,
    text_response,
)

DETAIL_PATH = "/processtask/query/task/detail"
FILE_URLS_PATH = "/datafile/file/urls"
LIST_PATH = "/processtask/query/page"
MAX_PAGE_SIZE = 50
AUTH_HEADERS = ("Authorization", "X-API-Key")
REDIRECT_TARGET = "http://203.0.113.7/eo/processtask/query/task/detail"
_LONG_MIN, _LONG_MAX = -(2**63), 2**63 - 1
FINAL_POLL = 10**6  # a poll count past every advancing task's end: its last state, whose files the storage holds

EoResult = Mapping[str, Any] | bytes | Response
EoSeed = EoResult | Callable[[int], EoResult]


@cache
def document_example() -> bytes:
    """The document's success example for task 702, exactly as the file holds it."""
    from importlib.resources import files

    return files("taskctl.providers.eo").joinpath("data/eo_702.json").read_bytes()


def error(code: int, message: str, http_status: int = 200) -> Response:
    """The API's error envelope; HTTP 200 unless said otherwise, as the service does."""
    return json_response(http_status, {"code": code, "message": message, "data": None})


def _faults() -> dict[int, EoSeed]:
    """The fault-injection ids (see the module docstring)."""
    gateway = gateway_faults(REDIRECT_TARGET)
    return {
        9401: error(403, "Forbidden: no access to this project", http_status=403),
        9500: error(500, "Server internal error", http_status=500),
        9502: gateway["502"],
        9503: gateway["503"],
        9200: error(500, "Server internal error"),
        9001: lambda _poll: Response(200, document_example()[: len(document_example()) // 2]),
        9002: json_response(200, {"code": 200, "message": "OK", "data": [1, 2, 3]}),
        9003: text_response(200, "OK"),
        9301: gateway["redirect"],
    }


def is_long(value: object) -> bool:
    """Whether ``value`` is a JSON integer that fits a Java ``Long`` (bool is not)."""
    return type(value) is int and _LONG_MIN <= value <= _LONG_MAX


def _to_response(result: EoResult, storage_url: str) -> Response:
    """A seed's result as an HTTP answer (its links to the storage host filled in)."""
    if isinstance(result, Response):
        return result
    if isinstance(result, bytes):
        return Response(200, result)
    answer = json_response(200, {"code": 200, "message": "OK", "data": dict(result)})
    return answer._replace(body=answer.body.replace(STORAGE_PLACEHOLDER.encode(), storage_url.encode()))


def _file_ids(query: str) -> list[int] | None:
    """``dataFileIds=1,2,3`` (also repeated), or None when one is not a Long."""
    from urllib.parse import parse_qs

    texts = [text.strip() for value in parse_qs(query).get("dataFileIds", []) for text in value.split(",")]
    if not texts or not all(text.isdecimal() and text.isascii() and is_long(int(text)) for text in texts):
        return None
    return [int(text) for text in texts]


class EoApi:
    """One sandbox's EO service: seeds (its own copy) and per-task poll counts."""

    def __init__(self) -> None:
        seeds: dict[int, EoSeed] = {702: lambda _poll: document_example()}
        seeds.update(seed_tasks())
        seeds.update(advancing_tasks())
        seeds.update(catalogue_tasks())
        seeds.update(batch_tasks())
        self._listed = list(seeds)  # every task so far; the faults below are not tasks
        seeds.update(download_fault_tasks())
        seeds.update(_faults())
        self._seeds: SeedBook[int, EoResult] = SeedBook(seeds)
        self.storage = EoStorage(stored_files([*seed_tasks().values(), *download_fault_tasks().values(),
                                               *catalogue_tasks().values(),
                                               *(final(FINAL_POLL) for final in (*advancing_tasks().values(),
                                                                                 *batch_tasks().values()))]))

    def routes(self) -> list[Route]:
        """The routes of this API: task detail, the list, and the download links of data files."""
        return [Route("POST", DETAIL_PATH, self.task_detail), Route("POST", LIST_PATH, self.task_list),
                Route("GET", FILE_URLS_PATH, self.file_urls)]

    def extra_mounts(self) -> dict[str, Mount]:
        """``/eo-storage``, on the storage host."""
        return {STORAGE_MOUNT: self.storage}

    def add_file(self, file_id: int, name: str, data: bytes | Response | None = None, *, path: str | None = None,
                 single_use: bool = False) -> None:
        """Serve ``data`` (None: a TIFF drawn from the id; a ``Response``: sent as is) as data file ``file_id``."""
        self.storage.add(file_id, StoredFile(name, f"/data_test/{name}" if path is None else path, data, single_use))

    def break_file(self, file_id: int, after: int, times: int = 1) -> None:
        """The next ``times`` answers of file ``file_id`` stop after ``after`` body bytes."""
        self.storage.break_file(file_id, after, times)

    def file_urls(self, request: Request) -> Response:
        """``GET /datafile/file/urls?dataFileIds=<id>,<id>``: a fresh pre-signed link per known file."""
        if not any(request.header(name) == SANDBOX_TOKEN for name in AUTH_HEADERS):
            return error(401, "Unauthorized", http_status=401)
        file_ids = _file_ids(request.query)
        if file_ids is None:
            return error(400, "Invalid file IDs")
        entries = [entry for file_id in dict.fromkeys(file_ids)
                   if (entry := self.storage.url_entry(file_id, request.storage_url)) is not None]
        if not entries:
            return error(404, "Files not found")
        return json_response(200, {"code": 200, "message": "success", "data": {"urlList": entries}})

    def add_task(self, task_id: int, seed: EoSeed) -> None:
        """Serve ``seed`` for ``task_id`` from now on (replacing any seed; poll count restarts)."""
        if not is_long(task_id):
            raise ValueError(f"EO task ids are Java Longs, not {task_id!r}")
        self._seeds.put(task_id, seed)
        if task_id not in self._listed:
            self._listed.append(task_id)

    def task_detail(self, request: Request) -> Response:
        """``POST /processtask/query/task/detail``."""
        if not any(request.header(name) == SANDBOX_TOKEN for name in AUTH_HEADERS):
            return error(401, "Unauthorized", http_status=401)
        body = json_object(request.body)
        if body is None:
            return error(400, "Malformed JSON request body", http_status=400)
        task_id = body.get("taskId")
        if task_id is None:
            return error(400, "Task ID is required")
        if not is_long(task_id):
            return error(400, "taskId must be a Long")
        return self._answer(task_id, request.storage_url)

    def _answer(self, task_id: int, storage_url: str) -> Response:
        """The seed's answer for ``task_id``, counting the poll."""
        result = self._seeds.poll(task_id)
        return error(404, "Task not found") if result is None else _to_response(result, storage_url)

    def task_list(self, request: Request) -> Response:
        """``POST /processtask/query/page``."""
        if not any(request.header(name) == SANDBOX_TOKEN for name in AUTH_HEADERS):
            return error(401, "Unauthorized", http_status=401)
        body = json_object(request.body)
        if body is None:
            return error(400, "Malformed JSON request body", http_status=400)
        query = _list_query(body)
        if isinstance(query, Response):
            return query
        keyword, statuses, types, page_number, page_size = query
        items = [item for item in self._list_items()
                 if (not keyword or keyword.casefold() in str(item["taskName"]).casefold())
                 and (not statuses or item["status"] in statuses) and (not types or item["taskType"] in types)]
        items.sort(key=lambda item: (item["ctime"], item["id"]), reverse=True)
        start = (page_number - 1) * page_size
        data = {"taskList": items[start:start + page_size], "pageNumber": page_number, "pageSize": page_size,
                "pageCount": -(-len(items) // page_size), "totalCount": len(items)}
        return json_response(200, {"code": 200, "message": "success", "data": data})

    def _list_items(self) -> list[dict[str, Any]]:
        items = []
        for task_id in list(self._listed):
            result = self._seeds.peek(task_id)
            if isinstance(result, bytes):
                parsed = json_object(result)
                result = parsed.get("data") if parsed else None
            if isinstance(result, Mapping):
                items.append(list_item(dict(result)))
        return items


ListQuery = tuple[str | None, list[int], list[int], int, int]


def _list_query(body: dict[str, Any]) -> ListQuery | Response:
    """The list request's fields, or the API's answer to a field of the wrong type."""
    keyword = body.get("keyword")
    if keyword is not None and not isinstance(keyword, str):
        return error(400, "keyword must be a String")
    lists = []
    for name in ("taskStatusList", "taskTypeList"):
        value = body.get(name)
        if value is not None and not (isinstance(value, list) and all(is_long(item) for item in value)):
            return error(400, f"{name} must be a list of Integers")
        lists.append(value or [])
    numbers = []
    for name, default in (("pageNumber", 1), ("pageSize", 10)):
        value = body.get(name, default)
        if value is None:
            value = default
        if not is_long(value) or value < 1:
            return error(400, f"{name} must be a positive Integer")
        numbers.append(value)
    return keyword, lists[0], lists[1], numbers[0], min(numbers[1], MAX_PAGE_SIZE)
