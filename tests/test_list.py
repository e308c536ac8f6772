"""`eo list` and `modelarts list`: the real CLI against the sandbox (filters, formats, limits) and against scripted
loopback servers (every paging edge case, hostile answers), on a fake clock where pages are paced."""

from __future__ import annotations

import functools
import gzip
import io
import json
import os
import re
import time
from collections.abc import Callable
from typing import Any

import pytest
from support import write_profiles
from support.clock import FakeTime
from support.eo_http import TOKEN, assert_clean_error, json_documents
from support.loopback import LoopbackServer, Reply, Seen

from taskctl.context import AppContext
from taskctl.paging import MAX_PAGES, PAGES_PER_SECOND

SANDBOX = ("--profile", "sandbox")





@pytest.fixture
def context_factory(fake_time: FakeTime) -> Callable[..., AppContext]:
    return functools.partial(AppContext, clock=fake_time.clock, sleep=fake_time.sleep)


def table_ids(stdout: str) -> list[str]:
    lines = stdout.splitlines()
    assert lines[0].split()[:5] == ["ID", "NAME", "TYPE", "STATE", "CREATED"], stdout
    return [line.split()[0] for line in lines[1:] if line[:1].strip()]


# --- against the sandbox -----------------------------------------------------------------------------------------


def test_eo_list_shows_the_newest_20_in_a_table(cli) -> None:
    result = cli("eo", "list", *SANDBOX)
    assert result.exit_code == 0, result.stderr
    assert table_ids(result.stdout) == [str(n) for n in range(759, 739, -1)]
    assert "CREATOR" not in result.stdout and "running" in result.stdout  # 80 columns: the extra column gives way
    assert result.stderr == ""  # the "showing 20 of 50" hint is for a terminal only
    wide = cli("eo", "list", *SANDBOX, env={"COLUMNS": "200"})
    assert "CREATOR" in wide.stdout.splitlines()[0] and "2025-12-01 12:00 (1" in wide.stdout
    assert "Jane Analyst" in wide.stdout


def test_eo_list_all_json_is_every_item_exactly_as_listed(cli, sandbox) -> None:
    import requests

    result = cli("eo", "list", *SANDBOX, "--all", "--json")
    assert result.exit_code == 0, result.stderr
    documents = json_documents(result.stdout)
    answer = requests.post(sandbox.endpoint("eo") + "/processtask/query/page", json={"pageSize": 50},
                           headers={"Authorization": "sandbox-token"}, timeout=5).json()
    assert documents == answer["data"]["taskList"] and len(documents) == 50


@pytest.mark.parametrize("args, ids", [
    (("--state", "failed"), ["738", "730", "722", "704"]),
    (("--state", "failed,succeeded", "--type", "bai"), ["729", "1985949195927285760"]),
    (("--type", "Band-Merging", "--type", "3"), ["734", "732", "724", "722", "702"]),
    (("--name", "pearl river"), ["703"]),
    (("--state", "unknown", "-L", "3"), ["735", "733", "727"]),
])
def test_eo_list_filters(cli, args: tuple[str, ...], ids: list[str]) -> None:
    result = cli("eo", "list", *SANDBOX, *args)
    assert result.exit_code == 0, result.stderr
    assert table_ids(result.stdout) == ids


def test_modelarts_list_several_states_filtered_here_keep_the_limit(cli) -> None:
    result = cli("modelarts", "list", *SANDBOX, "--state", "failed,canceled", "--limit", "5", "--json")
    assert result.exit_code == 0, result.stderr
    documents = json_documents(result.stdout)
    assert [doc["task_id"] for doc in documents] == ["task-batch-04", "task-batch-07", "task-batch-13",
                                                     "task-batch-16", "task-failed"]
    assert all(doc["status"] in (3, 4) for doc in documents)


