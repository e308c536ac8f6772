"""The KooDrive and ModelArts sandbox APIs over real sockets: auth, errors, seeds, faults, downloads."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import requests

from taskctl.providers import names as provider_names
from taskctl.providers.koodrive import SANDBOX_KDSTOKEN, SANDBOX_LOCKED_SHARE_ID, SANDBOX_SHARE_ID
from taskctl.providers.modelarts import (
    SANDBOX_ACCESS_KEY,
    SANDBOX_PROJECT_ID,
    SANDBOX_SECRET_KEY,
    SANDBOX_SECURITY_TOKEN,
    SANDBOX_TEMP_ACCESS_KEY,
)
from taskctl.sandbox import SANDBOX_TOKEN, RunningSandbox, start
from taskctl.sandbox.server import Response

DOCS = Path(__file__).resolve().parent / "fixtures" / "api-docs"  # copied from shared/api-docs
KOODRIVE_DOC = DOCS / "koodrive-share-task-detail.txt"
MODELARTS_DOC = DOCS / "modelarts-processor-task-detail.txt"

KD_DETAIL = "/koodrive/ose/v1/share/taskDetail"
KD_AUTH = {"Authorization": "Bearer+" + SANDBOX_TOKEN}
KD_TASK_INFO_KEYS = ["userId", "taskId", "taskType", "taskStatus", "taskResultCode", "resultCode", "createTime",
                     "startTime", "endTime", "progress", "downloadUrl"]
MA_AUTH = {"X-Auth-Token": SANDBOX_TOKEN}
DOC_TASK = "AcYfsdfhGyrWL5TtahH"


@pytest.fixture(scope="module")
def shared() -> Iterator[RunningSandbox]:
    """One sandbox for the read-only tests (none of them polls an advancing task or seeds)."""
    with start() as running:
        yield running


# --- helpers -------------------------------------------------------------------------------------------------------


def kd_post(sandbox: RunningSandbox, session: requests.Session, body: Any, *,
            headers: dict[str, str] | None = None) -> requests.Response:
    """POST the KooDrive task detail; ``body`` as JSON unless it is bytes."""
    url = sandbox.endpoint("koodrive") + KD_DETAIL
    kwargs: dict[str, Any] = {"data": body} if isinstance(body, bytes) else {"json": body}
    return session.post(url, headers=KD_AUTH if headers is None else headers, allow_redirects=False, timeout=5,
                        **kwargs)


def kd_task(sandbox: RunningSandbox, session: requests.Session, task_id: str,
            share_id: str = SANDBOX_SHARE_ID, **extra: Any) -> dict[str, Any]:
    """A successful answer's body."""
    response = kd_post(sandbox, session, {"taskId": task_id, "shareId": share_id, **extra})
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert body["msg"] == "success"
    return body


def kd_info(body: dict[str, Any]) -> dict[str, Any]:
    info = body.get("taskInfo", body.get("jobInfo"))
    assert isinstance(info, dict)
    return info


def ma_url(sandbox: RunningSandbox, task_id: str, project_id: str = SANDBOX_PROJECT_ID) -> str:
    """The task's URL, both ids percent-encoded as one path segment each."""
    return (f"{sandbox.endpoint('modelarts')}/v2/{quote(project_id, safe='')}/processor-tasks/"
            f"{quote(task_id, safe='')}")


def ma_get(sandbox: RunningSandbox, session: requests.Session, task_id: str, *,
           headers: dict[str, str] | None = None, project_id: str = SANDBOX_PROJECT_ID) -> requests.Response:
    return session.get(ma_url(sandbox, task_id, project_id), headers=MA_AUTH if headers is None else headers,
                       allow_redirects=False, timeout=5)


def ma_task(sandbox: RunningSandbox, session: requests.Session, task_id: str) -> dict[str, Any]:
    response = ma_get(sandbox, session, task_id)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert isinstance(body, dict)
    return body


def assert_request_id(response: requests.Response) -> str:
    request_id = response.headers.get("X-Request-Id", "")
    assert re.fullmatch(r"[0-9a-f]{32}", request_id), response.headers
    return request_id


def doc_example(path: Path, start_marker: str, end_marker: str) -> str:
    """The JSON example between two markers of an API document."""
    section = path.read_text(encoding="utf-8").split(start_marker, 1)[1].split(end_marker, 1)[0]
    return section[section.index("{"): section.rindex("}") + 1]


def signing() -> Any:
    return pytest.importorskip("taskctl.providers.modelarts.signing")


# --- the public interface ------------------------------------------------------------------------------------------


def test_constants() -> None:
    assert provider_names() == ("eo", "koodrive", "modelarts")
    assert (SANDBOX_SHARE_ID, SANDBOX_PROJECT_ID) == ("sandbox-share", "sandbox-project")
    assert (SANDBOX_ACCESS_KEY, SANDBOX_SECRET_KEY) == ("SANDBOXACCESSKEY0001", "sandbox-secret-key-0001")
    assert SANDBOX_TEMP_ACCESS_KEY == "SANDBOXTEMPKEY0002"
    assert len(SANDBOX_SECURITY_TOKEN) > 100
    assert (SANDBOX_LOCKED_SHARE_ID, SANDBOX_KDSTOKEN) == ("sandbox-locked-share", "sandbox-kdstoken")


