"""The sandbox's list endpoints, over real sockets: EO's paged query and ModelArts' processor-task list, their
filters, paging, errors, and that listing counts no poll of an advancing task."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from taskctl.providers.modelarts import SANDBOX_PROJECT_ID
from taskctl.sandbox import SANDBOX_TOKEN, RunningSandbox

EO_LIST = "/processtask/query/page"
EO_DETAIL = "/processtask/query/task/detail"
AUTH = {"Authorization": SANDBOX_TOKEN}
MA_AUTH = {"X-Auth-Token": SANDBOX_TOKEN}


def eo_page(sandbox: RunningSandbox, session: requests.Session, body: Any,
            headers: dict[str, str] | None = None) -> requests.Response:
    return session.post(sandbox.endpoint("eo") + EO_LIST, json=body, headers=AUTH if headers is None else headers,
                        timeout=5)


def eo_data(sandbox: RunningSandbox, session: requests.Session, **body: Any) -> dict[str, Any]:
    response = eo_page(sandbox, session, body)
    assert response.status_code == 200
    answer = response.json()
    assert (answer["code"], answer["message"]) == (200, "success"), answer
    return answer["data"]


def test_eo_lists_at_least_45_tasks_over_types_and_states_newest_first(sandbox, session) -> None:
    data = eo_data(sandbox, session, pageSize=50)
    items = data["taskList"]
    assert data["totalCount"] == len(items) == 50 and data["pageCount"] == 1
    assert len({item["taskType"] for item in items}) == 10
    assert {item["status"] for item in items} >= {3, 4, 5, 7, 8}
    assert [item["ctime"] for item in items] == sorted((item["ctime"] for item in items), reverse=True)
    assert list(items[0]) == ["id", "taskName", "taskType", "status", "creator", "creatorName",
                              "creatorAvatarUrl", "ctime", "outputDataFileId", "reason"]
    assert 702 in {item["id"] for item in items} and 9500 not in {item["id"] for item in items}


def test_eo_pages_cover_every_task_once_and_past_the_end_is_empty(sandbox, session) -> None:
    seen: list[int] = []
    for number in range(1, 6):
        data = eo_data(sandbox, session, pageNumber=number, pageSize=10)
        assert (data["pageNumber"], data["pageSize"], data["pageCount"], data["totalCount"]) == (number, 10, 5, 50)
        seen += [item["id"] for item in data["taskList"]]
    assert len(seen) == len(set(seen)) == 50
    assert eo_data(sandbox, session, pageNumber=6, pageSize=10)["taskList"] == []


def test_eo_page_size_is_clamped_and_echoed(sandbox, session) -> None:
    data = eo_data(sandbox, session, pageSize=500)
    assert data["pageSize"] == 50 and len(data["taskList"]) == 50
    assert eo_data(sandbox, session)["pageSize"] == 10


def test_eo_filters(sandbox, session) -> None:
    failed = eo_data(sandbox, session, taskStatusList=[8], pageSize=50)["taskList"]
    assert failed and all(item["status"] == 8 and item["reason"] for item in failed)
    ndvi = eo_data(sandbox, session, taskTypeList=[7, 11], pageSize=50)["taskList"]
    assert ndvi and {item["taskType"] for item in ndvi} == {7, 11}
    batch = eo_data(sandbox, session, keyword="ndvi BATCH", pageSize=50)
    assert batch["totalCount"] == 20
    assert eo_data(sandbox, session, taskStatusList=[], keyword="")["totalCount"] == 50


@pytest.mark.parametrize("body, message", [
    ({"keyword": 3}, "keyword"), ({"taskStatusList": "5"}, "taskStatusList"), ({"taskTypeList": [1.5]}, "taskTypeList"),
    ({"pageNumber": 0}, "pageNumber"), ({"pageSize": "10"}, "pageSize"),
])
def test_eo_bad_fields_are_code_400(sandbox, session, body: dict[str, Any], message: str) -> None:
    response = eo_page(sandbox, session, body)
    answer = response.json()
    assert (response.status_code, answer["code"], answer["data"]) == (200, 400, None)
    assert message in answer["message"]


def test_eo_list_needs_the_token(sandbox, session) -> None:
    response = eo_page(sandbox, session, {}, headers={"Authorization": "wrong"})
    assert (response.status_code, response.json()["code"]) == (401, 401)


def test_eo_listing_counts_no_poll_and_shows_the_last_state(sandbox, session) -> None:
    def status_of(task_id: int) -> int:
        items = eo_data(sandbox, session, keyword="NDVI Beijing June", pageSize=50)["taskList"]
        return next(item["status"] for item in items if item["id"] == task_id)

    assert status_of(710) == 5 and status_of(710) == 5
    for _ in range(3):
        session.post(sandbox.endpoint("eo") + EO_DETAIL, json={"taskId": 710}, headers=AUTH, timeout=5)
    assert status_of(710) == 7


def test_eo_batch_ends_at_different_polls_one_failing(sandbox, session) -> None:
    ends: dict[int, tuple[int, int]] = {}
    for task_id in range(740, 760):
        for poll in range(1, 10):
            data = session.post(sandbox.endpoint("eo") + EO_DETAIL, json={"taskId": task_id}, headers=AUTH,
                                timeout=5).json()["data"]
            if data["status"] != 5:
                ends[task_id] = (poll, data["status"])
                break
    assert len(ends) == 20 and len({poll for poll, _ in ends.values()}) >= 5
    assert [task_id for task_id, (_, status) in ends.items() if status == 8] == [753]


def test_eo_added_tasks_are_listed(sandbox, session) -> None:
    sandbox.add_task("eo", 4242, {"id": 4242, "taskName": "added", "taskType": 3, "status": 7})
    assert eo_data(sandbox, session, keyword="added")["taskList"][0]["id"] == 4242


# --- ModelArts ---------------------------------------------------------------------------------------------------


def ma_list(sandbox: RunningSandbox, session: requests.Session, query: str = "",
            project_id: str = SANDBOX_PROJECT_ID, headers: dict[str, str] | None = None) -> requests.Response:
    url = f"{sandbox.endpoint('modelarts')}/v2/{project_id}/processor-tasks" + (f"?{query}" if query else "")
    return session.get(url, headers=MA_AUTH if headers is None else headers, timeout=5)


def ma_body(sandbox: RunningSandbox, session: requests.Session, query: str = "") -> dict[str, Any]:
    response = ma_list(sandbox, session, query)
    assert response.status_code == 200, response.text
    assert len(response.headers["X-Request-Id"]) == 32
    body: dict[str, Any] = response.json()
    assert list(body) == ["count", "tasks"]
    return body


def test_modelarts_lists_at_least_25_tasks_newest_first(sandbox, session) -> None:
    body = ma_body(sandbox, session, "limit=100")
    tasks = body["tasks"]
    assert body["count"] == len(tasks) >= 25
    assert {task["status"] for task in tasks} >= {0, 1, 2, 3, 4}
    times = [task["create_time"] for task in tasks]
    assert times == sorted(times, reverse=True)
    assert "fault-500" not in {task["task_id"] for task in tasks}
    assert ma_body(sandbox, session)["tasks"].__len__() == 10  # the default limit


def test_modelarts_offset_counts_pages(sandbox, session) -> None:
    every = [task["task_id"] for task in ma_body(sandbox, session, "limit=100")["tasks"]]
    pages = [[task["task_id"] for task in ma_body(sandbox, session, f"limit=7&offset={n}")["tasks"]]
             for n in range(6)]
    assert sum(pages, []) == every and pages[-1] == []


def test_modelarts_filters_and_sorting(sandbox, session) -> None:
    failed = ma_body(sandbox, session, "status=3&limit=100")
    assert failed["count"] == len(failed["tasks"]) and all(task["status"] == 3 for task in failed["tasks"])
    analyse = ma_body(sandbox, session, "task_type=sys_data_analyse&limit=100")["tasks"]
    assert analyse and all(task["template"]["id"] == "sys_data_analyse" for task in analyse)
    named = ma_body(sandbox, session, "task_name=FLOWERS&limit=100")["tasks"]
    assert named and all("flowers" in task["name"] for task in named)
    names = [task["name"] for task in ma_body(sandbox, session, "sort_by=name&order=asc&limit=100")["tasks"]]
    assert names == sorted(names)
    results = ma_body(sandbox, session, "task_name=task-cleaning&limit=100&return_result=false")["tasks"]
    assert all("result" not in task for task in results)


@pytest.mark.parametrize("query, code", [
    ("limit=0", "ModelArts.2764"), ("limit=101", "ModelArts.2764"), ("offset=-1", "ModelArts.2764"),
    ("status=7", "ModelArts.2764"), ("order=up", "ModelArts.2764"), ("sort_by=size", "ModelArts.2790"),
])
def test_modelarts_bad_parameters(sandbox, session, query: str, code: str) -> None:
    response = ma_list(sandbox, session, query)
    assert (response.status_code, response.json()["error_code"]) == (400, code)


def test_modelarts_list_checks_token_and_project(sandbox, session) -> None:
    assert ma_list(sandbox, session, headers={"X-Auth-Token": "nope"}).status_code == 401
    response = ma_list(sandbox, session, project_id="other")
    assert (response.status_code, response.json()["error_code"]) == (404, "ModelArts.0104")