def test_modelarts_list_types_and_formats(cli) -> None:
    result = cli("modelarts", "list", *SANDBOX, "--type", "sys_data_cleaning,selection", "--all", "--json")
    assert result.exit_code == 0, result.stderr
    templates = [doc["template"]["id"] for doc in json_documents(result.stdout)]
    assert set(templates) == {"sys_data_cleaning", "sys_data_selection"} and len(templates) > 5
    yaml = cli("modelarts", "list", *SANDBOX, "--type", "analyse", "-o", "yaml", "-L", "3")
    assert yaml.exit_code == 0 and yaml.stdout.count("task_id: ") == 3
    table = cli("modelarts", "list", *SANDBOX, "-L", "2", env={"COLUMNS": "200"})
    assert table_ids(table.stdout) == ["task-batch-01", "task-batch-02"]
    assert "DURATION" in table.stdout.splitlines()[0]
    tree = cli("modelarts", "list", *SANDBOX, "-L", "2", "-o", "tree")
    assert tree.exit_code == 0 and "task-batch-01" in tree.stdout and "task-batch-02" in tree.stdout


def test_modelarts_list_takes_the_project_option(cli) -> None:
    result = cli("modelarts", "list", *SANDBOX, "--project-id", "another")
    assert result.exit_code == 3, result.stderr
    assert "Project another not found" in result.stderr and result.stdout == ""


def test_an_empty_list_says_so_on_stderr(cli) -> None:
    result = cli("eo", "list", *SANDBOX, "--state", "pending")
    assert (result.exit_code, result.stdout) == (0, "")
    assert result.stderr == "taskctl: no tasks match\n"
    assert cli("eo", "list", *SANDBOX, "--state", "pending", "--json").stdout == ""


@pytest.mark.parametrize("args, needle", [
    (("--state", "runing"), "unknown state 'runing'"),
    (("--type", "NDXI"), "unknown eo task type 'NDXI'"),
    (("--limit", "0"), "invalid --limit 0"),
    (("--limit", "5", "--all"), "--limit conflicts with --all"),
    (("-o", "yaml", "--json"), "--json conflicts with -o yaml"),
])
def test_bad_arguments_are_usage_errors_before_any_request(cli, serve, use, args, needle: str) -> None:
    server = serve(Reply(500))
    use(server.endpoint)
    result = cli("eo", "list", *args)
    assert_clean_error(result, 2, needle)
    assert server.requests == []


def test_koodrive_has_no_list(cli) -> None:
    for args in ((), ("--state", "running", "--profile", "sandbox")):
        result = cli("koodrive", "list", *args)
        assert result.exit_code == 2 and result.stdout == ""
        assert result.stderr == ("taskctl: error: 'koodrive list' does not exist: the koodrive service has no API "
                                 "to list its tasks\n")
    assert "list" not in cli("koodrive", "--help").stdout


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("provider, args, hint", [
    ("eo", (), "showing 20 of 50; --limit or --all for more"),
    ("eo", ("--state", "failed", "-L", "2"), "showing 2 of 4; --limit or --all for more"),
    ("modelarts", ("--state", "failed,canceled", "-L", "5"), "showing the first 5; --limit or --all for more"),
])
def test_on_a_terminal_a_hint_says_more_tasks_exist(provider: str, args: tuple[str, ...], hint: str) -> None:
    from taskctl.commands.list import ListOptions, parse_limit, parse_states, run

    stdout, stderr = Terminal(), Terminal()
    app = AppContext(environ={**os.environ, "NO_COLOR": "1"}, stdout=stdout, stderr=stderr)
    states = parse_states([args[1]]) if args else frozenset()
    limit = parse_limit(int(args[3]) if args else None, False)
    assert run(app, ListOptions(provider, "sandbox", "table", states, limit=limit)) == 0
    assert re.sub(r"\x1b\[[0-9;]*m", "", stderr.getvalue()) == f"taskctl: {hint}\n"
    assert len(stdout.getvalue().splitlines()) == 1 + (limit or 0)


# --- paging against scripted servers ---------------------------------------------------------------------------


def eo_item(task_id: int, status: int = 5, name: str | None = None) -> dict[str, Any]:
    return {"id": task_id, "taskName": name or f"task {task_id}", "taskType": 7, "status": status,
            "creator": "u-1", "creatorName": "Ann", "ctime": 1764590400000 - task_id * 1000}


def eo_page(items: list[dict[str, Any]], number: int = 1, size: int = 20, total: Any = None,
            pages: Any = None) -> Reply:
    data = {"taskList": items, "pageNumber": number, "pageSize": size, "pageCount": pages, "totalCount": total}
    return Reply(200, {"code": 200, "message": "success", "data": data})