def test_endpoints(shared: RunningSandbox) -> None:
    for provider in provider_names():
        assert shared.endpoint(provider) == f"{shared.base_url}/{provider}"
    with pytest.raises(ValueError):
        shared.endpoint("downloads")  # mounted, but not a provider


# --- KooDrive: auth ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("headers", [
    {},
    {"Authorization": SANDBOX_TOKEN},
    {"Authorization": "Bearer " + SANDBOX_TOKEN},
    {"Authorization": "Bearer+Bearer+" + SANDBOX_TOKEN},
    {"Authorization": "bearer+" + SANDBOX_TOKEN},
    {"Authorization": "Bearer+wrong"},
    {"Authorization": "Bearer+" + SANDBOX_TOKEN + " "},
    {"X-Auth-Token": SANDBOX_TOKEN},
], ids=["missing", "bare-token", "bearer-space", "doubled-prefix", "lowercase", "wrong", "trailing-space",
        "other-header"])
def test_koodrive_auth_refused(shared: RunningSandbox, session: requests.Session, headers: dict[str, str]) -> None:
    response = kd_post(shared, session, {"taskId": "task-done", "shareId": SANDBOX_SHARE_ID}, headers=headers)
    assert (response.status_code, response.headers["Content-Type"]) == (401, "application/json")
    assert response.json() == {"error_code": "KD.00000401", "error_msg": "Unauthorized: invalid access token"}


def test_koodrive_auth_accepted_with_a_lowercase_header_name(shared: RunningSandbox,
                                                             session: requests.Session) -> None:
    response = kd_post(shared, session, {"taskId": "task-done", "shareId": SANDBOX_SHARE_ID},
                       headers={"authorization": "Bearer+" + SANDBOX_TOKEN})
    assert response.status_code == 200


# --- KooDrive: request errors --------------------------------------------------------------------------------------


@pytest.mark.parametrize("body", [
    b"{", b"", b"not json", b"[]", b'"task-done"', b"\xff",
    {}, {"taskId": "task-done"}, {"shareId": SANDBOX_SHARE_ID},
    {"taskId": "", "shareId": SANDBOX_SHARE_ID}, {"taskId": "task-done", "shareId": ""},
    {"taskId": 702, "shareId": SANDBOX_SHARE_ID}, {"taskId": "task-done", "shareId": 1},
    {"taskId": None, "shareId": SANDBOX_SHARE_ID}, {"taskId": ["task-done"], "shareId": SANDBOX_SHARE_ID},
    {"taskId": "task-done", "shareId": SANDBOX_SHARE_ID, "kdstoken": 5},
    {"taskid": "task-done", "shareid": SANDBOX_SHARE_ID},
])
def test_koodrive_invalid_parameters(shared: RunningSandbox, session: requests.Session, body: Any) -> None:
    response = kd_post(shared, session, body)
    assert response.status_code == 400
    assert response.json() == {"code": 13000102, "msg": "Verify parameters failed."}


@pytest.mark.parametrize("task_id, share_id", [
    ("task-done", "no-such-share"), ("no-such-task", SANDBOX_SHARE_ID), ("TASK-DONE", SANDBOX_SHARE_ID),
    ("task-done", SANDBOX_SHARE_ID.upper()),
])
def test_koodrive_resource_does_not_exist(shared: RunningSandbox, session: requests.Session, task_id: str,
                                          share_id: str) -> None:
    response = kd_post(shared, session, {"taskId": task_id, "shareId": share_id})
    assert response.status_code == 400
    assert response.json() == {"code": 13000309, "msg": "Resource does not exist."}


@pytest.mark.parametrize("extra", [{}, {"kdstoken": "wrong"}, {"kdstoken": ""}, {"kdstoken": None}])
def test_koodrive_locked_share_needs_the_kdstoken(shared: RunningSandbox, session: requests.Session,
                                                  extra: dict[str, Any]) -> None:
    response = kd_post(shared, session, {"taskId": "task-locked", "shareId": SANDBOX_LOCKED_SHARE_ID, **extra})
    assert response.status_code == 400
    assert response.json() == {"code": 13000410,
                               "msg": "The current user does not have permission to operate the space."}


def test_koodrive_locked_share_with_the_kdstoken(shared: RunningSandbox, session: requests.Session) -> None:
    body = kd_task(shared, session, "task-locked", SANDBOX_LOCKED_SHARE_ID, kdstoken=SANDBOX_KDSTOKEN)
    assert (body["code"], body["taskInfo"]["taskStatus"], body["taskInfo"]["taskResultCode"]) == ("0", 2, 1)
    # the kdstoken opens its share only; unknown tasks there are still unknown
    response = kd_post(shared, session, {"taskId": "task-done", "shareId": SANDBOX_LOCKED_SHARE_ID,
                                         "kdstoken": SANDBOX_KDSTOKEN})
    assert response.json()["code"] == 13000309


def test_koodrive_kdstoken_is_ignored_on_an_open_share(shared: RunningSandbox, session: requests.Session) -> None:
    assert kd_info(kd_task(shared, session, "task-done", kdstoken="anything"))["taskId"] == "task-done"


