"""The KooDrive share API: ``POST /koodrive/koodrive/ose/v1/share/taskDetail``, and the packages.

Faithful to the "Querying an Asynchronous Task" document: the endpoint is ``base_url/koodrive``
and the document's path ``/koodrive/ose/v1/share/taskDetail`` follows it. Header
``Authorization: Bearer+sandbox-token`` (exactly: ``Bearer+`` then ``SANDBOX_TOKEN``, no space),
optional ``X-Traceid`` (recorded, not checked), JSON body ``{"taskId": str, "shareId": str,
"kdstoken"?: str}``; success is HTTP 200 with ``code`` ``"0"`` and ``taskInfo`` (or, from a newer
deployment, ``code`` ``0``, ``jobInfo`` and per-file ``taskInfos``).

Request errors, checked in this order:

============================================  ====  ===========================================================
request                                       HTTP  body
============================================  ====  ===========================================================
``Authorization`` missing or not exact        401   ``{"error_code": "KD.00000401", "error_msg": "Unauthorized:
                                                    invalid access token"}``
body not a JSON object; ``taskId`` or         400   ``{"code": 13000102, "msg": "Verify parameters failed."}``
``shareId`` missing, empty or not a string;
``kdstoken`` not a string (null = absent)
unknown ``shareId``                           400   ``{"code": 13000309, "msg": "Resource does not exist."}``
``sandbox-locked-share`` without              400   ``{"code": 13000410, "msg": "The current user does not have
``"kdstoken": "sandbox-kdstoken"``                  permission to operate the space."}``
unknown ``taskId`` in a known share           400   ``{"code": 13000309, "msg": "Resource does not exist."}``
============================================  ====  ===========================================================

Seed tasks, share ``sandbox-share`` (``SANDBOX_SHARE_ID``) unless said otherwise:

=======================  =====================================================================================
taskId                   answer
=======================  =====================================================================================
task-pending             taskStatus 0; no ``startTime``, ``endTime`` or ``downloadUrl`` keys
task-running             1, progress 40; ``endTime`` and ``downloadUrl`` are ``""``
task-done                2, taskResultCode 1, progress 100, ``downloadUrl`` .../downloads/task-done.zip
task-partial             newer shape (``code`` 0, ``jobInfo``, ``taskInfos``): 2 / 2, 3 files, 1 failed
task-failed              2, taskResultCode 3, ``resultCode`` 13000309, ``downloadUrl`` ``""``
task-canceled            3 at progress 60
task-unknown             taskStatus 7 (undocumented)
task-hostile             newer shape, 2 / 2, 19-digit ``userId``; rich markup, ANSI/OSC escapes, BEL, C1,
                         DEL and a newline in ``taskInfos[].fileName`` and ``msg``
1985949195927285761      a numeric-looking 19-digit ``taskId`` (and ``userId``) string, 2 / 1
task-advancing           poll 1: taskStatus 0; poll 2: 1 at 50 %; poll 3 on: 2 / 1 with a package
task-link-expired        2 / 1, but its package answers 403 (link expired)
task-link-gone           2 / 1, but its package answers 404 (deleted)
task-locked              in ``sandbox-locked-share`` (needs the kdstoken): 2 / 1 with a package
=======================  =====================================================================================

Fault injection (share ``sandbox-share``):

==================  ====  ====================================================================================
taskId              HTTP  answer
==================  ====  ====================================================================================
fault-500           500   ``{"code": "13000999", "msg": "internal error"}``
fault-200-error     200   ``{"code": "13000999", "msg": "internal error"}`` (an error with HTTP 200)
fault-502           502   nginx-style HTML "502 Bad Gateway" (``text/html``)
fault-503           503   HTML "503 Service Temporarily Unavailable", ``Retry-After: 1``
fault-truncated     200   the first half of task-pending's JSON (Content-Length matches)
fault-no-info       200   ``{"code": "0", "msg": "success"}``: neither ``taskInfo`` nor ``jobInfo``
fault-null-info     200   ``{"code": "0", "msg": "success", "taskInfo": null}``
fault-wrong-shape   200   ``{"code": "0", "msg": "success", "taskInfo": [1, 2, 3]}``
fault-redirect      302   ``Location: http://203.0.113.7/koodrive/ose/v1/share/taskDetail`` (another host)
==================  ====  ====================================================================================

Packages: ``GET /downloads/<name>.zip`` on the sandbox root, outside ``/koodrive`` (a stand-in for
a pre-signed storage URL: no ``Authorization`` needed, none should be sent). ``downloadUrl`` is
absolute: ``{base_url}/downloads/<name>.zip``. A package is a small valid zip
(``application/zip``, ``Content-Length``, ``Content-Disposition: attachment; filename="<name>.zip"``),
the same bytes on every run. ``task-hostile.zip`` names itself ``../../task-hostile.zip`` in
Content-Disposition (a client must not write outside its destination). ``expired.zip`` answers 403 and
any other unknown name 404, with an OBS-style XML error.

Byte ranges, as a storage host serves them: a package answers ``Accept-Ranges: bytes``; a single range
``Range: bytes=N-``, ``bytes=N-M`` or ``bytes=-N`` gets 206 with ``Content-Range: bytes N-M/TOTAL`` and
those bytes; a range that starts at or past the end gets 416 with ``Content-Range: bytes */TOTAL``; any
other ``Range`` value is ignored (200, the whole package), as RFC 9110 allows. Every package answer
(200, 206) names its version: a strong ``ETag`` (the MD5 of its bytes, in quotes, as object stores send
it) and ``Last-Modified`` (``Wed, 05 Nov 2025 14:03:42 GMT`` for the seeds; the time of
``add_download`` for packages added at runtime); the 416 is an XML error without them. ``If-Range`` is
honoured: unless it equals that ETag or that Last-Modified exactly (a weak ``W/`` tag never does), the
``Range`` is ignored and the whole current package is sent (200), so a client resuming an older version
starts over.

Seeding at runtime: ``RunningSandbox.add_task("koodrive", task_id, seed)`` where ``task_id`` is a
string (share ``sandbox-share``) or a ``(share_id, task_id)`` pair (a new share id becomes known) and
``seed`` is a ``KooDriveResult``: a mapping with a ``code`` key (the whole HTTP 200 body, e.g. the
newer ``jobInfo`` shape), any other mapping (a ``TaskInfo``, served as ``{"code": "0", "msg":
"success", "taskInfo": ...}``), ``bytes`` (the whole HTTP 200 body, as is) or a ``Response``; or a
callable taking the poll count (1 on the first request) and returning one. A ``downloadUrl`` starting
with ``{base_url}`` gets the sandbox's base URL. ``RunningSandbox.api("koodrive").add_download(name,
data)`` serves ``data`` (bytes) as ``/downloads/<name>.zip``, with ranges; ``data`` may also be a
``Response``, served as is whatever the request's ``Range`` (a storage host that ignores ranges, an
error, a redirect). ``RunningSandbox.api("koodrive").break_download(name, after, times=1)`` makes the next
``times`` answers of ``<name>.zip`` announce their whole length but send only ``after`` bytes of the body
and close the connection (a download that breaks mid-body).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from taskctl.providers.koodrive import SANDBOX_KDSTOKEN, SANDBOX_LOCKED_SHARE_ID, SANDBOX_SHARE_ID
from taskctl.providers.koodrive.seeds import (
    BASE_URL,
    advancing,
    download_files,
    locked_seed_tasks,
    seed_tasks,
    task_body,
    task_info,
)
from taskctl.sandbox import SANDBOX_TOKEN
from taskctl.sandbox.seeds import SeedBook, gateway_faults
from taskctl.sandbox.server import (
    Mount,
    Request,
    Response,
    Route,
    json_object,
    json_response,
)
from taskctl.sandbox.storage import cut_short, file_etag, ranged_response, storage_error

DETAIL_PATH = "/koodrive/ose/v1/share/taskDetail"
AUTHORIZATION = "Bearer+" + SANDBOX_TOKEN
REDIRECT_TARGET = "http://203.0.113.7/koodrive/ose/v1/share/taskDetail"
DOWNLOADS_MOUNT = "downloads"
PACKAGES_MODIFIED = "Wed, 05 Nov 2025 14:03:42 GMT"  # when the seed tasks ended

KooDriveResult = Mapping[str, Any] | bytes | Response
KooDriveSeed = KooDriveResult | Callable[[int], KooDriveResult]


def error(code: int, msg: str, http_status: int = 400) -> Response:
    """The service's ``{"code", "msg"}`` error (HTTP 400 unless said otherwise)."""
    return json_response(http_status, {"code": code, "msg": msg})


