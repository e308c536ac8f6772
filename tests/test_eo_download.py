"""`taskctl eo download`: the output (and input) files of a published EO task, through the file-URL API and a
storage host that must never see a credential. The sandbox plays both (its storage host is a second server);
scripted loopback servers play an API or a storage host that lies."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from support import write_profiles
from support.eo_http import TOKEN, assert_clean_error, profile_yaml
from support.loopback import Reply, Seen, redirect

from taskctl.providers.eo.images import raster_tiff
from taskctl.sandbox import SANDBOX_TOKEN, RunningSandbox
from taskctl.sandbox.server import Response

OUTPUT_703 = raster_tiff("file-801")


@pytest.fixture
def eo(sandbox: RunningSandbox, profiles_file: Path) -> RunningSandbox:
    """The sandbox as the only eo profile, one retry (a broken body is resumed once within the run)."""
    write_profiles(profiles_file, profile_yaml(sandbox.endpoint("eo"), token=SANDBOX_TOKEN, retries=1))
    return sandbox


@pytest.fixture
def dest(tmp_path: Path) -> Path:
    folder = tmp_path / "dest"
    folder.mkdir()
    return folder


@pytest.fixture
def dl(cli: Callable[..., Any]) -> Callable[..., Any]:
    return lambda *args, **kwargs: cli("eo", "download", *args, **kwargs)


def file_url_requests(sandbox: RunningSandbox) -> list[str]:
    return [seen.path for seen in sandbox.requests_seen if "/datafile/file/urls" in seen.path]


def assert_no_credential_reached_storage(sandbox: RunningSandbox) -> None:
    assert sandbox.storage_requests_seen
    for seen in sandbox.storage_requests_seen:
        assert SANDBOX_TOKEN not in repr(seen)
        assert not {"authorization", "x-api-key"} & {name.lower() for name in seen.headers}


def test_the_output_file_is_downloaded_and_its_path_printed(dl, eo, dest) -> None:
    result = dl("703", "--dest", str(dest))
    assert (result.exit_code, result.stdout, result.stderr) == (0, f"{dest / 'NdviPrd202305.tif'}\n", "")
    assert (dest / "NdviPrd202305.tif").read_bytes() == OUTPUT_703
    assert sorted(os.listdir(dest)) == ["NdviPrd202305.tif"]  # no .part or record left behind
    assert file_url_requests(eo) == ["/eo/datafile/file/urls?dataFileIds=801"]
    assert_no_credential_reached_storage(eo)


def test_inputs_come_after_the_output_from_one_call(dl, eo, dest) -> None:
    result = dl("703", "--dest", str(dest), "--inputs")
    names = ["NdviPrd202305.tif", "LC08_L2SP_118038_20230514_20230524_02_T1_SR_B4.tif",
             "LC08_L2SP_118038_20230514_20230524_02_T1_SR_B5.tif"]
    assert (result.exit_code, result.stdout) == (0, "".join(f"{dest / name}\n" for name in names))
    assert (dest / names[2]).read_bytes() == raster_tiff("file-612")
    assert file_url_requests(eo) == ["/eo/datafile/file/urls?dataFileIds=801,611,612"]
    assert_no_credential_reached_storage(eo)


def test_many_inputs_are_asked_for_in_batches(dl, eo, dest) -> None:
    result = dl("706", "--dest", str(dest), "--inputs")
    assert result.exit_code == 0, result.stderr
    assert len(result.stdout.splitlines()) == 41 == len(os.listdir(dest))
    assert [path.count(",") + 1 for path in file_url_requests(eo)] == [41]


@pytest.mark.parametrize(("task_id", "code", "needles"), [
    ("702", 1, ("not ready", "5 PROCESSING", "--wait")),
    ("705", 1, ("not ready", "6 UNKNOWN")),
    ("704", 7, ("ended failed", "Input tiles do not overlap")),
    ("712", 1, ("has no output file", "dataFileId is null")),
    ("713", 1, ("no such file", "Files not found")),
    ("709", 3, ("not found",)),
])
def test_tasks_without_files_to_give(dl, eo, dest, task_id, code, needles) -> None:
    result = dl(task_id, "--dest", str(dest))
    assert_clean_error(result, code, *needles)
    assert os.listdir(dest) == []


def test_wait_watches_first(dl, eo, dest) -> None:
    result = dl("710", "--dest", str(dest), "--wait", "--interval", "0.01")
    assert (result.exit_code, result.stdout) == (0, f"{dest / 'NdviWatch710.tif'}\n")
    assert dl("711", "--dest", str(dest), "--wait", "--interval", "0.01").exit_code == 7
    assert dl("702", "--dest", str(dest), "--wait", "--interval", "0.01", "--timeout", "0").exit_code == 8


def test_an_existing_file_is_replaced_only_with_force(dl, eo, dest) -> None:
    (dest / "NdviPrd202305.tif").write_bytes(b"mine")
    assert_clean_error(dl("703", "--dest", str(dest)), 1, "already exists", "--force")
    assert (dest / "NdviPrd202305.tif").read_bytes() == b"mine"
    assert dl("703", "--dest", str(dest), "--force").exit_code == 0
    assert (dest / "NdviPrd202305.tif").read_bytes() == OUTPUT_703


def test_a_link_that_expires_after_its_first_use_is_asked_for_again_and_resumed(dl, eo, dest) -> None:
    eo.api("eo").break_file(974, after=70_000)  # the first answer breaks off; its link is then spent
    result = dl("714", "--dest", str(dest))
    assert (result.exit_code, result.stdout) == (0, f"{dest / 'BandMergeHk202404.tif'}\n"), result.stderr
    assert (dest / "BandMergeHk202404.tif").read_bytes() == raster_tiff("file-974")
    assert "HTTP 403" in result.stderr and "asking the service for a fresh one" in result.stderr
    assert len(file_url_requests(eo)) == 2
    last = eo.storage_requests_seen[-1]
    assert last.headers["Range"] == "bytes=70000-" and last.headers["If-Range"].startswith('"')
    assert_no_credential_reached_storage(eo)


def test_a_fresh_link_refused_too_is_said_so(dl, eo, dest) -> None:
    refused = Response(403, b"<Error><Code>AuthenticationFailed</Code></Error>", "application/xml")
    eo.api("eo").add_file(9100, "gone.tif", refused)
    eo.add_task("eo", 9100, {"id": 9100, "taskType": 7, "taskName": "gone", "status": 7,
                             "output": {"dataFileId": 9100, "fileName": "gone"}})
    result = dl("9100", "--dest", str(dest))
    assert (result.exit_code, result.stdout) == (1, "")
    warning, error, hint = result.stderr.splitlines()
    assert warning.startswith("taskctl: warning: the download link of the output file 9100 was refused (HTTP 403")
    assert error.startswith("taskctl: error: eo task 9100: the download link was refused, and so was a fresh one "
                            "(HTTP 403 AuthenticationFailed from 127.0.0.1:")
    assert hint.startswith("taskctl: the output file 9100 may have been deleted")
    assert "sig=" not in result.stderr
    assert len(file_url_requests(eo)) == 2 and os.listdir(dest) == []


def test_hostile_names_and_paths_stay_in_the_folder(dl, eo, dest) -> None:
    result = dl("707", "--dest", str(dest), "--inputs")
    assert result.exit_code == 0, result.stderr
    written = sorted(os.listdir(dest))
    assert written == sorted(["evil_-rf.tif", "_-rf", "B5" * 98 + ".tif"])
    assert result.stdout == "".join(f"{dest / name}\n" for name in ["evil_-rf.tif", "_-rf", "B5" * 98 + ".tif"])
    assert "\x1b" not in result.stdout + result.stderr and "\x07" not in result.stdout + result.stderr


def test_dest_rules(dl, eo, dest, tmp_path) -> None:
    assert_clean_error(dl("703", "--dest", str(tmp_path / "missing") + "/"), 2, "no such folder")
    (Path.home() / "Downloads").mkdir()
    result = dl("703", "--dest=~/Downloads")  # the shell leaves a ~ after = alone
    assert (result.exit_code, result.stdout) == (0, f"{Path.home() / 'Downloads' / 'NdviPrd202305.tif'}\n")
    assert_clean_error(dl("703", "--dest", "-", "--inputs"), 2, "one file to stdout", "3 to download")


def test_dest_dash_streams_the_one_file_to_stdout(eo, tmp_path, profiles_file) -> None:
    env = {**os.environ, "TASKCTL_CONFIG": str(profiles_file)}
    done = subprocess.run([sys.executable, "-m", "taskctl", "eo", "download", "703", "--dest", "-"], cwd=tmp_path,
                          env=env, capture_output=True, timeout=60, check=False)
    assert (done.returncode, done.stderr) == (0, b"")
    assert done.stdout == OUTPUT_703
    assert os.listdir(tmp_path) == ["home"]  # no .part anywhere
    assert_no_credential_reached_storage(eo)


def test_dest_dash_with_a_reader_that_goes_away_ends_quietly(eo, tmp_path, profiles_file) -> None:
    env = {**os.environ, "TASKCTL_CONFIG": str(profiles_file)}
    command = f"{sys.executable} -m taskctl eo download 703 --dest - | head -c 10 | wc -c"
    done = subprocess.run(["sh", "-c", command], cwd=tmp_path, env=env, capture_output=True, timeout=60,
                          check=False)
    assert (done.stdout.strip(), done.stderr) == (b"10", b"")


# --- an API and a storage host that lie ----------------------------------------------------------------------


def scripted_api(task: dict[str, Any], urls: Callable[[Seen], Reply]) -> Callable[[Seen, int], Reply]:
    def script(seen: Seen, _index: int) -> Reply:
        if "/datafile/file/urls" in seen.path:
            return urls(seen)
        return Reply(200, {"code": 200, "message": "success", "data": task})

    return script


PUBLISHED = {"id": 5, "taskType": 7, "taskName": "t", "status": 7, "output": {"dataFileId": 77, "fileName": "o"},
             "datas": [{"dataFileId": 78, "fileName": "i"}]}


def url_list(*entries: dict[str, Any]) -> Reply:
    return Reply(200, {"code": 200, "message": "success", "data": {"urlList": list(entries)}})


@pytest.mark.parametrize(("answer", "needles"), [
    (url_list(), ("lists no files", "urlList is empty")),
    (Reply(200, {"code": 200, "message": "success", "data": None}), ("has no urlList",)),
    (url_list({"url": "http://127.0.0.1:9/x?sig=1", "dataFileId": 12, "name": "other"}),
     ("no download link for file 77",)),
    (url_list({"url": "javascript:alert(1)", "dataFileId": 77, "name": "o"}), ("not a usable http(s) URL",)),
    (Reply(200, {"code": 404, "message": "Files not found", "data": None}), ("no such file",)),
    (Reply(200, {"code": 401, "message": "Unauthorized", "data": None}), ("",)),
])
def test_file_url_answers_that_give_nothing(dl, serve, use, dest, answer, needles) -> None:
    api = serve(scripted_api(PUBLISHED, lambda _seen: answer))
    use(api.endpoint)
    result = dl("5", "--dest", str(dest))
    assert_clean_error(result, 4 if "401" in str(answer.body) else 1, *needles)
    assert os.listdir(dest) == []


def test_a_hostile_storage_host_gets_no_credential_and_its_name_is_made_safe(dl, serve, use, dest) -> None:
    elsewhere = serve(Reply(200, b"DATA", {"Content-Type": "application/octet-stream",
                                           "Content-Disposition": 'attachment; filename="../../.bashrc"'}))
    storage = serve(redirect(elsewhere.url + "/landed?sig=abc"))
    entry = {"url": storage.url + "/f?sig=SIGNATURE", "dataFileId": 77, "name": "../\x1b[31m-x", "path": "/../../p"}
    api = serve(scripted_api(PUBLISHED, lambda _seen: url_list(entry)))
    use(api.endpoint)
    result = dl("5", "--dest", str(dest))
    assert (result.exit_code, result.stdout) == (0, f"{dest / 'bashrc'}\n"), result.stderr
    assert (dest / "bashrc").read_bytes() == b"DATA"
    for host in (storage, elsewhere):
        for seen in host.wait_for_requests(1):
            assert TOKEN not in repr(seen) and "authorization" not in seen.headers
        assert TOKEN.encode() not in bytes(host.received)
    assert all(seen.headers.get("authorization") == TOKEN for seen in api.wait_for_requests(2))


def test_an_api_that_echoes_the_token_into_a_link_never_sends_it_on(dl, serve, use, dest) -> None:
    storage = serve(Reply(200, b"x", {"Content-Type": "application/octet-stream"}))
    entry = {"url": f"{storage.url}/f?token={TOKEN}&sig=s", "dataFileId": 77, "name": "o.tif"}
    api = serve(scripted_api(PUBLISHED, lambda _seen: url_list(entry)))
    use(api.endpoint)
    result = dl("5", "--dest", str(dest), "--debug")
    assert TOKEN not in result.stdout + result.stderr
    assert result.exit_code == 1 and "carries the profile's credential" in result.stderr, result.stderr
    assert storage.requests == [] and os.listdir(dest) == []


def test_a_dripping_file_url_answer_ends_in_bounded_time(dl, raw, use, dest) -> None:
    import json
    import time

    from support.loopback import read_request

    task = json.dumps({"code": 200, "message": "success", "data": PUBLISHED}).encode()
    urls = b'{"code":200,"message":"success","data":{"urlList":[]}}' + b" " * 400

    def api(conn, server) -> None:  # the task at once; the file-URL answer a byte every 50 ms
        head = read_request(conn, server)
        body = urls if b"/datafile/file/urls" in head else task
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
                     b"Content-Length: %d\r\n\r\n" % len(body))
        for byte in body if body is urls else [body]:
            conn.sendall(bytes([byte]) if isinstance(byte, int) else byte)
            if body is urls and server.pause(0.05):
                return

    server = raw(handler=api)
    use(server.endpoint, retries=0, timeout="{connect: 1, read: 1, total: 3}")
    started = time.monotonic()
    result = dl("5", "--dest", str(dest))
    assert time.monotonic() - started < 15
    assert result.exit_code == 5 and "Traceback" not in result.stderr, result.stderr
    assert len(server.wait_for_requests(2)) == 2 and "/datafile/file/urls" in server.requests[1].path
    assert os.listdir(dest) == []


def test_a_file_that_changed_since_the_part_was_begun_is_downloaded_again_whole(dl, eo, dest) -> None:
    eo.api("eo").break_file(801, after=70_000)
    assert dl("703", "--dest", str(dest)).exit_code == 0  # one retry: resumed within the run
    eo.api("eo").add_file(801, "NdviPrd202305.tif", b"v2" * 50_000)
    eo.api("eo").break_file(801, after=10_000, times=2)  # broken twice: retries spent, the .part kept
    first = dl("703", "--dest", str(dest), "--force")
    assert first.exit_code == 1 and "rerun the same command to resume" in first.stderr
    assert sorted(os.listdir(dest)) == ["703.part", "703.part.meta", "NdviPrd202305.tif"]
    eo.api("eo").add_file(801, "NdviPrd202305.tif", b"v3" * 50_000)  # changed meanwhile: If-Range misses
    second = dl("703", "--dest", str(dest), "--force")
    assert second.exit_code == 0 and "changed since" in second.stderr, second.stderr
    assert (dest / "NdviPrd202305.tif").read_bytes() == b"v3" * 50_000
    assert sorted(os.listdir(dest)) == ["NdviPrd202305.tif"]


def test_a_storage_host_that_compresses_anyway_is_stored_as_sent(dl, serve, use, dest) -> None:
    import gzip

    bomb = gzip.compress(b"\0" * 20_000_000)  # 20 MB that inflate from about 20 KB
    storage = serve(Reply(200, bomb, {"Content-Type": "image/tiff", "Content-Encoding": "gzip"}))
    entry = {"url": storage.url + "/f?sig=s", "dataFileId": 77, "name": "o.tif"}
    use(serve(scripted_api(PUBLISHED, lambda _seen: url_list(entry))).endpoint)
    result = dl("5", "--dest", str(dest))
    assert result.exit_code == 0, result.stderr
    assert (dest / "o.tif").read_bytes() == bomb  # the bytes as served: nothing is inflated
    assert storage.requests[0].headers["accept-encoding"] == "identity"


def test_dest_dash_refuses_a_terminal_before_any_request(eo, tmp_path, profiles_file) -> None:
    import pty

    primary, secondary = pty.openpty()
    try:
        env = {**os.environ, "TASKCTL_CONFIG": str(profiles_file)}
        done = subprocess.run([sys.executable, "-m", "taskctl", "eo", "download", "703", "--dest", "-"],
                              cwd=tmp_path, env=env, stdout=secondary, stderr=subprocess.PIPE, timeout=60, check=False)
    finally:
        os.close(secondary)
        os.close(primary)
    assert done.returncode == 2
    assert done.stderr.decode().startswith("taskctl: error: --dest - writes the file to stdout, which is a terminal")
    assert eo.requests_seen == []


def test_dest_dash_shows_its_bar_on_a_terminal_stderr_and_only_bytes_on_stdout(eo, tmp_path, profiles_file) -> None:
    import pty
    import select

    primary, secondary = pty.openpty()
    env = {**os.environ, "TASKCTL_CONFIG": str(profiles_file), "TERM": "xterm-256color"}
    process = subprocess.Popen([sys.executable, "-m", "taskctl", "eo", "download", "703", "--dest", "-"],
                               cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=secondary)
    os.close(secondary)
    stdout, _ = process.communicate(timeout=60)
    shown = bytearray()
    while select.select([primary], [], [], 0.5)[0]:
        try:
            chunk = os.read(primary, 65536)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    os.close(primary)
    assert process.returncode == 0 and stdout == OUTPUT_703
    assert b"NdviPrd202305.tif" in shown and b"76.9" in shown