def test_koodrive_wrong_method(shared: RunningSandbox, session: requests.Session) -> None:
    response = session.get(shared.endpoint("koodrive") + KD_DETAIL, headers=KD_AUTH, timeout=5)
    assert (response.status_code, response.headers["Allow"]) == (405, "POST")
    # the document's path comes after the endpoint, which already ends in /koodrive
    response = session.post(shared.base_url + KD_DETAIL, headers=KD_AUTH, json={}, timeout=5)
    assert response.status_code == 404


# --- KooDrive: seeds -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("task_id, shape, status, result, progress", [
    ("task-pending", "taskInfo", 0, 0, 0),
    ("task-running", "taskInfo", 1, 0, 40),
    ("task-done", "taskInfo", 2, 1, 100),
    ("task-partial", "jobInfo", 2, 2, 100),
    ("task-failed", "taskInfo", 2, 3, 100),
    ("task-canceled", "taskInfo", 3, 0, 60),
    ("task-unknown", "taskInfo", 7, 0, 0),
    ("task-hostile", "jobInfo", 2, 2, 100),
    ("1985949195927285761", "taskInfo", 2, 1, 100),
    ("task-link-expired", "taskInfo", 2, 1, 100),
    ("task-link-gone", "taskInfo", 2, 1, 100),
])
def test_koodrive_seed_tasks(shared: RunningSandbox, session: requests.Session, task_id: str, shape: str,
                             status: int, result: int, progress: int) -> None:
    body = kd_task(shared, session, task_id)
    if shape == "taskInfo":
        assert list(body) == ["code", "msg", "taskInfo"] and body["code"] == "0"
    else:
        assert list(body) == ["code", "msg", "jobInfo", "taskInfos"] and body["code"] == 0
    info = body[shape]
    assert list(info) == [key for key in KD_TASK_INFO_KEYS if key in info]  # the document's order
    assert (info["taskId"], info["taskStatus"], info["taskResultCode"], info["progress"]) == (
        task_id, status, result, progress)
    assert isinstance(info["userId"], str) and info["userId"].isdigit()
    for key in ("createTime", "startTime", "endTime"):
        assert re.fullmatch(r"\d{14}", info.get(key, "20250101000000") or "20250101000000"), info


def test_koodrive_key_order_is_the_documents() -> None:
    example = json.loads(doc_example(KOODRIVE_DOC, "Example Responses", "Status Codes"))
    assert list(example["taskInfo"]) == KD_TASK_INFO_KEYS


def test_koodrive_pending_and_running_lack_what_is_not_known_yet(shared: RunningSandbox,
                                                                 session: requests.Session) -> None:
    pending = kd_info(kd_task(shared, session, "task-pending"))
    assert "startTime" not in pending and "endTime" not in pending and "downloadUrl" not in pending
    running = kd_info(kd_task(shared, session, "task-running"))
    assert re.fullmatch(r"\d{14}", running["startTime"])
    assert (running["endTime"], running["downloadUrl"]) == ("", "")


def test_koodrive_download_url_is_absolute(shared: RunningSandbox, session: requests.Session) -> None:
    for task_id in ("task-done", "task-partial", "task-hostile", "1985949195927285761"):
        info = kd_info(kd_task(shared, session, task_id))
        assert info["downloadUrl"] == f"{shared.base_url}/downloads/{task_id}.zip"


def test_koodrive_partial_lists_per_file_results(shared: RunningSandbox, session: requests.Session) -> None:
    body = kd_task(shared, session, "task-partial")
    files_ = body["taskInfos"]
    assert len(files_) == 3
    assert all(list(item) == ["fileId", "fileName", "code", "msg", "status"] for item in files_)
    failed = [item for item in files_ if item["code"] != 0]
    assert len(failed) == 1 and failed[0]["msg"] == "Resource does not exist."


def test_koodrive_big_ids_stay_strings(shared: RunningSandbox, session: requests.Session) -> None:
    response = kd_post(shared, session, {"taskId": "1985949195927285761", "shareId": SANDBOX_SHARE_ID})
    assert b'"userId":"1985949195927285760","taskId":"1985949195927285761",' in response.content
    response = kd_post(shared, session, {"taskId": "task-hostile", "shareId": SANDBOX_SHARE_ID})
    assert b'"userId":"1985949195927285760"' in response.content


def test_koodrive_hostile_strings_arrive_intact(shared: RunningSandbox, session: requests.Session) -> None:
    body = kd_task(shared, session, "task-hostile")
    text = "".join(item["fileName"] + item["msg"] for item in body["taskInfos"])
    for needle in ("[bold red]pwned[/]", "[link=http://evil]x[/link]", "\u001b[31m", "\u001b]8;;", "\u0007",
                   "\u009b", "\u007f", "\n", "\r", "[blink]"):
        assert needle in text
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/downloads/task-hostile\.zip", body["jobInfo"]["downloadUrl"])


def test_koodrive_advancing_task(sandbox: RunningSandbox, session: requests.Session) -> None:
    infos = [kd_info(kd_task(sandbox, session, "task-advancing")) for _ in range(4)]
    assert [(info["taskStatus"], info["progress"]) for info in infos] == [(0, 0), (1, 50), (2, 100), (2, 100)]
    assert infos[-1]["downloadUrl"] == sandbox.base_url + "/downloads/task-advancing.zip"