def unauthorized() -> Response:
    """The gateway's ``{"error_code", "error_msg"}`` answer to a bad access token."""
    return json_response(401, {"error_code": "KD.00000401", "error_msg": "Unauthorized: invalid access token"})


def invalid_parameters() -> Response:
    return error(13000102, "Verify parameters failed.")


def not_found() -> Response:
    return error(13000309, "Resource does not exist.")


def no_permission() -> Response:
    return error(13000410, "The current user does not have permission to operate the space.")


def _faults() -> dict[str, KooDriveSeed]:
    """The fault-injection ids (see the module docstring)."""
    pending = json_response(200, task_body(task_info("task-pending", 1, 0, 0))).body
    return {
        "fault-500": json_response(500, {"code": "13000999", "msg": "internal error"}),
        "fault-200-error": json_response(200, {"code": "13000999", "msg": "internal error"}),
        "fault-truncated": Response(200, pending[: len(pending) // 2]),
        "fault-no-info": json_response(200, {"code": "0", "msg": "success"}),
        "fault-null-info": json_response(200, {"code": "0", "msg": "success", "taskInfo": None}),
        "fault-wrong-shape": json_response(200, {"code": "0", "msg": "success", "taskInfo": [1, 2, 3]}),
        **{f"fault-{name}": answer for name, answer in gateway_faults(REDIRECT_TARGET).items()},
    }


@cache
def zip_package(files: tuple[tuple[str, str], ...]) -> bytes:
    """A small valid zip of ``files`` (name, text), the same bytes on every run."""
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for name, text in files:
            info = zipfile.ZipInfo(name, date_time=(2025, 11, 5, 14, 3, 42))
            info.external_attr = 0o644 << 16
            archive.writestr(info, text.encode("utf-8"))
    return buffer.getvalue()


def _obs_error(status: int, code: str, message: str, key: str) -> Response:
    """An object-storage (OBS/S3-style) XML error, as a pre-signed URL's host answers."""
    return storage_error(status, code, message, key)


def _with_base_url(body: Mapping[str, Any], base_url: str) -> dict[str, Any]:
    """``body`` with the ``{base_url}`` placeholder of its ``downloadUrl`` filled in."""
    answer = dict(body)
    for key in ("taskInfo", "jobInfo"):
        info = answer.get(key)
        if isinstance(info, Mapping):
            url = info.get("downloadUrl")
            if isinstance(url, str) and url.startswith(BASE_URL):
                answer[key] = {**info, "downloadUrl": base_url + url[len(BASE_URL):]}
    return answer


def _to_response(result: KooDriveResult, base_url: str) -> Response:
    """A seed's result as an HTTP answer."""
    if isinstance(result, Response):
        return result
    if isinstance(result, bytes):
        return Response(200, result)
    body = result if "code" in result else task_body(dict(result))
    return json_response(200, _with_base_url(body, base_url))


def _package_response(request: Request, data: bytes, headers: tuple[tuple[str, str], ...],
                      last_modified: str) -> Response:
    """A package, or the byte range the request asks for (if its If-Range still names this version)."""
    return ranged_response(request, data, "application/zip", headers, last_modified, request.params["file"])


package_etag = file_etag  # the strong ETag the sandbox sends for a package


class _Downloads:
    """The ``/downloads`` mount: the packages of one KooDrive API."""

    def __init__(self, api: KooDriveApi) -> None:
        self._api = api

    def routes(self) -> list[Route]:
        return [Route("GET", "/{file}", self._api.download)]


class KooDriveApi:
    """One sandbox's KooDrive service: shares of seeds (its own copy), poll counts, packages."""

    def __init__(self) -> None:
        open_share: dict[str, KooDriveSeed] = {"task-advancing": advancing}
        open_share.update(seed_tasks())
        open_share.update(_faults())
        seeds = {(SANDBOX_SHARE_ID, task): seed for task, seed in open_share.items()}
        seeds.update({(SANDBOX_LOCKED_SHARE_ID, task): seed for task, seed in locked_seed_tasks().items()})
        self._seeds: SeedBook[tuple[str, str], KooDriveResult] = SeedBook(seeds)
        self._lock = self._seeds.lock
        self._shares = {SANDBOX_SHARE_ID, SANDBOX_LOCKED_SHARE_ID}
        self._kdstokens = {SANDBOX_LOCKED_SHARE_ID: SANDBOX_KDSTOKEN}
        # Zipped on first download: zipfile is not worth importing for a CLI command that only gets.
        self._downloads: dict[str, bytes | Response | tuple[tuple[str, str], ...]] = {
            name: tuple(files.items()) for name, files in download_files().items()
        }
        self._downloads["expired"] = _obs_error(403, "AccessDenied", "Request has expired", "expired.zip")
        self._modified: dict[str, str] = {}  # Last-Modified of packages added at runtime
        self._breaks: dict[str, list[int]] = {}

    def routes(self) -> list[Route]:
        """The one route of this API (relative to ``/koodrive``)."""
        return [Route("POST", DETAIL_PATH, self.task_detail)]

    def extra_mounts(self) -> dict[str, Mount]:
        """``/downloads``, on the sandbox root."""
        return {DOWNLOADS_MOUNT: _Downloads(self)}

    def add_task(self, task_id: str | tuple[str, str], seed: KooDriveSeed) -> None:
        """Serve ``seed`` for ``task_id`` (in ``sandbox-share``, or a ``(share_id, task_id)`` pair)."""
        pair = (SANDBOX_SHARE_ID, task_id) if isinstance(task_id, str) else task_id
        if not (isinstance(pair, tuple) and len(pair) == 2 and all(isinstance(part, str) and part for part in pair)):
            raise ValueError(f"KooDrive task ids are non-empty strings (or (shareId, taskId)), not {task_id!r}")
        with self._lock:
            self._shares.add(pair[0])
        self._seeds.put(pair, seed)

    def add_download(self, name: str, data: bytes | Response) -> None:
        """Serve ``data`` as ``/downloads/<name>.zip`` from now on."""
        from email.utils import formatdate

        with self._lock:
            self._downloads[name] = data
            self._modified[name] = formatdate(usegmt=True)

    def break_download(self, name: str, after: int, times: int = 1) -> None:
        """The next ``times`` answers of ``/downloads/<name>.zip`` stop after ``after`` body bytes."""
        with self._lock:
            self._breaks.setdefault(name, []).extend([after] * times)

    def task_detail(self, request: Request) -> Response:
        """``POST /koodrive/ose/v1/share/taskDetail``."""
        if request.header("Authorization") != AUTHORIZATION:
            return unauthorized()
        body = json_object(request.body)
        if body is None:
            return invalid_parameters()
        task_id, share_id, kdstoken = body.get("taskId"), body.get("shareId"), body.get("kdstoken")
        if not (isinstance(task_id, str) and task_id and isinstance(share_id, str) and share_id):
            return invalid_parameters()
        if kdstoken is not None and not isinstance(kdstoken, str):
            return invalid_parameters()
        with self._lock:
            known = share_id in self._shares
            required = self._kdstokens.get(share_id)
        if not known:
            return not_found()
        if required is not None and kdstoken != required:
            return no_permission()
        result = self._seeds.poll((share_id, task_id))
        return not_found() if result is None else _to_response(result, request.base_url)

    def download(self, request: Request) -> Response:
        """``GET /downloads/<name>.zip``: a package, or an object-storage error."""
        file_name = request.params["file"]
        name = file_name.removesuffix(".zip")
        with self._lock:
            data = self._downloads.get(name) if file_name.endswith(".zip") else None
            breaks = self._breaks.get(name) if data is not None else None
            cut = breaks.pop(0) if breaks else None
            modified = self._modified.get(name, PACKAGES_MODIFIED)
        if data is None:
            return _obs_error(404, "NoSuchKey", "The specified key does not exist.", file_name)
        if isinstance(data, Response):
            response = data
        else:
            if isinstance(data, tuple):
                data = zip_package(data)
            shown = "../../task-hostile.zip" if name == "task-hostile" else file_name
            response = _package_response(request, data,
                                         (("Content-Disposition", f'attachment; filename="{shown}"'),), modified)
        return response if cut is None else cut_short(response, cut)