def paged(pages: Callable[[int, int], Reply]) -> Callable[[Seen, int], Reply]:
    """A script answering each list request by its pageNumber and pageSize."""

    def script(seen: Seen, _index: int) -> Reply:
        body = seen.json()
        return pages(body["pageNumber"], body["pageSize"])

    return script


def numbers_of(server: LoopbackServer) -> list[int]:
    return [seen.json()["pageNumber"] for seen in server.requests]


def test_a_short_page_ends_the_listing(cli, serve, use) -> None:
    server = serve(paged(lambda n, size: eo_page([eo_item(n * 100 + i) for i in range(size if n == 1 else 3)],
                                                 n, size, total=1000)))
    use(server.endpoint)
    result = cli("eo", "list", "--all", "--json")
    assert result.exit_code == 0, result.stderr
    assert len(json_documents(result.stdout)) == 53 and numbers_of(server) == [1, 2]
    assert [seen.json()["pageSize"] for seen in server.requests] == [50, 50]


def test_an_empty_page_ends_the_listing_and_the_total_may_be_smaller_than_reported(cli, serve, use) -> None:
    server = serve(paged(lambda n, size: eo_page([eo_item(n * 100 + i) for i in range(size)] if n < 3 else [],
                                                 n, size, total=143, pages=8)))
    use(server.endpoint)
    result = cli("eo", "list", "--all", "--json")
    assert len(json_documents(result.stdout)) == 100 and numbers_of(server) == [1, 2, 3]


def test_the_reported_total_ends_the_listing(cli, serve, use) -> None:
    server = serve(paged(lambda n, size: eo_page([eo_item(n * 100 + i) for i in range(size)], n, size, total=60)))
    use(server.endpoint)
    result = cli("eo", "list", "--all", "--json")
    assert len(json_documents(result.stdout)) == 100 and numbers_of(server) == [1, 2]


def test_the_page_count_ends_the_listing(cli, serve, use) -> None:
    server = serve(paged(lambda n, size: eo_page([eo_item(n * 100 + i) for i in range(size)], n, size, pages=2)))
    use(server.endpoint)
    assert len(json_documents(cli("eo", "list", "--all", "--json").stdout)) == 100
    assert numbers_of(server) == [1, 2]


def test_duplicates_across_pages_are_shown_once(cli, serve, use) -> None:
    # Tasks created while paging shift the window: page 2 repeats the end of page 1.
    server = serve(paged(lambda n, size: eo_page([eo_item(i) for i in range((n - 1) * 40, (n - 1) * 40 + size)]
                                                 if n < 4 else [], n, size)))
    use(server.endpoint)
    result = cli("eo", "list", "--all", "--json")
    ids = [doc["id"] for doc in json_documents(result.stdout)]
    assert ids == sorted(set(ids)) and len(ids) == 130


def test_a_page_with_no_new_task_ends_the_listing(cli, serve, use) -> None:
    server = serve(paged(lambda n, size: eo_page([eo_item(i) for i in range(size)], n, size, total=10**6)))
    use(server.endpoint)
    result = cli("eo", "list", "--all", "--json")
    assert len(json_documents(result.stdout)) == 50 and numbers_of(server) == [1, 2]


def test_endless_paging_ends_bounded_and_paced(cli, serve, use, fake_time: FakeTime) -> None:
    server = serve(paged(lambda n, size: eo_page([eo_item(n * 1000 + i) for i in range(size)], n, size)))
    use(server.endpoint)
    result = cli("eo", "list", "--all", "--json")
    assert result.exit_code == 0
    assert len(server.requests) == MAX_PAGES and len(json_documents(result.stdout)) == MAX_PAGES * 50
    assert "stopped after 200 pages: the service kept sending more tasks" in result.stderr
    assert fake_time.now - fake_time.start >= (MAX_PAGES - 1) / PAGES_PER_SECOND - 1e-6  # never faster than the pace