def test_koodrive_trace_id_is_recorded(sandbox: RunningSandbox, session: requests.Session) -> None:
    trace = "0" * 20 + "abcdefABCDEF0123456789" + "f" * 16
    kd_post(sandbox, session, {"taskId": "task-done", "shareId": SANDBOX_SHARE_ID},
            headers={**KD_AUTH, "X-Traceid": trace})
    (seen,) = sandbox.requests_seen
    assert (seen.method, seen.path) == ("POST", "/koodrive" + KD_DETAIL)
    assert seen.headers["X-Traceid"] == trace
    assert json.loads(seen.body) == {"taskId": "task-done", "shareId": SANDBOX_SHARE_ID}


# --- KooDrive: faults ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("task_id, status, body", [
    ("fault-500", 500, {"code": "13000999", "msg": "internal error"}),
    ("fault-200-error", 200, {"code": "13000999", "msg": "internal error"}),
    ("fault-no-info", 200, {"code": "0", "msg": "success"}),
    ("fault-null-info", 200, {"code": "0", "msg": "success", "taskInfo": None}),
    ("fault-wrong-shape", 200, {"code": "0", "msg": "success", "taskInfo": [1, 2, 3]}),
])
def test_koodrive_json_faults(shared: RunningSandbox, session: requests.Session, task_id: str, status: int,
                              body: dict[str, Any]) -> None:
    response = kd_post(shared, session, {"taskId": task_id, "shareId": SANDBOX_SHARE_ID})
    assert (response.status_code, response.headers["Content-Type"]) == (status, "application/json")
    assert response.json() == body


@pytest.mark.parametrize("task_id, status, title", [("fault-502", 502, "502 Bad Gateway"),
                                                    ("fault-503", 503, "503 Service Temporarily Unavailable")])
def test_koodrive_gateway_faults(shared: RunningSandbox, session: requests.Session, task_id: str, status: int,
                                 title: str) -> None:
    response = kd_post(shared, session, {"taskId": task_id, "shareId": SANDBOX_SHARE_ID})
    assert (response.status_code, response.headers["Content-Type"]) == (status, "text/html")
    assert f"<title>{title}</title>" in response.text
    assert response.headers.get("Retry-After") == ("1" if status == 503 else None)


def test_koodrive_truncated_json(shared: RunningSandbox, session: requests.Session) -> None:
    full = kd_post(shared, session, {"taskId": "task-pending", "shareId": SANDBOX_SHARE_ID}).content
    response = kd_post(shared, session, {"taskId": "fault-truncated", "shareId": SANDBOX_SHARE_ID})
    assert response.status_code == 200
    assert int(response.headers["Content-Length"]) == len(response.content) == len(full) // 2
    assert full.startswith(response.content)
    with pytest.raises(ValueError):
        response.json()


def test_koodrive_redirect_to_another_host(shared: RunningSandbox, session: requests.Session) -> None:
    response = kd_post(shared, session, {"taskId": "fault-redirect", "shareId": SANDBOX_SHARE_ID})
    assert response.status_code == 302
    assert response.headers["Location"] == "http://203.0.113.7/koodrive/ose/v1/share/taskDetail"


# --- KooDrive: downloads -------------------------------------------------------------------------------------------


def test_download_is_a_deterministic_zip(sandbox: RunningSandbox, session: requests.Session) -> None:
    url = kd_info(kd_task(sandbox, session, "task-done"))["downloadUrl"]
    response = session.get(url, timeout=5)  # a pre-signed URL: no Authorization
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/zip"
    assert int(response.headers["Content-Length"]) == len(response.content) > 0
    assert response.headers["Content-Disposition"] == 'attachment; filename="task-done.zip"'
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert archive.testzip() is None
        assert "README.txt" in archive.namelist()
    with start() as other:
        again = session.get(f"{other.base_url}/downloads/task-done.zip", timeout=5)
    assert again.content == response.content
    seen = sandbox.requests_seen[-1]
    assert (seen.method, seen.path) == ("GET", "/downloads/task-done.zip")
    assert "Authorization" not in seen.headers


def test_download_of_the_hostile_package_names_a_path_outside(shared: RunningSandbox,
                                                              session: requests.Session) -> None:
    response = session.get(f"{shared.base_url}/downloads/task-hostile.zip", timeout=5)
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="../../task-hostile.zip"'


@pytest.mark.parametrize("task_id, status, code", [("task-link-expired", 403, "AccessDenied"),
                                                   ("task-link-gone", 404, "NoSuchKey")])
def test_download_errors(shared: RunningSandbox, session: requests.Session, task_id: str, status: int,
                         code: str) -> None:
    url = kd_info(kd_task(shared, session, task_id))["downloadUrl"]
    response = session.get(url, timeout=5)
    assert (response.status_code, response.headers["Content-Type"]) == (status, "application/xml")
    assert f"<Code>{code}</Code>" in response.text


def test_download_unknown_names_and_methods(shared: RunningSandbox, session: requests.Session) -> None:
    assert session.get(f"{shared.base_url}/downloads/task-done", timeout=5).status_code == 404
    assert session.get(f"{shared.base_url}/downloads/nothing.zip", timeout=5).status_code == 404
    assert session.post(f"{shared.base_url}/downloads/task-done.zip", timeout=5).status_code == 405


# --- KooDrive: runtime seeding -------------------------------------------------------------------------------------


