"""The bundled sandbox, over real sockets: EO behaviour, fault ids, request log, keep-alive, lifecycle."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
import requests

from taskctl.providers import names as provider_names
from taskctl.sandbox import SANDBOX_TOKEN, RunningSandbox, SeenRequest, serve_forever, start

DETAIL = "/processtask/query/task/detail"
AUTH = {"Authorization": SANDBOX_TOKEN}
REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "tests" / "fixtures" / "api-docs" / "eo-query-task-detail.txt"  # copied from shared/api-docs


def eo_post(sandbox: RunningSandbox, session: requests.Session, body: Any, *,
            headers: dict[str, str] | None = None) -> requests.Response:
    """POST the EO detail endpoint; ``body`` as JSON unless it is bytes."""
    url = sandbox.endpoint("eo") + DETAIL
    kwargs: dict[str, Any] = {"data": body} if isinstance(body, bytes) else {"json": body}
    return session.post(url, headers=AUTH if headers is None else headers, allow_redirects=False,
                        timeout=5, **kwargs)


def data_file_702() -> bytes:
    return files("taskctl.providers.eo").joinpath("data/eo_702.json").read_bytes()


def document_success_example() -> str:
    """The text of the document's success example: from ``{`` after "Success Response" to the
    closing brace before "Failure Response"."""
    text = DOC.read_text(encoding="utf-8")
    section = text.split("Success Response", 1)[1].split("Failure Response", 1)[0]
    return section[section.index("{"): section.rindex("}") + 1]


# --- the public interface ---------------------------------------------------------------------


def test_public_names() -> None:
    assert SANDBOX_TOKEN == "sandbox-token"
    assert provider_names() == ("eo", "koodrive", "modelarts")


def test_base_url_and_endpoint(sandbox: RunningSandbox) -> None:
    assert sandbox.base_url.startswith("http://127.0.0.1:")
    assert not sandbox.base_url.endswith("/")
    assert sandbox.endpoint("eo") == sandbox.base_url + "/eo"
    with pytest.raises(ValueError, match="koodrive"):  # the message names the providers served
        sandbox.endpoint("nope")


def test_importing_the_package_loads_no_server_machinery() -> None:
    code = ("import sys, taskctl.sandbox as s; s.SANDBOX_TOKEN; "
            "print(sorted(m for m in sys.modules if m == 'http.server' or m.startswith('taskctl.sandbox.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert out.stdout.strip() == "[]"


def test_close_is_idempotent_and_stops_serving(session: requests.Session) -> None:
    running = start()
    url = running.endpoint("eo") + DETAIL
    assert session.post(url, json={"taskId": 702}, headers=AUTH, timeout=5).status_code == 200
    running.close()
    running.close()
    with pytest.raises(requests.ConnectionError):
        session.post(url, json={"taskId": 702}, headers=AUTH, timeout=5)


def test_context_manager_closes() -> None:
    with start() as running:
        url = running.endpoint("eo") + DETAIL
    with pytest.raises(requests.ConnectionError):
        requests.post(url, json={"taskId": 702}, headers=AUTH, timeout=5)


def test_serve_forever_returns_when_closed_from_on_ready() -> None:
    seen: list[RunningSandbox] = []

    def on_ready(running: RunningSandbox) -> None:
        seen.append(running)
        threading.Timer(0.05, running.close).start()

    thread = threading.Thread(target=serve_forever, args=("127.0.0.1", 0, on_ready), daemon=True)
    thread.start()
    thread.join(5)
    assert not thread.is_alive()
    assert seen and seen[0].base_url.startswith("http://127.0.0.1:")


def test_serve_forever_returns_cleanly_on_ctrl_c() -> None:
    # SIGINT is set explicitly: a child of a background job in a script would inherit "ignored".
    code = ("import signal; signal.signal(signal.SIGINT, signal.default_int_handler)\n"
            "from taskctl.sandbox import serve_forever\n"
            "serve_forever('127.0.0.1', 0, lambda s: print(s.base_url, flush=True))\n"
            "print('returned', flush=True)\n")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=REPO)
    try:
        assert proc.stdout is not None
        base_url = proc.stdout.readline().strip()
        response = requests.post(base_url + "/eo" + DETAIL, json={"taskId": 703}, headers=AUTH, timeout=5)
        assert response.json()["data"]["id"] == 703
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
    finally:
        proc.kill()
    assert (proc.returncode, out, err) == (0, "returned\n", "")


# --- task 702: the document's example, byte for byte -------------------------------------------


def test_702_is_the_data_file_byte_for_byte(sandbox: RunningSandbox, session: requests.Session) -> None:
    response = eo_post(sandbox, session, {"taskId": 702})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.content == data_file_702()
    data = response.json()["data"]
    assert (data["id"], data["taskType"], data["status"], len(data["datas"])) == (702, 6, 5, 5)


def test_702_is_the_documents_example() -> None:
    example = document_success_example()
    assert data_file_702().decode("utf-8").rstrip("\n") == example
    assert json.loads(data_file_702()) == json.loads(example)


# --- auth ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("headers", [
    {},
    {"Authorization": "wrong"},
    {"Authorization": "Bearer " + SANDBOX_TOKEN},
    {"Authorization": SANDBOX_TOKEN + " "},
    {"X-API-Key": "wrong"},
    {"X-Auth-Token": SANDBOX_TOKEN},
], ids=["missing", "wrong", "bearer-prefix", "trailing-space", "wrong-api-key", "other-header"])
def test_auth_refused(sandbox: RunningSandbox, session: requests.Session, headers: dict[str, str]) -> None:
    response = eo_post(sandbox, session, {"taskId": 702}, headers=headers)
    assert response.status_code == 401
    assert response.json() == {"code": 401, "message": "Unauthorized", "data": None}


@pytest.mark.parametrize("name", ["Authorization", "X-API-Key", "x-api-key"])
def test_auth_accepted(sandbox: RunningSandbox, session: requests.Session, name: str) -> None:
    response = eo_post(sandbox, session, {"taskId": 702}, headers={name: SANDBOX_TOKEN})
    assert response.status_code == 200
    assert response.content == data_file_702()


# --- request errors ------------------------------------------------------------------------------


@pytest.mark.parametrize("body", [b"{", b"not json", b"", b"[702]", b'"702"', b"\xff\xfe"])
def test_malformed_body_is_http_400(sandbox: RunningSandbox, session: requests.Session, body: bytes) -> None:
    response = eo_post(sandbox, session, body)
    assert response.status_code == 400
    assert response.json() == {"code": 400, "message": "Malformed JSON request body", "data": None}


@pytest.mark.parametrize("body", [{}, {"taskId": None}, {"taskid": 702}])
def test_missing_task_id(sandbox: RunningSandbox, session: requests.Session, body: dict[str, Any]) -> None:
    response = eo_post(sandbox, session, body)
    assert response.status_code == 200
    assert response.json() == {"code": 400, "message": "Task ID is required", "data": None}


@pytest.mark.parametrize("task_id", ["702", True, 702.0, 2**63, [702], {"id": 702}])
def test_task_id_not_a_long(sandbox: RunningSandbox, session: requests.Session, task_id: Any) -> None:
    response = eo_post(sandbox, session, {"taskId": task_id})
    assert response.status_code == 200
    assert response.json() == {"code": 400, "message": "taskId must be a Long", "data": None}


@pytest.mark.parametrize("task_id", [1, 0, -1, 709, 2**63 - 1])
def test_unknown_task(sandbox: RunningSandbox, session: requests.Session, task_id: int) -> None:
    response = eo_post(sandbox, session, {"taskId": task_id})
    assert response.status_code == 200
    assert response.json() == {"code": 404, "message": "Task not found", "data": None}


def test_wrong_path_and_method(sandbox: RunningSandbox, session: requests.Session) -> None:
    assert session.post(sandbox.base_url + DETAIL, json={"taskId": 702}, headers=AUTH).status_code == 404
    assert session.post(sandbox.endpoint("eo") + "/", headers=AUTH).status_code == 404
    response = session.get(sandbox.endpoint("eo") + DETAIL, headers=AUTH)
    assert (response.status_code, response.headers["Allow"]) == (405, "POST")


# --- seed tasks ----------------------------------------------------------------------------------


def fetch(sandbox: RunningSandbox, session: requests.Session, task_id: int) -> dict[str, Any]:
    response = eo_post(sandbox, session, {"taskId": task_id})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert (body["code"], body["message"]) == (200, "OK")
    assert isinstance(body["data"], dict)
    return body["data"]


DOC_KEYS = ["id", "taskType", "taskName", "status", "outputPath", "outputFileName", "datas", "output"]


@pytest.mark.parametrize("task_id, task_type, status, inputs", [
    (703, 7, 7, 2), (704, 2, 8, 2), (705, 4, 6, 1), (706, 2, 7, 40), (707, 7, 7, 2), (708, 9, 5, 0),
    (1985949195927285760, 11, 7, 2),
])
def test_seed_tasks(sandbox: RunningSandbox, session: requests.Session, task_id: int, task_type: int,
                    status: int, inputs: int) -> None:
    data = fetch(sandbox, session, task_id)
    assert list(data)[:8] == DOC_KEYS
    assert (data["id"], data["taskType"], data["status"], len(data["datas"])) == (task_id, task_type, status,
                                                                                    inputs)
    for item in data["datas"]:
        assert isinstance(item["taskId"], str) and isinstance(item["bandInfoId"], list)


def test_703_ndvi_red_and_nir(sandbox: RunningSandbox, session: requests.Session) -> None:
    data = fetch(sandbox, session, 703)
    assert [item["originalBandName"] for item in data["datas"]] == ["Red", "Near Infrared"]


def test_704_carries_undocumented_fields(sandbox: RunningSandbox, session: requests.Session) -> None:
    data = fetch(sandbox, session, 704)
    assert data["failReason"] == "Input tiles do not overlap"
    assert data["publish"]["attempts"] == 3


def test_706_many_varied_inputs(sandbox: RunningSandbox, session: requests.Session) -> None:
    data = fetch(sandbox, session, 706)
    assert len({item["fileName"] for item in data["datas"]}) == 40
    assert len({item["originalBandName"] for item in data["datas"]}) >= 7
    assert all(item["fileName"].startswith("LC08_") for item in data["datas"])


def test_19_digit_id_stays_an_exact_integer(sandbox: RunningSandbox, session: requests.Session) -> None:
    response = eo_post(sandbox, session, {"taskId": 1985949195927285760})
    assert b'"id":1985949195927285760,' in response.content
    data = response.json()["data"]
    assert data["id"] == 1985949195927285760 and type(data["id"]) is int
    assert data["outputPath"] == 1985949196283801600


def test_707_hostile_strings_arrive_intact(sandbox: RunningSandbox, session: requests.Session) -> None:
    data = fetch(sandbox, session, 707)
    name = data["taskName"]
    for needle in ("[bold red]pwned[/]", "[link=http://evil]x[/link]", "\u001b[31m", "\u0007", "\n"):
        assert needle in name
    file_names = data["datas"][0]["fileName"] + data["output"]["fileName"]
    for needle in ("[link=http://evil]x[/link]", "\u009b", "\u007f", "\u001b]8;;"):
        assert needle in file_names


def test_708_nothing_produced_yet(sandbox: RunningSandbox, session: requests.Session) -> None:
    data = fetch(sandbox, session, 708)
    assert (data["status"], data["datas"], data["output"]) == (5, [], None)


# --- fault injection -----------------------------------------------------------------------------


@pytest.mark.parametrize("task_id, status, body", [
    (9401, 403, {"code": 403, "message": "Forbidden: no access to this project", "data": None}),
    (9500, 500, {"code": 500, "message": "Server internal error", "data": None}),
    (9200, 200, {"code": 500, "message": "Server internal error", "data": None}),
    (9002, 200, {"code": 200, "message": "OK", "data": [1, 2, 3]}),
])
def test_json_faults(sandbox: RunningSandbox, session: requests.Session, task_id: int, status: int,
                     body: dict[str, Any]) -> None:
    response = eo_post(sandbox, session, {"taskId": task_id})
    assert (response.status_code, response.headers["Content-Type"]) == (status, "application/json")
    assert response.json() == body


@pytest.mark.parametrize("task_id, status, title", [(9502, 502, "502 Bad Gateway"),
                                                    (9503, 503, "503 Service Temporarily Unavailable")])
def test_gateway_html_faults(sandbox: RunningSandbox, session: requests.Session, task_id: int, status: int,
                             title: str) -> None:
    response = eo_post(sandbox, session, {"taskId": task_id})
    assert (response.status_code, response.headers["Content-Type"]) == (status, "text/html")
    assert f"<title>{title}</title>" in response.text and "nginx" in response.text
    assert response.headers.get("Retry-After") == ("1" if status == 503 else None)


def test_truncated_json(sandbox: RunningSandbox, session: requests.Session) -> None:
    response = eo_post(sandbox, session, {"taskId": 9001})
    assert response.status_code == 200
    assert int(response.headers["Content-Length"]) == len(response.content) == len(data_file_702()) // 2
    assert data_file_702().startswith(response.content)
    with pytest.raises(ValueError):
        response.json()
    assert eo_post(sandbox, session, {"taskId": 702}).status_code == 200  # the connection is still usable


def test_plain_text_ok(sandbox: RunningSandbox, session: requests.Session) -> None:
    response = eo_post(sandbox, session, {"taskId": 9003})
    assert (response.status_code, response.headers["Content-Type"], response.content) == (200, "text/plain",
                                                                                          b"OK")


def test_redirect_to_another_host_is_not_followed(sandbox: RunningSandbox, session: requests.Session) -> None:
    response = eo_post(sandbox, session, {"taskId": 9301})
    assert response.status_code == 302
    assert response.headers["Location"] == "http://203.0.113.7/eo/processtask/query/task/detail"
    assert len(sandbox.requests_seen) == 1


# --- runtime seeding -----------------------------------------------------------------------------


def test_add_task_with_a_task_object(sandbox: RunningSandbox, session: requests.Session) -> None:
    sandbox.add_task("eo", 4242, {"id": 4242, "taskType": 1, "status": 5})
    assert fetch(sandbox, session, 4242) == {"id": 4242, "taskType": 1, "status": 5}


def test_add_task_advancing_on_each_poll(sandbox: RunningSandbox, session: requests.Session) -> None:
    sandbox.add_task("eo", 4243, lambda poll: {"id": 4243, "status": 5 if poll < 3 else 7})
    assert [fetch(sandbox, session, 4243)["status"] for _ in range(4)] == [5, 5, 7, 7]


def test_add_task_is_per_sandbox(sandbox: RunningSandbox, session: requests.Session) -> None:
    sandbox.add_task("eo", 702, {"id": 702, "status": 7})
    assert fetch(sandbox, session, 702)["status"] == 7
    with start() as other:
        assert fetch(other, session, 702)["status"] == 5


def test_add_task_rejects_a_non_long_id(sandbox: RunningSandbox) -> None:
    with pytest.raises(ValueError):
        sandbox.add_task("eo", "702", {"id": 702})
    with pytest.raises(ValueError):
        sandbox.add_task("nope", "x", {})


# --- request log and keep-alive ------------------------------------------------------------------


def test_requests_seen_records_method_path_headers_body(sandbox: RunningSandbox,
                                                        session: requests.Session) -> None:
    session.post(sandbox.endpoint("eo") + DETAIL + "?trace=1", data=b'{"taskId": 703}',
                 headers={"X-API-Key": SANDBOX_TOKEN, "Content-Type": "application/json", "X-Trace": "Ab"})
    (seen,) = sandbox.requests_seen
    assert isinstance(seen, SeenRequest)
    assert (seen.method, seen.path, seen.body) == ("POST", "/eo" + DETAIL + "?trace=1", b'{"taskId": 703}')
    assert seen.headers["X-API-Key"] == SANDBOX_TOKEN
    assert seen.headers["X-Trace"] == "Ab"
    assert seen.headers["Content-Type"] == "application/json"
    assert seen.headers["Content-Length"] == "15"


def test_chunked_body_is_read(sandbox: RunningSandbox, session: requests.Session) -> None:
    response = session.post(sandbox.endpoint("eo") + DETAIL, data=iter([b'{"taskId":', b" 703}"]),
                            headers=AUTH)
    assert response.json()["data"]["id"] == 703
    assert sandbox.requests_seen[0].body == b'{"taskId": 703}'


def test_keep_alive_serves_many_requests_on_one_connection(sandbox: RunningSandbox,
                                                           session: requests.Session) -> None:
    ids = [702, 703, 999, 9401, 9502, 9001, 9003, 9301, 702]
    statuses = [eo_post(sandbox, session, {"taskId": task_id}).status_code for task_id in ids]
    assert statuses == [200, 200, 200, 403, 502, 200, 200, 302, 200]
    assert len(sandbox.requests_seen) == len(ids)
    assert sandbox.connections_opened == 1


def test_concurrent_clients(sandbox: RunningSandbox) -> None:
    results: list[int] = []

    def client() -> None:
        with requests.Session() as own:
            results.extend(eo_post(sandbox, own, {"taskId": 706}).status_code for _ in range(5))

    threads = [threading.Thread(target=client) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert results == [200] * 40
    assert len(sandbox.requests_seen) == 40


def test_no_access_log_on_stderr(capfd: pytest.CaptureFixture[str], session: requests.Session) -> None:
    with start() as running:
        eo_post(running, session, {"taskId": 702})
        eo_post(running, session, b"{")
        session.get(running.base_url + "/nowhere")
    assert capfd.readouterr().err == ""