def test_a_lying_total_bounds_the_pages(cli, serve, use) -> None:
    server = serve(paged(lambda n, size: eo_page([eo_item(n * 1000 + i) for i in range(size)], n, size, total=120)))
    use(server.endpoint)
    cli("eo", "list", "--all", "--json")
    assert len(server.requests) == 3  # 120 tasks: three pages reach the total


def test_a_limit_asks_for_one_page_of_that_size(cli, serve, use) -> None:
    server = serve(paged(lambda n, size: eo_page([eo_item(n * 100 + i) for i in range(size)], n, size,
                                                 total=143)))
    use(server.endpoint)
    result = cli("eo", "list", "--limit", "30", "--json")
    assert len(json_documents(result.stdout)) == 30 and numbers_of(server) == [1]
    assert server.requests[0].json() == {"pageNumber": 1, "pageSize": 30}


def test_states_filtered_here_page_on_until_the_limit(cli, serve, use) -> None:
    # The service ignores taskStatusList: one task in five is failed, so 12 failed tasks need 3 pages of 20.
    server = serve(paged(lambda n, size: eo_page([eo_item(n * 100 + i, 8 if i % 5 == 0 else 5)
                                                  for i in range(size)], n, size, total=400)))
    use(server.endpoint)
    result = cli("eo", "list", "--state", "failed", "--limit", "12", "--json")
    assert [doc["status"] for doc in json_documents(result.stdout)] == [8] * 12
    assert server.requests[0].json()["taskStatusList"] == [8]
    assert numbers_of(server) == [1, 2]  # pages of 50 when a filter applies here


def test_pending_is_not_in_the_eo_vocabulary_so_it_is_not_sent(cli, serve, use) -> None:
    server = serve(paged(lambda n, size: eo_page([], n, size)))
    use(server.endpoint)
    cli("eo", "list", "--state", "pending,running", "--type", "ndvi,6", "--name", "x")
    assert server.requests[0].json() == {"keyword": "x", "taskTypeList": [7, 6], "pageNumber": 1, "pageSize": 50}


# --- ModelArts' offset, whichever it means ---------------------------------------------------------------------


def ma_profile(profiles_file: Any, endpoint: str) -> None:
    write_profiles(profiles_file, f"profiles:\n  ma:\n    provider: modelarts\n    endpoint: {endpoint}\n"
                                  f"    project_id: p1\n    token: {TOKEN}\n    retries: 0\n")


def ma_server(serve: Callable[..., LoopbackServer], count: int, by_items: bool) -> LoopbackServer:
    tasks = [{"task_id": f"t{i:03d}", "name": f"n{i}", "status": 2, "create_time": 1764590400000 - i}
             for i in range(count)]

    def script(seen: Seen, _index: int) -> Reply:
        from urllib.parse import parse_qs, urlsplit

        query = {key: values[0] for key, values in parse_qs(urlsplit(seen.path).query).items()}
        limit, offset = int(query["limit"]), int(query["offset"])
        start = offset if by_items else offset * limit
        return Reply(200, {"count": count, "tasks": tasks[start:start + limit]})

    return serve(script)


@pytest.mark.parametrize("by_items", [False, True])
def test_modelarts_offset_counting_pages_or_tasks_lists_each_task_once(cli, serve, profiles_file,
                                                                       by_items: bool) -> None:
    server = ma_server(serve, 230, by_items)
    ma_profile(profiles_file, server.endpoint)
    result = cli("modelarts", "list", "--all", "--json")
    ids = [doc["task_id"] for doc in json_documents(result.stdout)]
    assert ids == [f"t{i:03d}" for i in range(230)]
    assert len(server.requests) <= 5
    first = server.requests[0].path
    assert "sort_by=create_time" in first and "order=desc" in first and "limit=100" in first


def test_modelarts_sends_one_state_and_one_type(cli, serve, profiles_file) -> None:
    server = ma_server(serve, 0, False)
    ma_profile(profiles_file, server.endpoint)
    assert cli("modelarts", "list", "--state", "running", "--type", "cleaning", "--name", "a b").exit_code == 0
    path = server.requests[0].path
    assert "status=1" in path and "task_type=sys_data_cleaning" in path and "task_name=a+b" in path


# --- hostile answers ----------------------------------------------------------------------------------------------