def test_koodrive_add_task(sandbox: RunningSandbox, session: requests.Session) -> None:
    sandbox.add_task("koodrive", "mine", {"taskId": "mine", "taskStatus": 1,
                                          "downloadUrl": "{base_url}/downloads/mine.zip"})
    assert kd_task(sandbox, session, "mine") == {
        "code": "0", "msg": "success",
        "taskInfo": {"taskId": "mine", "taskStatus": 1, "downloadUrl": sandbox.base_url + "/downloads/mine.zip"}}
    sandbox.add_task("koodrive", ("other-share", "t1"), {"code": 0, "msg": "success", "jobInfo": {"taskId": "t1"},
                                                          "taskInfos": []})
    assert kd_task(sandbox, session, "t1", "other-share")["jobInfo"] == {"taskId": "t1"}
    sandbox.add_task("koodrive", "polled", lambda poll: {"taskId": "polled", "taskStatus": min(poll - 1, 2)})
    assert [kd_info(kd_task(sandbox, session, "polled"))["taskStatus"] for _ in range(4)] == [0, 1, 2, 2]
    sandbox.add_task("koodrive", "raw", b'{"code":"0","msg":"success","taskInfo":{"progress":1.50}}')
    assert kd_post(sandbox, session, {"taskId": "raw", "shareId": SANDBOX_SHARE_ID}).content.endswith(b"1.50}}")
    sandbox.add_task("koodrive", "resp", Response(418, b"teapot", "text/plain"))
    assert kd_post(sandbox, session, {"taskId": "resp", "shareId": SANDBOX_SHARE_ID}).status_code == 418
    for bad in (7, "", ("", "x"), ("s", 1)):
        with pytest.raises(ValueError):
            sandbox.add_task("koodrive", bad, {})


def test_koodrive_add_download(sandbox: RunningSandbox, session: requests.Session) -> None:
    sandbox.api("koodrive").add_download("big", b"x" * 100_000)
    response = session.get(f"{sandbox.base_url}/downloads/big.zip", timeout=5)
    assert (response.status_code, response.headers["Content-Length"], response.content) == (
        200, "100000", b"x" * 100_000)


# --- ModelArts: the document's example ----------------------------------------------------------------------------


def data_file(name: str) -> bytes:
    return files("taskctl.providers.modelarts").joinpath("data", name).read_bytes()


def test_modelarts_document_example_is_the_data_file(shared: RunningSandbox, session: requests.Session) -> None:
    response = ma_get(shared, session, DOC_TASK)
    assert (response.status_code, response.headers["Content-Type"]) == (200, "application/json")
    assert response.content == data_file(f"modelarts_{DOC_TASK}.json")
    assert b'  "task_id" : "AcYfsdfhGyrWL5TtahH",\n' in response.content
    assert_request_id(response)
    body = response.json()
    assert list(body) == ["task_id", "name", "data_source", "inputs", "template", "status", "duration_seconds",
                          "create_time", "result", "version_id", "is_current"]


def test_modelarts_data_file_is_the_documents_example() -> None:
    example = doc_example(MODELARTS_DOC, "Example Responses", "Status Codes")
    assert data_file(f"modelarts_{DOC_TASK}.json").decode("utf-8") == example + "\n"


# --- ModelArts: auth and errors ------------------------------------------------------------------------------------


def test_modelarts_missing_authentication(shared: RunningSandbox, session: requests.Session) -> None:
    response = ma_get(shared, session, DOC_TASK, headers={})
    assert response.status_code == 401
    assert response.json() == {"error_code": "ModelArts.0101",
                               "error_msg": "Missing authentication: X-Auth-Token or AK/SK signature required."}
    assert_request_id(response)


@pytest.mark.parametrize("headers, reason", [
    ({"X-Auth-Token": "wrong"}, "invalid X-Auth-Token"),
    ({"X-Auth-Token": ""}, "invalid X-Auth-Token"),
    ({"Authorization": SANDBOX_TOKEN}, None),
    ({"Authorization": "Bearer " + SANDBOX_TOKEN}, None),
])
def test_modelarts_authentication_failed(shared: RunningSandbox, session: requests.Session,
                                         headers: dict[str, str], reason: str | None) -> None:
    response = ma_get(shared, session, DOC_TASK, headers=headers)
    assert response.status_code == 401
    body = response.json()
    assert body["error_code"] == "ModelArts.0103"
    assert body["error_msg"].startswith("Authentication failed: ")
    if reason:
        assert body["error_msg"] == f"Authentication failed: {reason}"
    assert_request_id(response)


def test_modelarts_unknown_project(shared: RunningSandbox, session: requests.Session) -> None:
    response = ma_get(shared, session, DOC_TASK, project_id="other project ü")
    assert response.status_code == 404
    assert response.json() == {"error_code": "ModelArts.0104", "error_msg": "Project other project ü not found."}
    assert_request_id(response)


def test_modelarts_unknown_project_is_checked_after_auth(shared: RunningSandbox, session: requests.Session) -> None:
    assert ma_get(shared, session, DOC_TASK, project_id="nope", headers={}).status_code == 401


@pytest.mark.parametrize("task_id", ["nope", "AcYfsdfhGyrWL5TtahH ", "a b/c", "ünïcödé"])
def test_modelarts_unknown_task(shared: RunningSandbox, session: requests.Session, task_id: str) -> None:
    response = ma_get(shared, session, task_id)
    assert response.status_code == 404
    assert response.json() == {"error_code": "ModelArts.4352", "error_msg": f"Processor task {task_id} not found."}
    assert_request_id(response)


