"""The files of a task as a provider capability (taskctl.providers.files), and the download command that uses it
knowing nothing else about the provider: a FileSource defined here, its files served by the sandbox's storage
stand-in (``/downloads/<name>.zip``, a real loopback server)."""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from taskctl.commands.download import DownloadOptions, download_files, run
from taskctl.config import Profile, Timeouts
from taskctl.context import AppContext
from taskctl.errors import ExitCode, TaskctlError, TaskEndedError
from taskctl.model import State, Task, TaskResult
from taskctl.providers.files import FileSource, RemoteFile, file_source
from taskctl.providers.koodrive import SANDBOX_SHARE_ID
from taskctl.providers.koodrive.client import normalize
from taskctl.providers.koodrive.files import package_files
from taskctl.providers.koodrive.seeds import task_info
from taskctl.sandbox import SANDBOX_TOKEN, RunningSandbox
from taskctl.sandbox.server import Response


@dataclass
class Listed:
    """A FileSource that offers the files it was given."""

    listed: Sequence[RemoteFile]

    def files(self, result: TaskResult, *, inputs: bool = False) -> Sequence[RemoteFile]:
        return self.listed


def finished(task_id: str = "t1") -> TaskResult:
    task = Task(provider="eo", task_id=task_id, name="", type_label="", raw_status="7 PUBLISHED",
                state=State.SUCCEEDED)
    return TaskResult(raw={}, task=task)


def storage_url(sandbox: RunningSandbox, name: str) -> str:
    """Where the sandbox's storage stand-in serves ``name``."""
    return sandbox.endpoint("koodrive").rsplit("/", 1)[0] + f"/downloads/{name}.zip"


def storage_seen(sandbox: RunningSandbox) -> list[Any]:
    return [seen for seen in sandbox.requests_seen if seen.path.startswith("/downloads/")]


@pytest.fixture
def dest(tmp_path: Path) -> Path:
    folder = tmp_path / "dest"
    folder.mkdir()
    return folder


def download(source: FileSource, dest: Path, result: TaskResult | None = None) -> list[Path]:
    app = AppContext(environ={}, stdout=io.StringIO(), stderr=io.StringIO())
    profile = Profile(name="p", provider="eo", endpoint="http://127.0.0.1:9", retries=0,
                      timeouts=Timeouts(connect=2, read=5))
    return list(download_files(app, profile, result or finished(), source, dest=str(dest), force=False))


def test_a_fetcher_with_files_is_a_file_source() -> None:
    assert file_source(Listed([])) is not None
    assert file_source(object()) is None


def test_each_file_is_downloaded_under_its_name_in_order(sandbox, dest) -> None:
    # No Content-Disposition: the service's name wins over the URL's; with one, the storage host's answer decides.
    sandbox.api("koodrive").add_download("first", Response(200, b"one", "application/octet-stream",
                                                           (("ETag", '"first-1"'),)))
    sandbox.api("koodrive").add_download("second", b"two")
    source = Listed([RemoteFile(storage_url(sandbox, "first"), name="out.tif"),
                     RemoteFile(storage_url(sandbox, "second"), name="ignored.bin")])

    written = download(source, dest)

    assert written == [dest / "out.tif", dest / "second.zip"]
    assert [path.read_bytes() for path in written] == [b"one", b"two"]
    assert sorted(os.listdir(dest)) == ["out.tif", "second.zip"]


def test_each_of_several_files_has_its_own_part(sandbox, dest) -> None:
    sandbox.api("koodrive").add_download("first", b"one")
    sandbox.api("koodrive").add_download("second", b"x" * 1000)
    sandbox.api("koodrive").break_download("second", after=100)
    source = Listed([RemoteFile(storage_url(sandbox, "first")), RemoteFile(storage_url(sandbox, "second"))])

    with pytest.raises(TaskctlError) as raised:
        download(source, dest)

    assert raised.value.message.startswith("eo task t1: the download stopped after 100 bytes")
    assert sorted(os.listdir(dest)) == ["first.zip", "t1-2.part", "t1-2.part.meta"]
    assert (dest / "t1-2.part").read_bytes() == b"x" * 100


