"""`taskctl koodrive download` over real loopback sockets: the sandbox as API and storage host, and small
servers started here where a storage host must misbehave in ways the sandbox does not."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support import write_profiles
from support.loopback import Reply, Seen, replies

from taskctl.commands.download.names import filename_from_disposition, safe_filename
from taskctl.config import Profile, Timeouts
from taskctl.context import AppContext
from taskctl.errors import ConfigError, NetworkError
from taskctl.http import HttpClient, redact_query
from taskctl.providers.koodrive import SANDBOX_SHARE_ID
from taskctl.providers.koodrive.emulator import package_etag, zip_package
from taskctl.providers.koodrive.seeds import download_files, task_info
from taskctl.sandbox import SANDBOX_TOKEN, RunningSandbox, start
from taskctl.sandbox.server import Response

SECRET_HEADERS = {"authorization", "x-auth-token", "x-api-key", "x-security-token", "proxy-authorization", "cookie"}


def package(name: str) -> bytes:
    """The bytes the sandbox serves as <name>.zip."""
    return zip_package(tuple(download_files()[name].items()))


def done_task(task_id: str, url: str) -> dict[str, Any]:
    """A finished KooDrive task whose package is at url ("{base_url}/..." is the sandbox's own)."""
    return task_info(task_id, 1, 2, 1, started="20251105140215", ended="20251105140342", progress=100, url=url)


def downloads_seen(sandbox: RunningSandbox) -> list[Any]:
    return [seen for seen in sandbox.requests_seen if seen.path.startswith("/downloads/")]


@pytest.fixture
def dl(cli) -> Callable[..., Any]:
    """cli("koodrive", "download", ...)"""
    return lambda *args, **kwargs: cli("koodrive", "download", *args, **kwargs)


def drive_yaml(sandbox: RunningSandbox, retries: int = 0) -> str:
    return ("profiles:\n  drive:\n    provider: koodrive\n"
            f"    endpoint: {sandbox.endpoint('koodrive')}\n    token: {SANDBOX_TOKEN}\n"
            f"    share_id: {SANDBOX_SHARE_ID}\n    retries: {retries}\n    timeout: {{connect: 2, read: 5}}\n")


@pytest.fixture
def drive(sandbox: RunningSandbox, profiles_file: Path) -> RunningSandbox:
    """The sandbox as the only koodrive profile, no retries (a broken body stays broken)."""
    write_profiles(profiles_file, drive_yaml(sandbox))
    return sandbox


@pytest.fixture
def dest(tmp_path: Path) -> Path:
    folder = tmp_path / "a" / "b" / "dest"
    folder.mkdir(parents=True)
    return folder


def files_under(path: Path) -> list[str]:
    return sorted(str(p.relative_to(path)) for p in path.rglob("*") if p.is_file())


# --- small storage hosts that misbehave (support.loopback servers, started by the ``serve`` fixture) -------

STORED = {"Content-Type": "application/octet-stream"}  # what an object store says of a package


def answer(status: int, body: bytes | Iterable[bytes] = b"", *, length: int | None = None,
           headers: dict[str, str] | None = None, close: bool = False) -> Reply:
    """A storage host's answer: ``body``, announced as ``length`` bytes when given; then the connection is kept
    alive, or closed (``close``)."""
    return Reply(status, body, {**STORED, **(headers or {})}, length=length, after="close" if close else "keep")


def reset_after(body: bytes, length: int, headers: dict[str, str]) -> Reply:
    """The headers and ``body`` of a longer answer, then a reset connection (RST, not FIN)."""
    return Reply(200, body, {**STORED, **headers}, length=length, after="reset")


# --- success ---------------------------------------------------------------------------------------------


def test_downloads_into_the_current_folder_and_prints_the_path(dl, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = dl("task-done", "--profile", "sandbox")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "task-done.zip\n"
    assert result.stderr == ""  # no progress bar when stderr is not a terminal
    assert (tmp_path / "task-done.zip").read_bytes() == package("task-done")
    assert files_under(tmp_path) == ["task-done.zip"]  # no .part left behind


def test_dest_folder_or_file(dl, drive, dest) -> None:
    result = dl("task-done", "--dest", str(dest))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"{dest / 'task-done.zip'}\n"
    result = dl("task-done", "--dest", str(dest / "renamed.bin"))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"{dest / 'renamed.bin'}\n"
    assert (dest / "renamed.bin").read_bytes() == (dest / "task-done.zip").read_bytes() == package("task-done")
    assert files_under(dest) == ["renamed.bin", "task-done.zip"]


@pytest.mark.parametrize("where", ["missing/", "missing/x.zip", ""])
def test_a_dest_that_cannot_be_is_a_usage_error_before_any_request(dl, drive, dest, where) -> None:
    result = dl("task-done", "--dest", str(dest / where) + ("/" if where.endswith("/") else "") if where else "")
    assert result.exit_code == 2
    assert result.stderr.startswith("taskctl: error: --dest")
    assert drive.requests_seen == []


def test_a_progress_bar_on_a_terminal_and_only_the_path_on_stdout(drive, dest) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    from taskctl.commands.download import DownloadOptions as DownloadRequest
    from taskctl.commands.download import run as run_download
    from taskctl.providers.spec import FetchOptions

    out, err = io.StringIO(), Terminal()
    app = AppContext(environ={"COLUMNS": "100", "NO_COLOR": "1"}, stdout=out, stderr=err)
    run_download(app, DownloadRequest("koodrive", "task-done", None, str(dest), False, FetchOptions()))
    assert out.getvalue() == f"{dest / 'task-done.zip'}\n"
    assert "task-done.zip" in err.getvalue() and "462/462 bytes" in err.getvalue()


# --- resuming --------------------------------------------------------------------------------------------


def test_a_broken_download_resumes_with_a_range_request(dl, drive, dest) -> None:
    drive.api("koodrive").break_download("task-done", after=100)
    first = dl("task-done", "--dest", str(dest))
    assert first.exit_code == 1  # the server announced 462 bytes and sent 100: a size mismatch
    assert "stopped after 100 bytes" in first.stderr
    assert f"kept in {dest / 'task-done.part'}; rerun the same command to resume" in first.stderr
    assert first.stdout == ""
    assert files_under(dest) == ["task-done.part", "task-done.part.meta"]  # the bytes, and which version
    assert (dest / "task-done.part").read_bytes() == package("task-done")[:100]
    assert oct((dest / "task-done.part").stat().st_mode & 0o777) == "0o600"

    second = dl("task-done", "--dest", str(dest))
    assert second.exit_code == 0, second.stderr
    assert [(seen.headers.get("Range"), seen.headers.get("If-Range")) for seen in downloads_seen(drive)] == \
        [(None, None), ("bytes=100-", package_etag(package("task-done")))]
    assert (dest / "task-done.zip").read_bytes() == package("task-done")
    assert files_under(dest) == ["task-done.zip"]


def test_a_broken_body_resumes_in_the_same_run_when_retries_allow(dl, sandbox, profiles_file, dest) -> None:
    write_profiles(profiles_file, drive_yaml(sandbox, retries=1))
    sandbox.api("koodrive").break_download("task-done", after=200)
    result = dl("task-done", "--dest", str(dest))
    assert result.exit_code == 0, result.stderr
    assert [seen.headers.get("Range") for seen in downloads_seen(sandbox)] == [None, "bytes=200-"]
    assert (dest / "task-done.zip").read_bytes() == package("task-done")


def test_a_server_that_ignores_range_means_starting_over(dl, drive, dest) -> None:
    drive.api("koodrive").break_download("task-done", after=100)
    assert dl("task-done", "--dest", str(dest)).exit_code == 1
    drive.api("koodrive").add_download("task-done", Response(200, package("task-done"), "application/zip"))
    result = dl("task-done", "--dest", str(dest))
    assert result.exit_code == 0, result.stderr
    assert downloads_seen(drive)[-1].headers["Range"] == "bytes=100-"
    assert "ignored the request to resume at byte 100; downloading from the start" in result.stderr
    assert (dest / "task-done.zip").read_bytes() == package("task-done")  # not 100 bytes twice


def test_a_complete_part_is_renamed_once_the_host_confirms_its_version(dl, drive, dest) -> None:
    whole = package("task-done")
    drive.api("koodrive").break_download("task-done", after=100)
    assert dl("task-done", "--dest", str(dest)).exit_code == 1
    with open(dest / "task-done.part", "ab") as part:  # as if a run got every byte, then died before renaming
        part.write(whole[100:])
    result = dl("task-done", "--dest", str(dest))
    assert result.exit_code == 0, result.stderr
    # The 416 (an XML error, like an object store's) does not name a version: the last byte, with If-Range,
    # gets a 206 that does.
    assert [seen.headers.get("Range") for seen in downloads_seen(drive)][1:] == \
        [f"bytes={len(whole)}-", f"bytes={len(whole) - 1}-"]
    assert (dest / "task-done.zip").read_bytes() == whole
    assert files_under(dest) == ["task-done.zip"]


def test_a_part_without_a_record_of_its_version_starts_over(dl, drive, dest) -> None:
    (dest / "task-done.part").write_bytes(package("task-done")[:100])  # an older taskctl's, or a stray file
    result = dl("task-done", "--dest", str(dest))
    assert result.exit_code == 0, result.stderr
    assert "task-done.part does not record which version of the file it holds; downloading from the start" \
        in result.stderr
    assert [seen.headers.get("Range") for seen in downloads_seen(drive)] == [None]
    assert (dest / "task-done.zip").read_bytes() == package("task-done")


def test_a_part_longer_than_the_file_starts_over(dl, drive, dest) -> None:
    (dest / "task-done.part").write_bytes(b"x" * 1000)
    result = dl("task-done", "--dest", str(dest))
    assert result.exit_code == 0, result.stderr
    assert "downloading from the start" in result.stderr
    assert (dest / "task-done.zip").read_bytes() == package("task-done")


def test_a_body_shorter_than_its_content_range_keeps_the_part(dl, drive, serve, dest) -> None:
    data = bytes(range(256)) * 4
    etag = {"ETag": '"v1"'}

    def short_range(seen: Seen, index: int) -> Reply:
        if "range" not in seen.headers:
            return answer(200, data[:100], length=len(data), headers=etag, close=True)
        first = int(seen.headers["range"].removeprefix("bytes=").rstrip("-"))
        # Content-Length agrees with the body; Content-Range promises more than either.
        return answer(206, data[first:first + 10],
                      headers={"Content-Range": f"bytes {first}-{len(data) - 1}/{len(data)}", **etag})

    server = serve(short_range)
    drive.add_task("koodrive", "task-short", done_task("task-short", f"{server.url}/pkg.zip"))
    assert dl("task-short", "--dest", str(dest)).exit_code == 1
    result = dl("task-short", "--dest", str(dest))
    assert result.exit_code == 1
    assert "the download ended at 110 bytes, not the 1024 announced" in result.stderr
    assert (dest / "task-short.part").read_bytes() == data[:110]
    assert not (dest / "pkg.zip").exists()


def test_a_connection_reset_mid_body_exits_5_and_keeps_the_part(dl, drive, serve, dest) -> None:
    server = serve(reset_after(b"x" * 1000, 5000, {"ETag": '"r1"'}))
    drive.add_task("koodrive", "task-reset", done_task("task-reset", f"{server.url}/reset.zip"))
    result = dl("task-reset", "--dest", str(dest))
    assert result.exit_code == 5
    assert "the download stopped after 1000 bytes: the connection to 127.0.0.1:" in result.stderr
    assert "rerun the same command to resume" in result.stderr
    assert files_under(dest) == ["task-reset.part", "task-reset.part.meta"]


def test_a_broken_download_without_a_validator_keeps_nothing(dl, drive, serve, dest) -> None:
    server = serve(reset_after(b"x" * 1000, 5000, {"ETag": 'W/"weak"'}))
    drive.add_task("koodrive", "task-reset", done_task("task-reset", f"{server.url}/reset.zip"))
    result = dl("task-reset", "--dest", str(dest))
    assert result.exit_code == 5
    assert result.stderr.splitlines()[-1] == (
        f"taskctl: 127.0.0.1:{server.port} names no version of the file (no strong ETag or "
        "Last-Modified), so it cannot be resumed safely: rerun to download it again from the start")
    assert files_under(dest) == []


def test_two_downloads_into_the_same_part_do_not_mix(dl, drive, dest) -> None:
    import fcntl

    with open(dest / "task-done.part", "wb") as other:
        fcntl.flock(other.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        result = dl("task-done", "--dest", str(dest))
    assert result.exit_code == 1
    assert "task-done.part is being written by another taskctl" in result.stderr


def installed_taskctl() -> str:
    """The taskctl that the virtualenv running the tests installed."""
    beside = Path(sys.executable).with_name("taskctl")
    return str(beside) if beside.exists() else shutil.which("taskctl") or "taskctl"


def interrupt_when(process: subprocess.Popen[str], ready: Callable[[], bool]) -> tuple[str, str]:
    """Send SIGINT once ``ready()`` holds (polled), then collect stdout and stderr."""
    try:
        deadline = time.monotonic() + 20
        while not ready() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        process.send_signal(signal.SIGINT)
        return process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()


def start_taskctl(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([installed_taskctl(), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def test_ctrl_c_exits_130_and_keeps_the_part_for_the_next_run(dl, drive, serve, dest, profiles_file) -> None:
    data = os.urandom(300_000)
    etag = {"ETag": '"slow-1"'}

    def stall(seen: Seen, index: int) -> Reply:
        if "range" in seen.headers:
            first = int(seen.headers["range"].removeprefix("bytes=").rstrip("-"))
            return answer(206, data[first:],
                          headers={"Content-Range": f"bytes {first}-{len(data) - 1}/300000", **etag})
        # ... and the rest never comes: the connection is held until the server closes
        return Reply(200, data[:200_000], {**STORED, **etag}, length=len(data), after="hang")

    server = serve(stall)
    drive.add_task("koodrive", "task-slow", done_task("task-slow", f"{server.url}/slow.zip"))
    part = dest / "task-slow.part"
    process = start_taskctl("koodrive", "download", "task-slow", "--dest", str(dest), "--config", str(profiles_file))
    out, err = interrupt_when(process, lambda: part.exists() and part.stat().st_size >= 200_000)
    assert process.returncode == 130, err
    assert out == "" and "Traceback" not in err
    first, hint = err.splitlines()
    assert first == f"taskctl: interrupted; the partial download is kept in {part}"  # Ctrl-C is not an "error:"
    assert hint == "taskctl: rerun the same command to resume"
    assert part.read_bytes() == data[:200_000]

    result = dl("task-slow", "--dest", str(dest))
    assert result.exit_code == 0, result.stderr
    last = server.requests[-1]
    assert (last.headers["range"], last.headers["if-range"]) == ("bytes=200000-", '"slow-1"')
    assert (dest / "slow.zip").read_bytes() == data
    assert files_under(dest) == ["slow.zip"]


# --- what is written where -------------------------------------------------------------------------------


def test_an_existing_file_is_kept_without_force_and_replaced_with_it(dl, drive, dest) -> None:
    (dest / "task-done.zip").write_bytes(b"mine")
    result = dl("task-done", "--dest", str(dest))
    assert result.exit_code == 1
    assert "task-done.zip already exists" in result.stderr and "pass --force to replace it" in result.stderr
    assert (dest / "task-done.zip").read_bytes() == b"mine"
    assert files_under(dest) == ["task-done.zip"]  # no .part either

    result = dl("task-done", "--dest", str(dest), "--force")
    assert result.exit_code == 0, result.stderr
    assert (dest / "task-done.zip").read_bytes() == package("task-done")


def test_an_existing_named_file_is_refused_before_any_request(dl, drive, dest) -> None:
    (dest / "mine.zip").write_bytes(b"mine")
    result = dl("task-done", "--dest", str(dest / "mine.zip"))
    assert result.exit_code == 1 and "--force" in result.stderr
    assert drive.requests_seen == []
    assert (dest / "mine.zip").read_bytes() == b"mine"


@pytest.mark.parametrize(("disposition", "name"), [
    ('attachment; filename="../../x.zip"', "x.zip"),
    ('attachment; filename="/etc/cron.d/x.zip"', "x.zip"),
    ('attachment; filename="..\\..\\win.zip"', "win.zip"),
    ('attachment; filename="C:\\Windows\\x.zip"', "x.zip"),
    ("attachment; filename*=UTF-8''..%2F..%2Fevil.zip", "evil.zip"),
    ('attachment; filename="\x1b[31mred\x07\x7f.zip"', "_[31mred__.zip"),
    ('attachment; filename=".bashrc"', "bashrc"),
    ('attachment; filename=".."', "hostile.zip"),  # nothing left: the URL's name
    ('attachment; filename="a\u202egpj.zip"'.encode().decode("latin-1"), "a_gpj.zip"),  # raw UTF-8 bytes
    ("attachment; filename*=UTF-8''%E2%82%AC%20rates.zip", "€ rates.zip"),
])
def test_a_hostile_content_disposition_stays_inside_the_folder(dl, drive, dest, disposition, name) -> None:
    headers = (("Content-Disposition", disposition),)
    drive.api("koodrive").add_download("hostile", Response(200, b"payload", "application/zip", headers))
    drive.add_task("koodrive", "task-h", done_task("task-h", "{base_url}/downloads/hostile.zip"))
    result = dl("task-h", "--dest", str(dest))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"{dest / name}\n"
    assert files_under(dest.parents[1]) == [f"b/dest/{name}"]


def test_the_sandbox_hostile_package_lands_inside(dl, drive, dest) -> None:
    result = dl("task-hostile", "--dest", str(dest))
    assert result.exit_code == 0, result.stderr
    assert "finished partially" in result.stderr  # task-hostile is a partial task
    assert files_under(dest.parents[1]) == ["b/dest/task-hostile.zip"]


@pytest.mark.parametrize(("name", "expected"), [
    ("report.zip", "report.zip"), ("../x", "x"), ("a/b\\c.zip", "c.zip"), ("...", None), ("", None), (None, None),
    (" . hidden ", "hidden"), ("CON.zip", "_CON.zip"), ("trailing. ", "trailing"), ("é" * 150 + ".zip", None),
])
def test_safe_filename(name, expected) -> None:
    safe = safe_filename(name)
    if name and name.startswith("é"):
        assert safe is not None and safe.endswith(".zip") and len(safe.encode()) <= 200
    else:
        assert safe == expected


@given(st.text())
def test_safe_filename_never_escapes_or_hides(text: str) -> None:
    safe = safe_filename(filename_from_disposition(f'attachment; filename="{text}"') or text)
    if safe is not None:
        folder = Path("/dest")
        assert (folder / safe).parent == folder and safe not in (".", "..")
        assert not safe.startswith(".") and "/" not in safe and "\\" not in safe
        assert safe.isprintable() and len(safe.encode()) <= 200


def test_content_disposition_in_utf8_bytes() -> None:
    raw = 'attachment; filename="résumé.zip"'.encode().decode("latin-1")  # as http.client hands it over
    assert filename_from_disposition(raw) == "résumé.zip"


# --- secrets ---------------------------------------------------------------------------------------------


def test_no_secret_reaches_the_storage_host_nor_the_trace(dl, drive, dest) -> None:
    with start() as elsewhere:  # another loopback port: another origin
        url = (f"{elsewhere.base_url}/downloads/task-done.zip?Expires=1767225600&AccessKeyId=AK"
               "&sig=SIGsecret123&X-Amz-Signature=AMZsecret456")
        drive.add_task("koodrive", "task-far", done_task("task-far", url))
        result = dl("task-far", "--dest", str(dest), "--kdstoken", "kds-secret-789", "--debug")
        assert result.exit_code == 0, result.stderr
        [seen] = elsewhere.requests_seen
    assert downloads_seen(drive) == []
    assert not SECRET_HEADERS & {name.lower() for name in seen.headers}
    for secret in (SANDBOX_TOKEN, "kds-secret-789"):
        assert not any(secret in value for value in seen.headers.values())
        assert secret not in result.stderr
    assert "SIGsecret123" not in result.stderr and "AMZsecret456" not in result.stderr
    assert "sig=***&X-Amz-Signature=***" in result.stderr  # the download request's trace line
    assert f"> GET {elsewhere.base_url}/downloads/task-done.zip?" in result.stderr
    assert (dest / "task-done.zip").read_bytes() == package("task-done")


def test_a_redirect_to_another_host_is_followed_without_secrets(dl, drive, dest) -> None:
    with start() as elsewhere:
        target = f"{elsewhere.base_url}/downloads/task-done.zip?Signature=REDIRsecret99"
        drive.api("koodrive").add_download("moved", Response(302, b"", None, (("Location", target),)))
        drive.add_task("koodrive", "task-moved", done_task("task-moved", "{base_url}/downloads/moved.zip"))
        result = dl("task-moved", "--dest", str(dest), "--debug")
        assert result.exit_code == 0, result.stderr
        [seen] = elsewhere.requests_seen
    assert not SECRET_HEADERS & {name.lower() for name in seen.headers}
    assert "REDIRsecret99" not in result.stderr and "Signature=***" in result.stderr
    assert (dest / "task-done.zip").read_bytes() == package("task-done")


def test_a_client_without_credentials_refuses_secret_headers_and_may_use_plain_http() -> None:
    profile = Profile(name="p", provider="koodrive", endpoint="https://api.example.com", retries=0,
                      timeouts=Timeouts(connect=0.2, read=0.2))
    with pytest.raises(ValueError, match="Authorization"):
        HttpClient(profile, credentials=False).stream("http://127.0.0.1:9/x", headers={"Authorization": "t"})
    with pytest.raises(ConfigError):  # the credentialed client keeps refusing plain http to another host
        HttpClient(profile).request("GET", "http://203.0.113.7/x", headers={})
    with contextlib.suppress(NetworkError):  # not a ConfigError: nothing secret would travel
        HttpClient(profile, credentials=False).stream("http://203.0.113.7/x", headers={}).close()


def test_redact_query() -> None:
    assert redact_query("https://h/p.zip?a=1&sig=x%2Fy&X-Amz-Signature=z") == \
        "https://h/p.zip?a=1&sig=***&X-Amz-Signature=***"
    assert redact_query("https://h/p.zip") == "https://h/p.zip"


# --- the task and the link -------------------------------------------------------------------------------


@pytest.mark.parametrize(("task_id", "words"), [("task-running", "not finished yet (running, 40%)"),
                                                ("task-pending", "not finished yet (pending, 0%)")])
def test_an_unfinished_task_says_so_and_exits_1(dl, drive, dest, task_id, words) -> None:
    result = dl(task_id, "--dest", str(dest))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [f"taskctl: error: koodrive task {task_id} is {words}",
                                          "taskctl: rerun with --wait to wait for it"]
    assert downloads_seen(drive) == [] and files_under(dest) == []


@pytest.mark.parametrize(("task_id", "reason"), [("task-failed", "ended failed (2 completed, result 3 all failed"),
                                                 ("task-canceled", "ended canceled (3 canceled)")])
def test_a_failed_or_canceled_task_exits_7(dl, drive, dest, task_id, reason) -> None:
    result = dl(task_id, "--dest", str(dest))
    assert result.exit_code == 7
    assert reason in result.stderr
    assert files_under(dest) == []


@pytest.mark.parametrize(("task_id", "status"), [("task-link-expired", "HTTP 403 AccessDenied"),
                                                 ("task-link-gone", "HTTP 404 NoSuchKey")])
def test_an_expired_or_deleted_link_exits_1(dl, drive, dest, task_id, status) -> None:
    result = dl(task_id, "--dest", str(dest))
    assert result.exit_code == 1
    assert f"the download link has expired or is gone ({status} from" in result.stderr
    assert "fetch the task again for a fresh link" in result.stderr
    assert files_under(dest) == []


def test_a_finished_task_without_a_link_exits_1(dl, drive, dest) -> None:
    drive.add_task("koodrive", "task-nolink", done_task("task-nolink", ""))
    result = dl("task-nolink", "--dest", str(dest))
    assert result.exit_code == 1
    assert "koodrive task task-nolink has no download link (downloadUrl is empty)" in result.stderr


def test_a_partial_task_downloads_what_is_there_with_a_warning(dl, drive, dest) -> None:
    result = dl("task-partial", "--dest", str(dest))
    assert result.exit_code == 0, result.stderr
    assert "taskctl: warning: koodrive task task-partial finished partially" in result.stderr
    assert (dest / "task-partial.zip").read_bytes() == package("task-partial")


def test_the_task_fetch_errors_are_those_of_get(dl, drive, dest) -> None:
    result = dl("no-such-task", "--dest", str(dest))
    assert result.exit_code == 3
    assert result.stderr.startswith("taskctl: error: koodrive task no-such-task: error 13000309")


# --- network policy --------------------------------------------------------------------------------------


def test_a_503_from_the_storage_host_is_retried(dl, sandbox, profiles_file, serve, dest) -> None:
    write_profiles(profiles_file, drive_yaml(sandbox, retries=2))
    busy_once = replies(answer(503, b"busy", headers={"Retry-After": "0"}),
                        answer(200, b"package bytes", headers={"Content-Type": "application/zip"}))

    server = serve(busy_once)
    sandbox.add_task("koodrive", "task-busy", done_task("task-busy", f"{server.url}/files/busy.zip?sig=abcd1234"))
    result = dl("task-busy", "--dest", str(dest))
    assert result.exit_code == 0, result.stderr
    assert len(server.requests) == 2
    assert (dest / "busy.zip").read_bytes() == b"package bytes"  # the URL's name: no Content-Disposition


def test_a_storage_host_that_refuses_connections_exits_5(dl, drive, dest, closed_port) -> None:
    port = closed_port
    drive.add_task("koodrive", "task-down", done_task("task-down", f"http://127.0.0.1:{port}/x.zip"))
    result = dl("task-down", "--dest", str(dest))
    assert result.exit_code == 5
    assert f"cannot connect to 127.0.0.1:{port}" in result.stderr


def test_wait_watches_an_unfinished_task_then_downloads(dl, drive, dest) -> None:
    early = dl("task-advancing", "--dest", str(dest))
    assert early.exit_code == 1 and "--wait" in early.stderr
    result = dl("task-advancing", "--dest", str(dest), "--wait", "--interval", "0.05")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"{dest / 'task-advancing.zip'}\n"
    assert "running 50%" in result.stderr


def test_wait_ends_with_7_for_a_failed_task_and_8_on_timeout(dl, drive, dest) -> None:
    failed = dl("task-failed", "--dest", str(dest), "--wait", "--interval", "0.05")
    assert failed.exit_code == 7
    timed_out = dl("task-running", "--dest", str(dest), "--wait", "--interval", "0.05", "--timeout", "0.2")
    assert timed_out.exit_code == 8
    assert "(--timeout passed)" in timed_out.stderr
    assert timed_out.stdout == "" and files_under(dest) == []
    assert dl("task-running", "--wait", "--interval", "0").exit_code == 2


@pytest.mark.parametrize("option", [["--timeout", "600"], ["--interval", "3"], ["--interval", "5"]])
def test_interval_and_timeout_without_wait_are_a_usage_error(dl, drive, dest, option) -> None:
    # "--interval 5" is the default's value, and still given: it was taken for not given
    result = dl("task-done", "--dest", str(dest), *option)
    assert result.exit_code == 2 and "only with --wait" in result.stderr
    assert drive.requests_seen == []


def test_dest_dash_writes_the_package_to_stdout(drive, profiles_file, tmp_path) -> None:
    env = {**os.environ, "TASKCTL_CONFIG": str(profiles_file)}
    done = subprocess.run([sys.executable, "-m", "taskctl", "koodrive", "download", "task-done", "--dest", "-"],
                          cwd=tmp_path, env=env, capture_output=True, timeout=60, check=False)
    assert (done.returncode, done.stderr) == (0, b"")
    assert done.stdout == package("task-done")
    assert sorted(os.listdir(tmp_path)) == ["home"]  # no .part


def test_dest_rules_for_every_download(dl, drive, tmp_path) -> None:
    missing = dl("task-done", "--dest", str(tmp_path / "nope") + "/")
    assert (missing.exit_code, missing.stdout) == (2, "") and "no such folder" in missing.stderr
    folder = Path.home() / "Downloads"
    folder.mkdir()
    for dest in (f"{folder}", f"{folder}/", "~/Downloads"):
        result = dl("task-done", "--dest", dest, "--force")
        assert (result.exit_code, result.stdout) == (0, f"{folder / 'task-done.zip'}\n"), result.stderr
    assert os.listdir(folder) == ["task-done.zip"]