def test_modelarts_forbidden(shared: RunningSandbox, session: requests.Session) -> None:
    response = ma_get(shared, session, "task-forbidden")
    assert response.status_code == 403
    assert response.json() == {"error_code": "ModelArts.0201", "error_msg": "Forbidden."}
    assert_request_id(response)


def test_modelarts_request_ids_differ(shared: RunningSandbox, session: requests.Session) -> None:
    ids = {assert_request_id(ma_get(shared, session, task_id)) for task_id in (DOC_TASK, DOC_TASK, "nope")}
    assert len(ids) == 3


def test_modelarts_wrong_path_and_method(shared: RunningSandbox, session: requests.Session) -> None:
    response = session.post(ma_url(shared, DOC_TASK), headers=MA_AUTH, timeout=5)
    assert (response.status_code, response.headers["Allow"]) == (405, "GET")
    assert session.get(ma_url(shared, ""), headers=MA_AUTH, timeout=5).status_code == 404


# --- ModelArts: percent-encoded ids --------------------------------------------------------------------------------


def test_modelarts_percent_encoded_task_id(shared: RunningSandbox, session: requests.Session) -> None:
    url = f"{shared.endpoint('modelarts')}/v2/{SANDBOX_PROJECT_ID}/processor-tasks/task%20%C3%BC%201"
    response = session.get(url, headers=MA_AUTH, timeout=5)
    assert response.status_code == 200
    assert response.json()["task_id"] == "task ü 1"
    assert ma_task(shared, session, "task ü 1")["task_id"] == "task ü 1"
    encoded_project = "%73andbox-project"  # percent-encoding an unreserved character changes nothing
    url = f"{shared.endpoint('modelarts')}/v2/{encoded_project}/processor-tasks/{DOC_TASK}"
    assert session.get(url, headers=MA_AUTH, timeout=5).status_code == 200


def test_modelarts_seeded_ids_with_reserved_characters_round_trip(sandbox: RunningSandbox,
                                                                  session: requests.Session) -> None:
    for task_id in ("a/b", "50% off?", "x#y", "日本語 タスク", "+plus+"):
        sandbox.add_task("modelarts", task_id, {"task_id": task_id, "status": 2})
        assert ma_task(sandbox, session, task_id) == {"task_id": task_id, "status": 2}
        assert sandbox.requests_seen[-1].path.endswith("/" + quote(task_id, safe=""))


# --- ModelArts: seeds ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("task_id, status, template", [
    ("task-pending", 0, "sys_data_validation"),
    ("task-running", 1, "sys_data_augmentation"),
    ("task-cleaning", 2, "sys_data_cleaning"),
    ("task-failed", 3, "sys_data_selection"),
    ("task-canceled", 4, "sys_data_cleaning"),
    ("task-unknown", 9, "sys_data_analyse"),
    ("task-hostile", 3, "sys_data_cleaning"),
    ("task ü 1", 2, "sys_data_validation"),
])
def test_modelarts_seed_tasks(shared: RunningSandbox, session: requests.Session, task_id: str, status: int,
                              template: str) -> None:
    body = ma_task(shared, session, task_id)
    assert (body["task_id"], body["status"], body["template"]["id"]) == (task_id, status, template)
    assert ("data_source" in body) != ("inputs" in body)  # either one, as the document says
    assert type(body["create_time"]) is int and len(str(body["create_time"])) == 13
    assert isinstance(body["is_current"], bool)
    assert list(body)[:2] == ["task_id", "name"]
    assert ("error_msg" in body) == (status == 3)


def test_modelarts_pending_has_no_duration(shared: RunningSandbox, session: requests.Session) -> None:
    assert "duration_seconds" not in ma_task(shared, session, "task-pending")


def test_modelarts_running_augmentation(shared: RunningSandbox, session: requests.Session) -> None:
    body = ma_task(shared, session, "task-running")
    assert "data_source" not in body and len(body["inputs"]) == 2
    operators = body["template"]["operator_params"]
    assert len(operators) == 3
    params = {operator["id"]: operator["params"] for operator in operators}
    assert params["Rotate"]["angles"] == [90, 180, 270] and params["Rotate"]["keep_size"] is False
    assert params["Crop"]["box"]["x_max"] == "512"
    assert params["AddNoise"]["do_validation"] is True
    assert body["work_path"]["type"] == "OBS" and body["version_name"] == "V003"
    assert body["flavor"]["code"] == "modelarts.vm.cpu.8u"  # undocumented
    assert list(body)[-1] == "flavor"


def test_modelarts_cleaning_is_served_byte_for_byte(shared: RunningSandbox, session: requests.Session) -> None:
    response = ma_get(shared, session, "task-cleaning")
    assert response.content == data_file("modelarts_task-cleaning.json")
    for literal in (b'"threshold":0.50,', b'"simlarity_threshold":0.90,', b'"min_area_ratio":1.0E-4,'):
        assert literal in response.content
    body = response.json()
    assert "inputs" not in body and body["data_source"]["type"] == "DATASET"
    assert len(body["template"]["operator_params"]) == 2
    assert body["processor_version"] == "2.3.1-sandbox"  # undocumented
    assert (body["duration_seconds"], body["work_path"]["output_path"]) == (734, "/datasets/flowers-clean")