def test_what_a_file_is_names_it_in_messages(sandbox, dest) -> None:
    source = Listed([RemoteFile(storage_url(sandbox, "missing"), what="output file")])

    with pytest.raises(TaskctlError) as raised:
        download(source, dest)

    assert raised.value.exit_code == ExitCode.FAILURE
    assert raised.value.message.startswith("eo task t1: the download link has expired or is gone (HTTP 404 NoSuchKey")
    assert raised.value.hint is not None and raised.value.hint.endswith("the output file may have been deleted")


def test_several_files_into_one_dest_file_is_a_usage_error_before_any_download(sandbox, dest) -> None:
    source = Listed([RemoteFile(storage_url(sandbox, "a")), RemoteFile(storage_url(sandbox, "b"))])

    with pytest.raises(TaskctlError) as raised:
        download(source, dest / "one.bin")

    assert raised.value.exit_code == ExitCode.USAGE
    assert "names a file, but the task has 2 files to download" in raised.value.message
    assert storage_seen(sandbox) == []


def test_a_source_that_offers_nothing_is_an_error(dest) -> None:
    with pytest.raises(TaskctlError) as raised:
        download(Listed([]), dest)

    assert (raised.value.exit_code, raised.value.message) == (ExitCode.FAILURE, "eo task t1 has no files to download")


@pytest.mark.parametrize("url", ["file:///etc/passwd", "http://[::1/x.zip", "https:///no-host", "http://h/a b"])
def test_every_link_is_checked_whatever_the_provider_did(dest, url) -> None:
    with pytest.raises(TaskctlError) as raised:
        download(Listed([RemoteFile(url)]), dest)

    assert raised.value.exit_code == ExitCode.FAILURE
    assert raised.value.message.startswith("eo task t1: the download link is not a usable http(s) URL")
    assert os.listdir(dest) == []


def test_a_provider_without_files_has_no_download(dest) -> None:
    app = AppContext(environ=dict(os.environ), stdout=io.StringIO(), stderr=io.StringIO())

    with pytest.raises(TaskctlError) as raised:
        run(app, DownloadOptions("modelarts", "task-running", "sandbox", str(dest)))

    assert raised.value.exit_code == ExitCode.USAGE
    assert raised.value.message == "modelarts tasks have no files to download"
    assert app.stdout.getvalue() == "" and os.listdir(dest) == []


# --- KooDrive's package ------------------------------------------------------------------------------------


def test_the_reason_a_package_is_missing_comes_from_the_task_object() -> None:
    raw = task_info("task-x", 1, 2, 3, result_code=13000309, started="20251105140215", ended="20251105140342",
                    progress=100, url="")
    result = TaskResult(raw=raw, task=normalize(raw, "task-x"))
    without_label = result._replace(task=result.task._replace(summary=()))  # what `get` shows plays no part

    with pytest.raises(TaskEndedError) as raised:
        package_files(without_label, lambda _message: None)

    assert raised.value.message == ("koodrive task task-x ended failed (2 completed, result 3 all failed; "
                                    "result code 13000309): there is no package")


def test_a_link_that_does_not_parse_is_exit_1_not_a_crash(cli, sandbox, profiles_file) -> None:
    profiles_file.parent.mkdir(parents=True, exist_ok=True)
    profiles_file.write_text(f"profiles:\n  drive:\n    provider: koodrive\n"
                             f"    endpoint: {sandbox.endpoint('koodrive')}\n    token: {SANDBOX_TOKEN}\n"
                             f"    share_id: {SANDBOX_SHARE_ID}\n    retries: 0\n")
    os.chmod(profiles_file, 0o600)
    sandbox.add_task("koodrive", "task-bracket", task_info("task-bracket", 1, 2, 1, started="20251105140215",
                                                           ended="20251105140342", progress=100,
                                                           url="http://[::1/x.zip"))

    result = cli("koodrive", "download", "task-bracket")

    assert result.exit_code == 1, result.stderr
    assert result.stderr.splitlines() == ["taskctl: error: koodrive task task-bracket: the download link is not a "
                                          "usable http(s) URL ('http://[::1/x.zip')"]