def test_a_redirect_elsewhere_sends_the_token_nowhere(cli, serve, raw, use) -> None:
    other = raw("127.0.0.1")
    server = serve(Reply(302, "", {"Location": f"http://127.0.0.1:{other.port}/processtask/query/page"}))
    use(server.endpoint, retries=0)
    result = cli("eo", "list")
    assert_clean_error(result, 1, "redirect")
    assert TOKEN.encode() not in bytes(other.received)


def test_an_echoed_token_and_control_characters_stay_out_of_the_table(cli, serve, use) -> None:
    name = f"leak {TOKEN} \x1b[31mred\x1b]8;;http://evil\x07x [bold]b[/bold]"
    server = serve(paged(lambda n, size: eo_page([eo_item(1, name=name)], n, size)))
    use(server.endpoint)
    result = cli("eo", "list")
    assert result.exit_code == 0
    assert TOKEN not in result.stdout + result.stderr and "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert "^[[31mred" in result.stdout and "[bold]b[/bold]" in result.stdout


@pytest.mark.parametrize("data", [[1, 2], {"taskList": "x"}, {"taskList": [1]},
                                  {"taskList": [{"id": 1}, {"id": None}]}, {"taskList": [{"id": {"x": 1}}]},
                                  {"taskList": [{"id": True}]}, {"taskList": [{"taskName": "no id"}]},
                                  {"taskList": [{"id": ""}]}])
def test_a_page_of_the_wrong_shape_is_a_clean_error(cli, serve, use, data: Any) -> None:
    """Tasks without a usable id would be merged or shown as nonsense rows: the page is refused instead."""
    server = serve(Reply(200, {"code": 200, "message": "ok", "data": data}))
    use(server.endpoint)
    assert_clean_error(cli("eo", "list"), 1, "eo task list (page 1)")


@pytest.mark.parametrize("tasks", [[{"id": "t1"}, {"id": "t2"}], [{"task_id": None}], [{"task_id": 1.5}]])
def test_a_modelarts_page_of_tasks_without_task_ids_is_a_clean_error(cli, serve, profiles_file, tasks) -> None:
    server = serve(Reply(200, {"count": len(tasks), "tasks": tasks}))
    write_profiles(profiles_file, f"profiles:\n  ma:\n    provider: modelarts\n    endpoint: {server.url}\n"
                   f"    token: {TOKEN}\n    project_id: p1\n    retries: 0\n")
    result = cli("modelarts", "list")
    assert_clean_error(result, 1, "modelarts task list", "task_id")


def test_nonsense_totals_are_ignored(cli, serve, use) -> None:
    server = serve(paged(lambda n, size: eo_page([eo_item(n * 100 + i) for i in range(5)], n, size,
                                                 total=-4, pages="many")))
    use(server.endpoint)
    result = cli("eo", "list", "--json")
    assert len(json_documents(result.stdout)) == 5


def test_an_error_answer_is_the_usual_error(cli, serve, use) -> None:
    server = serve(Reply(401, json.dumps({"code": 401, "message": "Unauthorized", "data": None})))
    use(server.endpoint, retries=0)
    assert_clean_error(cli("eo", "list"), 4)


def test_a_dripping_page_is_cut_at_the_deadline(cli, raw, profiles_file) -> None:
    from support.loopback import drip

    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n"
    server = raw(handler=drip(head + b'{"code": 200, "data": {"taskList": [' + b" " * 99000, 0.05))
    write_profiles(profiles_file, "profiles:\n  t:\n    provider: eo\n    endpoint: " + server.url +
                   f"\n    token: {TOKEN}\n    retries: 2\n    timeout: {{connect: 1, read: 2, total: 1.5}}\n")
    started = time.monotonic()
    result = cli("eo", "list", "--all")
    assert_clean_error(result, 5, "did not finish answering within 1.5 s")
    assert time.monotonic() - started < 15 and server.connections == 1


def test_an_inflating_page_is_refused(cli, serve, use) -> None:
    bomb = gzip.compress(b'{"code": 200, "message": "ok", "data": {"taskList": [' + b" " * (17 * 1024 * 1024))
    server = serve(Reply(200, bomb, {"Content-Encoding": "gzip"}))
    use(server.endpoint, retries=0)
    assert_clean_error(cli("eo", "list"), 1, "larger than 16 MiB")


@pytest.mark.parametrize("answer", ["redirect", "echo"])
def test_a_modelarts_list_sends_the_token_nowhere_else_and_shows_it_nowhere(cli, serve, raw, profiles_file,
                                                                          answer: str) -> None:
    other = raw("127.0.0.1")
    if answer == "redirect":
        server = serve(Reply(302, "", {"Location": f"http://127.0.0.1:{other.port}/v2/p1/processor-tasks"}))
    else:
        server = serve(Reply(200, {"count": 1, "tasks": [{"task_id": "t1", "name": f"x {TOKEN} \x1b[2J",
                                                            "status": 1, "error_msg": TOKEN}]}))
    ma_profile(profiles_file, server.endpoint)
    result = cli("modelarts", "list")
    assert result.exit_code == (1 if answer == "redirect" else 0), result.stderr
    assert TOKEN.encode() not in bytes(other.received) and other.connections == 0
    assert TOKEN not in result.stdout + result.stderr and "\x1b" not in result.stdout
    assert server.requests[0].headers["x-auth-token"] == TOKEN


def test_list_speaks_summary_and_jq_as_get_does(cli) -> None:
    """One summary line per listed task, the same schema as `get`; --jq on each item exactly as listed, ids exact."""
    summary = cli("modelarts", "list", *SANDBOX, "--limit", "3", "-o", "summary")
    assert summary.exit_code == 0, summary.stderr
    lines = [json.loads(line) for line in summary.stdout.splitlines()]
    assert len(lines) == 3 and all(line["provider"] == "modelarts" and line["profile"] == "sandbox" for line in lines)
    assert list(lines[0])[:6] == ["provider", "profile", "id", "name", "type", "state"]
    ids = cli("eo", "list", *SANDBOX, "--all", "--state", "succeeded", "--jq", ".id")
    assert ids.exit_code == 0, ids.stderr
    assert "1985949195927285760" in ids.stdout.split()  # a 19-digit id, not rounded
    states = cli("eo", "list", *SANDBOX, "--limit", "4", "-o", "summary", "--jq", ".state")
    assert states.stdout.split() == ["running"] * 4
    bad = cli("eo", "list", *SANDBOX, "--jq", ".[")
    assert bad.exit_code == 2 and bad.stdout == ""
    assert cli("eo", "list", *SANDBOX, "-o", "table", "--jq", ".id").exit_code == 2


@pytest.mark.parametrize("args", [("--state", ","), ("--state", ""), ("--type", " , ")])
def test_a_filter_that_names_nothing_is_a_usage_error(cli, args: tuple[str, ...]) -> None:
    result = cli("eo", "list", *SANDBOX, *args)
    assert result.exit_code == 2 and result.stdout == ""
    assert "names no" in result.stderr


@pytest.mark.parametrize("columns", ["40", "60"])
def test_on_a_narrow_terminal_ids_and_states_are_never_cut(cli, columns: str) -> None:
    result = cli("modelarts", "list", *SANDBOX, "--limit", "3", env={"COLUMNS": columns})
    assert result.exit_code == 0, result.stderr
    rows = [line.split() for line in result.stdout.splitlines()[1:] if line[:1].strip()]
    assert [row[0] for row in rows] == ["task-batch-01", "task-batch-02", "task-batch-03"]
    assert all(any(word in ("succeeded", "running", "failed", "pending") for word in row) for row in rows)


def test_ids_that_get_refuses_are_listed_but_not_offered_by_tab(cli, serve, use) -> None:
    from taskctl import history

    items = [eo_item(12), eo_item(-5), eo_item(99_999_999_999_999_999_999), eo_item(13)]
    server = serve(Reply(200, {"code": 200, "message": "ok", "data": {"taskList": items, "totalCount": 4}}))
    use(server.endpoint)
    result = cli("eo", "list", "--json")
    assert result.exit_code == 0, result.stderr
    assert len(json_documents(result.stdout)) == 4  # listed exactly as the service sent them
    assert sorted(entry.task_id for entry in history.recent(os.environ, "eo", None)) == ["12", "13"]