def test_modelarts_failed_has_an_error_msg(shared: RunningSandbox, session: requests.Session) -> None:
    assert ma_task(shared, session, "task-failed")["error_msg"].startswith("ModelArts.4302: ")


def test_modelarts_hostile_strings_arrive_intact(shared: RunningSandbox, session: requests.Session) -> None:
    response = ma_get(shared, session, "task-hostile")
    assert "\u009b".encode() in response.content  # a raw C1 character, not escaped
    body = response.json()
    text = body["name"] + body["description"] + body["error_msg"] + body["template"]["name"]
    for needle in ("[bold red]pwned[/]", "[link=http://evil]click[/link]", "\u001b[31m", "\u001b]8;;", "\u0007",
                   "\u009b", "\u007f", "\n", "\r"):
        assert needle in text


def test_modelarts_advancing_task(sandbox: RunningSandbox, session: requests.Session) -> None:
    assert [ma_task(sandbox, session, "task-advancing")["status"] for _ in range(4)] == [0, 1, 2, 2]


# --- ModelArts: faults ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("task_id, status, content_type", [
    ("fault-500", 500, "application/json"), ("fault-502", 502, "text/html"), ("fault-503", 503, "text/html"),
    ("fault-truncated", 200, "application/json"), ("fault-array", 200, "application/json"),
    ("fault-empty", 200, "application/json"), ("fault-redirect", 302, "text/html"),
])
def test_modelarts_faults(shared: RunningSandbox, session: requests.Session, task_id: str, status: int,
                          content_type: str) -> None:
    response = ma_get(shared, session, task_id)
    assert (response.status_code, response.headers["Content-Type"]) == (status, content_type)
    assert_request_id(response)
    if task_id == "fault-500":
        assert response.json() == {"error_code": "ModelArts.0010", "error_msg": "Internal server error."}
    elif task_id == "fault-503":
        assert response.headers["Retry-After"] == "1" and "503 Service Temporarily Unavailable" in response.text
    elif task_id == "fault-502":
        assert "<title>502 Bad Gateway</title>" in response.text
    elif task_id == "fault-truncated":
        example = data_file(f"modelarts_{DOC_TASK}.json")
        assert response.content == example[: len(example) // 2]
        assert int(response.headers["Content-Length"]) == len(example) // 2
    elif task_id == "fault-array":
        assert response.json() == [{"task_id": "fault-array", "status": 2}]
    elif task_id == "fault-empty":
        assert response.content == b""
    else:
        assert response.headers["Location"].startswith("http://203.0.113.7/")


# --- ModelArts: runtime seeding ------------------------------------------------------------------------------------


def test_modelarts_add_task(sandbox: RunningSandbox, session: requests.Session) -> None:
    sandbox.add_task("modelarts", DOC_TASK, {"task_id": DOC_TASK, "status": 3, "error_msg": "x"})
    assert ma_task(sandbox, session, DOC_TASK) == {"task_id": DOC_TASK, "status": 3, "error_msg": "x"}
    sandbox.add_task("modelarts", "raw", b'{"status":2,"score":0.50}')
    assert ma_get(sandbox, session, "raw").content == b'{"status":2,"score":0.50}'
    for bad in (1, "", None):
        with pytest.raises(ValueError):
            sandbox.add_task("modelarts", bad, {})


# --- ModelArts: AK/SK signing --------------------------------------------------------------------------------------


def signed_get(sandbox: RunningSandbox, session: requests.Session, task_id: str, access_key: str,
               secret_key: str = SANDBOX_SECRET_KEY, *, security_token: str | None = None,
               now: datetime | None = None, send_url: str | None = None,
               extra: dict[str, str] | None = None) -> requests.Response:
    """Sign a GET of ``task_id`` and send it (to ``send_url`` when given, to tamper with the path)."""
    url = ma_url(sandbox, task_id)
    kwargs: dict[str, Any] = {"security_token": security_token}
    if now is not None:
        kwargs["now"] = now
    headers = signing().sign_request("GET", url, {}, b"", access_key, secret_key, **kwargs)
    headers.update(extra or {})
    return session.get(send_url or url, headers=headers, allow_redirects=False, timeout=5)


def test_aksk_permanent_key_accepted(shared: RunningSandbox, session: requests.Session) -> None:
    response = signed_get(shared, session, DOC_TASK, SANDBOX_ACCESS_KEY)
    assert response.status_code == 200, response.text
    assert response.content == data_file(f"modelarts_{DOC_TASK}.json")
    assert_request_id(response)


def test_aksk_percent_encoded_id_accepted(shared: RunningSandbox, session: requests.Session) -> None:
    response = signed_get(shared, session, "task ü 1", SANDBOX_ACCESS_KEY)
    assert response.status_code == 200, response.text
    assert response.json()["task_id"] == "task ü 1"


def test_aksk_temporary_key_with_its_security_token(shared: RunningSandbox, session: requests.Session) -> None:
    response = signed_get(shared, session, DOC_TASK, SANDBOX_TEMP_ACCESS_KEY, security_token=SANDBOX_SECURITY_TOKEN)
    assert response.status_code == 200, response.text


def test_aksk_is_recorded_as_sent(sandbox: RunningSandbox, session: requests.Session) -> None:
    signed_get(sandbox, session, DOC_TASK, SANDBOX_TEMP_ACCESS_KEY, security_token=SANDBOX_SECURITY_TOKEN)
    (seen,) = sandbox.requests_seen
    assert seen.headers["Authorization"].startswith(f"SDK-HMAC-SHA256 Access={SANDBOX_TEMP_ACCESS_KEY}, ")
    assert seen.headers["X-Security-Token"] == SANDBOX_SECURITY_TOKEN
    assert re.fullmatch(r"\d{8}T\d{6}Z", seen.headers["X-Sdk-Date"])


def auth_failure(response: requests.Response) -> str:
    assert response.status_code == 401, response.text
    body = response.json()
    assert body["error_code"] == "ModelArts.0103"
    assert_request_id(response)
    message: str = body["error_msg"]
    assert message.startswith("Authentication failed: ")
    return message


def test_aksk_temporary_key_needs_its_security_token(shared: RunningSandbox, session: requests.Session) -> None:
    message = auth_failure(signed_get(shared, session, DOC_TASK, SANDBOX_TEMP_ACCESS_KEY))
    assert "X-Security-Token" in message
    auth_failure(signed_get(shared, session, DOC_TASK, SANDBOX_TEMP_ACCESS_KEY, security_token="wrong"))


def test_aksk_permanent_key_refuses_a_security_token(shared: RunningSandbox, session: requests.Session) -> None:
    auth_failure(signed_get(shared, session, DOC_TASK, SANDBOX_ACCESS_KEY, security_token=SANDBOX_SECURITY_TOKEN))


def test_aksk_wrong_secret_or_unknown_key(shared: RunningSandbox, session: requests.Session) -> None:
    auth_failure(signed_get(shared, session, DOC_TASK, SANDBOX_ACCESS_KEY, "not-the-secret"))
    auth_failure(signed_get(shared, session, DOC_TASK, "UNKNOWNACCESSKEY0009"))


def test_aksk_tampered_requests_are_refused(shared: RunningSandbox, session: requests.Session) -> None:
    # signed for one task, sent for another
    auth_failure(signed_get(shared, session, DOC_TASK, SANDBOX_ACCESS_KEY, send_url=ma_url(shared, "task-done")))
    # a query added after signing
    auth_failure(signed_get(shared, session, DOC_TASK, SANDBOX_ACCESS_KEY,
                            send_url=ma_url(shared, DOC_TASK) + "?x=1"))
    # the signature altered
    url = ma_url(shared, DOC_TASK)
    headers = signing().sign_request("GET", url, {}, b"", SANDBOX_ACCESS_KEY, SANDBOX_SECRET_KEY)
    signature = headers["Authorization"].rsplit("=", 1)[1]
    flipped = ("0" if signature[0] != "0" else "1") + signature[1:]
    headers["Authorization"] = headers["Authorization"].replace(signature, flipped)
    auth_failure(session.get(url, headers=headers, timeout=5))
    # a date changed after signing
    headers = signing().sign_request("GET", url, {}, b"", SANDBOX_ACCESS_KEY, SANDBOX_SECRET_KEY)
    headers["X-Sdk-Date"] = (datetime.now(UTC) - timedelta(minutes=1)).strftime("%Y%m%dT%H%M%SZ")
    auth_failure(session.get(url, headers=headers, timeout=5))


def test_aksk_stale_request_is_refused(shared: RunningSandbox, session: requests.Session) -> None:
    stale = datetime.now(UTC) - timedelta(hours=1)
    auth_failure(signed_get(shared, session, DOC_TASK, SANDBOX_ACCESS_KEY, now=stale))


def test_aksk_with_a_wrong_token_header_is_refused(shared: RunningSandbox, session: requests.Session) -> None:
    """X-Auth-Token, when present, decides alone."""
    message = auth_failure(signed_get(shared, session, DOC_TASK, SANDBOX_ACCESS_KEY,
                                      extra={"X-Auth-Token": "wrong"}))
    assert message == "Authentication failed: invalid X-Auth-Token"


def test_aksk_errors_after_auth(shared: RunningSandbox, session: requests.Session) -> None:
    response = signed_get(shared, session, "task-forbidden", SANDBOX_ACCESS_KEY)
    assert response.status_code == 403
    response = signed_get(shared, session, "nope", SANDBOX_ACCESS_KEY)
    assert (response.status_code, response.json()["error_code"]) == (404, "ModelArts.4352")


def test_a_provider_module_loads_on_first_use_only() -> None:
    code = ("import sys, requests\n"
            "from taskctl.sandbox import SANDBOX_TOKEN, start\n"
            "with start() as s:\n"
            "    r = requests.post(s.endpoint('eo') + '/processtask/query/task/detail', json={'taskId': 702},\n"
            "                      headers={'Authorization': SANDBOX_TOKEN}, timeout=5)\n"
            "    assert r.status_code == 200\n"
            "    print(sorted(m for m in sys.modules if m.startswith('taskctl.') and m.endswith('.emulator')))\n"
            "    requests.get(s.base_url + '/downloads/task-done.zip', timeout=5).raise_for_status()\n"
            "    print(sorted(m for m in sys.modules if m.startswith('taskctl.') and m.endswith('.emulator')))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[1])
    before, after = out.stdout.splitlines()
    assert "koodrive" not in before and "modelarts" not in before and "taskctl.providers.eo.emulator" in before
    assert "taskctl.providers.koodrive.emulator" in after and "modelarts" not in after
