"""`koodrive download` against hostile storage hosts and hostile neighbours (issue 7).

A file on disk is always exactly one version of the object (never ``v1[:n] + v2[n:]``); a ``.part`` that
taskctl did not make itself is never written into nor renamed; Ctrl-C says what was kept; malformed
headers end cleanly. Scripted loopback servers play the storage host; they record what they received.
"""

# ruff: noqa: F811 - the fixtures of test_download are imported, then asked for by name

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.utils import formatdate
from pathlib import Path
from typing import Any

import pytest
import requests
from support import write_profiles
from support.loopback import LoopbackServer, Reply, Seen
from test_download import (  # noqa: F401 - fixtures used by name
    STORED,
    answer,
    dest,
    dl,
    done_task,
    downloads_seen,
    drive,
    drive_yaml,
    files_under,
    interrupt_when,
    package,
    start_taskctl,
)

from taskctl.providers.koodrive.emulator import PACKAGES_MODIFIED, package_etag

V1 = bytes(range(256)) * 40  # 10240 bytes
V2 = bytes(reversed(range(256))) * 40  # the same length: only a validator tells them apart
LM1 = "Mon, 01 Sep 2025 08:00:00 GMT"
LM2 = "Tue, 02 Sep 2025 09:30:00 GMT"


@dataclass
class Version:
    data: bytes
    validators: dict[str, str]  # ETag and/or Last-Modified, as sent


@dataclass
class Host:
    """A storage host serving one version at a time; ``switch_after[i]`` switches it once answer i is sent.

    ``honour_if_range``: a Range whose If-Range names another version gets the whole current one (RFC 9110);
    otherwise the range of the current version is sent whatever If-Range says (a broken host).
    ``cuts``: the next answers announce their whole length, send only that many body bytes and close.
    ``range_validators``: what a 206 sends instead of the version's validators (None: the same).
    ``whole_416``: the 416 validators when a range starts at the end (None: an XML error without them).
    """

    versions: list[Version]
    current: int = 0
    honour_if_range: bool = True
    cuts: list[int] = field(default_factory=list)
    switch_after: set[int] = field(default_factory=set)
    range_validators: dict[str, str] | None = None
    whole_416: dict[str, str] | None = None

    def __call__(self, seen: Seen, index: int) -> Reply:
        version = self.versions[self.current]
        if index in self.switch_after:
            self.current += 1
        data, validators = version.data, version.validators
        first = _range_start(seen.headers.get("range"))
        if_range = seen.headers.get("if-range")
        if first is not None and self.honour_if_range and if_range is not None \
                and if_range not in validators.values():
            first = None
        if first is not None and first >= len(data):
            return answer(416, b"<Error><Code>InvalidRange</Code></Error>",
                          headers={"Content-Range": f"bytes */{len(data)}", **(self.whole_416 or {})})
        cut = self.cuts.pop(0) if self.cuts else None
        if first is None:
            status, body, headers = 200, data, dict(validators)
        else:
            status, body = 206, data[first:]
            headers = {**(self.range_validators if self.range_validators is not None else validators),
                       "Content-Range": f"bytes {first}-{len(data) - 1}/{len(data)}"}
        sent = body if cut is None else body[:cut]
        return answer(status, sent, length=len(body), headers=headers, close=cut is not None)


def _range_start(value: str | None) -> int | None:
    if not value or not value.startswith("bytes=") or not value.endswith("-"):
        return None
    return int(value[len("bytes="):-1])


@pytest.fixture
def host(serve, drive) -> Callable[..., Any]:
    """host(*versions, **options): a scripted storage host serving task-v's package; returns (host, server)."""

    def start(*versions: Version, **options: Any) -> tuple[Host, LoopbackServer]:
        script = Host(list(versions), **options)
        server = serve(script)
        drive.add_task("koodrive", "task-v", done_task("task-v", f"{server.url}/pkg.zip"))
        return script, server

    return start


def asked(server: LoopbackServer) -> list[tuple[str | None, str | None]]:
    """(Range, If-Range) of every request the host received."""
    return [(seen.headers.get("range"), seen.headers.get("if-range")) for seen in server.requests]


def etag(tag: str) -> dict[str, str]:
    return {"ETag": f'"{tag}"'}


# --- 12: one version, never a splice ---------------------------------------------------------------------


def test_an_object_that_changes_between_runs_is_downloaded_again_whole(dl, host, dest) -> None:
    script, server = host(Version(V1, etag("v1")), Version(V2, etag("v2")), cuts=[4000])
    assert dl("task-v", "--dest", str(dest)).exit_code == 1
    assert (dest / "task-v.part").read_bytes() == V1[:4000]
    script.current = 1  # the object is replaced while nobody downloads
    result = dl("task-v", "--dest", str(dest))
    assert result.exit_code == 0, result.stderr
    assert asked(server) == [(None, None), ("bytes=4000-", '"v1"')]
    assert "changed since" in result.stderr and "downloading the new version from the start" in result.stderr
    assert (dest / "pkg.zip").read_bytes() == V2
    assert files_under(dest) == ["pkg.zip"]


def test_an_object_that_changes_within_a_run_is_downloaded_again_whole(dl, host, drive, profiles_file,
                                                                       dest) -> None:
    write_profiles(profiles_file, drive_yaml(drive, retries=2))
    _script, server = host(Version(V1, etag("v1")), Version(V2, etag("v2")), cuts=[4000], switch_after={0})
    result = dl("task-v", "--dest", str(dest))
    assert result.exit_code == 0, result.stderr
    assert asked(server) == [(None, None), ("bytes=4000-", '"v1"')]
    assert (dest / "pkg.zip").read_bytes() == V2


def test_only_last_modified_is_used_as_the_validator(dl, host, dest) -> None:
    script, server = host(Version(V1, {"Last-Modified": LM1}), Version(V2, {"Last-Modified": LM2}), cuts=[3000])
    assert dl("task-v", "--dest", str(dest)).exit_code == 1
    script.current = 1
    result = dl("task-v", "--dest", str(dest))
    assert result.exit_code == 0, result.stderr
    assert asked(server) == [(None, None), ("bytes=3000-", LM1)]
    assert (dest / "pkg.zip").read_bytes() == V2


def test_an_unchanged_object_resumes_by_its_last_modified_date(dl, host, dest) -> None:
    _script, server = host(Version(V1, {"Last-Modified": LM1, "ETag": 'W/"weak"'}), cuts=[3000])
    assert dl("task-v", "--dest", str(dest)).exit_code == 1
    result = dl("task-v", "--dest", str(dest))
    assert result.exit_code == 0, result.stderr
    assert asked(server) == [(None, None), ("bytes=3000-", LM1)]  # the weak ETag is never sent
    assert (dest / "pkg.zip").read_bytes() == V1 and result.stderr == ""


@pytest.mark.parametrize(("v1", "v2"), [(etag("v1"), etag("v2")), ({"Last-Modified": LM1}, {"Last-Modified": LM2}),
                                        (etag("v1"), {})])
def test_a_host_that_ignores_if_range_and_sends_the_new_version_s_range_is_not_spliced(dl, host, dest, v1,
                                                                                        v2) -> None:
    script, server = host(Version(V1, v1), Version(V2, v2), cuts=[4000], honour_if_range=False)
    assert dl("task-v", "--dest", str(dest)).exit_code == 1
    script.current = 1
    result = dl("task-v", "--dest", str(dest))
    assert result.exit_code == 0, result.stderr
    sent = next(iter(v1.values()))
    assert asked(server) == [(None, None), ("bytes=4000-", sent), (None, None)]  # the 206 of v2: start over
    assert "changed since" in result.stderr
    assert (dest / "pkg.zip").read_bytes() == V2


def test_a_206_that_names_no_version_is_not_trusted(dl, host, dest) -> None:
    _script, server = host(Version(V1, etag("v1")), cuts=[4000], range_validators={})
    assert dl("task-v", "--dest", str(dest)).exit_code == 1
    result = dl("task-v", "--dest", str(dest))
    assert result.exit_code == 0, result.stderr
    assert asked(server) == [(None, None), ("bytes=4000-", '"v1"'), (None, None)]
    assert (dest / "pkg.zip").read_bytes() == V1


def whole_part(dl: Callable[..., Any], dest: Path, data: bytes) -> None:
    """A .part holding every byte of ``data`` and its record, as left by a run that died before renaming."""
    assert dl("task-v", "--dest", str(dest)).exit_code == 1
    with open(dest / "task-v.part", "ab") as part:
        part.write(data[len((dest / "task-v.part").read_bytes()):])


@pytest.mark.parametrize("answer_416", [etag("v2"), None])  # the 416 names v2, or no version at all
def test_a_whole_part_of_an_old_version_is_not_renamed_on_416(dl, host, dest, answer_416) -> None:
    script, server = host(Version(V1, etag("v1")), Version(V2, etag("v2")), cuts=[len(V1) - 1],
                          honour_if_range=False, whole_416=answer_416)
    whole_part(dl, dest, V1)
    script.current = 1
    result = dl("task-v", "--dest", str(dest))
    assert result.exit_code == 0, result.stderr
    confirm = [] if answer_416 else [(f"bytes={len(V1) - 1}-", '"v1"')]  # the last byte: its 206 names v2
    assert asked(server)[1:] == [(f"bytes={len(V1)}-", '"v1"'), *confirm, (None, None)]
    assert (dest / "pkg.zip").read_bytes() == V2


def test_a_whole_part_is_renamed_on_a_416_that_names_its_version(dl, host, dest) -> None:
    _script, server = host(Version(V1, etag("v1")), cuts=[len(V1) - 1], whole_416=etag("v1"))
    whole_part(dl, dest, V1)
    result = dl("task-v", "--dest", str(dest))
    assert result.exit_code == 0, result.stderr
    assert asked(server)[1:] == [(f"bytes={len(V1)}-", '"v1"')]
    assert (dest / "pkg.zip").read_bytes() == V1


def test_a_416_to_the_last_byte_too_starts_over(dl, host, dest) -> None:
    _script, server = host(Version(V1, etag("v1")), cuts=[len(V1) - 1])
    whole_part(dl, dest, V1)

    def always_416(seen: Seen, index: int) -> Reply:
        first = _range_start(seen.headers.get("range"))
        if first is None:
            return answer(200, V1, headers=etag("v1"))
        # names no version, and claims the file ends wherever the range starts
        return answer(416, b"", headers={"Content-Range": f"bytes */{first}"})

    server.script = always_416
    result = dl("task-v", "--dest", str(dest))
    assert result.exit_code == 0, result.stderr
    assert asked(server)[1:] == [(f"bytes={len(V1)}-", '"v1"'), (f"bytes={len(V1) - 1}-", '"v1"'), (None, None)]
    assert (dest / "pkg.zip").read_bytes() == V1


def test_a_size_that_changed_means_another_version(dl, host, dest) -> None:
    script, server = host(Version(V1, etag("same")), Version(V1 + b"more", etag("same")), cuts=[4000],
                          honour_if_range=False)
    assert dl("task-v", "--dest", str(dest)).exit_code == 1
    script.current = 1
    result = dl("task-v", "--dest", str(dest))
    assert result.exit_code == 0, result.stderr
    assert asked(server)[-1] == (None, None)
    assert (dest / "pkg.zip").read_bytes() == V1 + b"more"


@pytest.mark.parametrize("validators", [{}, {"ETag": 'W/"weak"'}, {"ETag": "unquoted"},
                                        {"Last-Modified": "yesterday"}, {"Last-Modified": "later"}])
def test_without_a_usable_validator_nothing_is_resumed(dl, host, dest, validators) -> None:
    if validators.get("Last-Modified") == "later":  # not a second older than the answer's Date: not strong
        validators = {"Last-Modified": formatdate(time.time() + 3600, usegmt=True)}
    _script, server = host(Version(V1, validators), cuts=[4000])
    first = dl("task-v", "--dest", str(dest))
    assert first.exit_code == 1
    assert "cannot be resumed safely: rerun to download it again from the start" in first.stderr
    assert files_under(dest) == []  # bytes no version names are not kept
    result = dl("task-v", "--dest", str(dest))
    assert result.exit_code == 0, result.stderr
    assert asked(server) == [(None, None), (None, None)]
    assert (dest / "pkg.zip").read_bytes() == V1


def test_the_sandbox_sends_validators_and_honours_if_range(drive) -> None:
    url = f"{drive.base_url}/downloads/task-done.zip"
    whole = package("task-done")
    tag = package_etag(whole)
    plain = requests.get(url, timeout=5)
    assert plain.headers["ETag"] == tag and plain.headers["Last-Modified"] == PACKAGES_MODIFIED
    for if_range, status in [(tag, 206), (PACKAGES_MODIFIED, 206), ('"other"', 200), (f"W/{tag}", 200),
                             ("Mon, 01 Sep 2025 08:00:00 GMT", 200)]:
        answer_ = requests.get(url, headers={"Range": "bytes=100-", "If-Range": if_range}, timeout=5)
        assert answer_.status_code == status, if_range
        assert answer_.content == (whole[100:] if status == 206 else whole)
        assert answer_.headers["ETag"] == tag


def test_a_sandbox_package_replaced_between_runs_is_downloaded_again(dl, drive, dest) -> None:
    drive.api("koodrive").break_download("task-done", after=100)
    assert dl("task-done", "--dest", str(dest)).exit_code == 1
    newer = package("task-partial")
    drive.api("koodrive").add_download("task-done", newer)
    result = dl("task-done", "--dest", str(dest))
    assert result.exit_code == 0, result.stderr
    assert downloads_seen(drive)[-1].headers["If-Range"] == package_etag(package("task-done"))
    assert (dest / "task-done.zip").read_bytes() == newer


def test_resuming_against_the_built_in_sandbox_profile(dl, drive, dest) -> None:
    drive.api("koodrive").break_download("task-done", after=100)  # the same packages as the built-in sandbox
    assert dl("task-done", "--dest", str(dest)).exit_code == 1
    result = dl("task-done", "--profile", "sandbox", "--dest", str(dest), "--debug")
    assert result.exit_code == 0, result.stderr
    trace = result.stderr.splitlines()
    assert "> Range: bytes=100-" in trace and f"> If-Range: {package_etag(package('task-done'))}" in trace
    assert any(line.startswith("< HTTP 206") for line in trace) and "warning" not in result.stderr
    assert (dest / "task-done.zip").read_bytes() == package("task-done")
    assert files_under(dest) == ["task-done.zip"]


# --- 13: a .part someone else made -----------------------------------------------------------------------


@pytest.fixture
def shared(tmp_path: Path) -> Path:
    """A sticky world-writable folder, like /tmp."""
    folder = tmp_path / "shared"
    folder.mkdir()
    folder.chmod(0o1777)
    return folder


def planted(kind: str, part: Path, victim: Path) -> None:
    """Put something that is not taskctl's own at ``part``."""
    victim.write_bytes(b"precious")
    if kind == "symlink":
        part.symlink_to(victim)
    elif kind == "dangling symlink":
        part.symlink_to(victim.with_name("created-by-taskctl"))
    elif kind == "hard link":
        os.link(victim, part)
    elif kind == "directory":
        part.mkdir()
    elif kind == "other user":
        part.write_bytes(package("task-done"))  # even a whole one: 416 must not rename it into place
        os.chown(part, 65534, 65534)


@pytest.mark.parametrize(("kind", "words"), [
    ("symlink", "is a symbolic link; taskctl does not write through one"),
    ("dangling symlink", "is a symbolic link; taskctl does not write through one"),
    ("hard link", "has 2 hard links (it may be another file's name); taskctl does not write into it"),
    ("directory", "is a folder, not a partial download"),
    ("other user", "belongs to another user (uid 65534); taskctl does not write into it"),
])
def test_a_part_someone_else_made_is_refused(dl, drive, shared, tmp_path, kind, words) -> None:
    if kind == "other user" and os.geteuid() != 0:
        pytest.skip("only root can give a file to another user")
    victim = tmp_path / "victim"
    part = shared / "task-done.part"
    planted(kind, part, victim)
    result = dl("task-done", "--dest", str(shared))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [f"taskctl: error: koodrive task task-done: {part} {words}",
                                          "taskctl: remove it, or choose another --dest"]
    assert downloads_seen(drive) == []  # refused before anything is downloaded
    assert victim.read_bytes() == b"precious" and not victim.with_name("created-by-taskctl").exists()
    assert not (shared / "task-done.zip").exists()


def test_a_record_someone_else_made_is_refused(dl, drive, dest, tmp_path) -> None:
    drive.api("koodrive").break_download("task-done", after=100)
    assert dl("task-done", "--dest", str(dest)).exit_code == 1
    meta = dest / "task-done.part.meta"
    meta.unlink()
    meta.symlink_to(tmp_path / "elsewhere")
    result = dl("task-done", "--dest", str(dest))
    assert result.exit_code == 1
    assert f"{meta} is a symbolic link" in result.stderr and "remove it, or choose another --dest" in result.stderr
    assert not (tmp_path / "elsewhere").exists()


def test_a_fifo_part_is_refused_without_blocking(drive, shared, profiles_file) -> None:
    os.mkfifo(shared / "task-done.part")
    process = subprocess.run([*start_args(profiles_file), "--dest", str(shared)], capture_output=True, text=True,
                             timeout=30)
    assert process.returncode == 1, process.stderr
    assert f"{shared / 'task-done.part'} is a FIFO, not a partial download" in process.stderr


def start_args(profiles_file: Path) -> list[str]:
    from test_download import installed_taskctl

    return [installed_taskctl(), "koodrive", "download", "task-done", "--config", str(profiles_file)]


def test_parts_are_created_private_in_a_shared_folder(dl, drive, shared) -> None:
    drive.api("koodrive").break_download("task-done", after=100)
    assert dl("task-done", "--dest", str(shared)).exit_code == 1
    for name in ("task-done.part", "task-done.part.meta"):
        status = (shared / name).lstat()
        assert (status.st_mode & 0o777, status.st_uid, status.st_nlink) == (0o600, os.getuid(), 1)
    result = dl("task-done", "--dest", str(shared))
    assert result.exit_code == 0, result.stderr
    assert (shared / "task-done.zip").read_bytes() == package("task-done")


def test_a_file_that_appears_at_the_destination_meanwhile_is_not_replaced(dl, drive, serve, dest) -> None:
    part = dest / "task-v.part"

    def sneaky_body() -> Iterator[bytes]:
        yield V1[:5000]
        deadline = time.monotonic() + 10
        while not (part.exists() and part.stat().st_size >= 5000) and time.monotonic() < deadline:
            if server.pause(0.01):
                return
        (dest / "pkg.zip").write_bytes(b"theirs")  # after taskctl found the name free
        yield V1[5000:]

    server = serve(lambda seen, index: answer(200, sneaky_body(), length=len(V1), headers=etag("v1")))
    drive.add_task("koodrive", "task-v", done_task("task-v", f"{server.url}/pkg.zip"))
    result = dl("task-v", "--dest", str(dest))
    assert result.exit_code == 1
    assert f"{dest / 'pkg.zip'} already exists" in result.stderr
    assert (dest / "pkg.zip").read_bytes() == b"theirs"
    assert part.read_bytes() == V1  # whole, and still resumable: a rerun with --force renames it
    result = dl("task-v", "--dest", str(dest), "--force")
    assert result.exit_code == 0, result.stderr
    assert (dest / "pkg.zip").read_bytes() == V1


# --- 14: Ctrl-C ------------------------------------------------------------------------------------------


def test_ctrl_c_without_a_validator_keeps_nothing(drive, serve, dest, profiles_file) -> None:
    # no ETag, no Last-Modified; the rest never comes: the connection is held until the server closes
    server = serve(Reply(200, V1[:5000], STORED, length=len(V1), after="hang"))
    drive.add_task("koodrive", "task-v", done_task("task-v", f"{server.url}/pkg.zip"))
    part = dest / "task-v.part"
    process = start_taskctl("koodrive", "download", "task-v", "--dest", str(dest), "--config", str(profiles_file))
    out, err = interrupt_when(process, lambda: part.exists() and part.stat().st_size >= 5000)
    assert process.returncode == 130, err
    assert (out, err) == ("", "taskctl: interrupted\n")
    assert files_under(dest) == []


def test_a_rerun_after_ctrl_c_of_a_changed_object_is_not_spliced(dl, drive, serve, dest, profiles_file) -> None:
    versions = {"current": Version(V1, etag("v1"))}

    def stall_then_change(seen: Seen, index: int) -> Reply:
        if index == 0:  # the rest never comes: the connection is held until the server closes
            return Reply(200, V1[:5000], {**STORED, **etag("v1")}, length=len(V1), after="hang")
        return Host([versions["current"]])(seen, index)

    server = serve(stall_then_change)
    drive.add_task("koodrive", "task-v", done_task("task-v", f"{server.url}/pkg.zip"))
    part = dest / "task-v.part"
    process = start_taskctl("koodrive", "download", "task-v", "--dest", str(dest), "--config", str(profiles_file))
    _out, err = interrupt_when(process, lambda: part.exists() and part.stat().st_size >= 5000)
    assert process.returncode == 130 and f"the partial download is kept in {part}" in err
    versions["current"] = Version(V2, etag("v2"))
    result = dl("task-v", "--dest", str(dest))
    assert result.exit_code == 0, result.stderr
    assert asked(server) == [(None, None), ("bytes=5000-", '"v1"')]
    assert (dest / "pkg.zip").read_bytes() == V2


# --- malformed headers -----------------------------------------------------------------------------------


def raw_answer(status: str, headers: dict[str, str], body: bytes) -> Reply:
    """An answer byte for byte (header values in UTF-8, which http.server's send_header refuses), then a close."""
    head = f"HTTP/1.1 {status}\r\n" + "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    return Reply(raw=head.encode("utf-8") + b"Connection: close\r\n\r\n" + body)


@pytest.mark.parametrize("length", ["²", "-1", "1e3", "9" * 30, "+5", "٣", "0x10", "5, 6", ""])
def test_a_malformed_content_length_is_a_clean_error(dl, drive, serve, dest, length) -> None:
    server = serve(raw_answer("200 OK", {"Content-Length": length, "ETag": '"v1"'}, b"hello"))
    drive.add_task("koodrive", "task-v", done_task("task-v", f"{server.url}/pkg.zip"))
    result = dl("task-v", "--dest", str(dest))
    assert result.exit_code == 1, result.stderr
    assert len(result.stderr.splitlines()) <= 2 and "internal error" not in result.stderr
    # "5, 6" contradicts itself: the HTTP layer refuses it before the download sees it
    assert "sent an invalid Content-Length" in result.stderr or "contradictory header" in result.stderr
    assert files_under(dest) == []


@pytest.mark.parametrize("content_range", ["bytes 4000-10239/²", "bytes 4000-²/10240", "bytes ٤٠٠٠-10239/10240",
                                           "bytes 4000-10239/" + "9" * 30, "bytes 4000-10239/-1", "bytes */10240",
                                           "bytes 4000-3999/10240", "bytes 4000-99999/10240", "junk"])
def test_a_malformed_content_range_starts_over(dl, host, dest, content_range) -> None:
    _script, server = host(Version(V1, etag("v1")), cuts=[4000])
    assert dl("task-v", "--dest", str(dest)).exit_code == 1

    def odd_range(seen: Seen, index: int) -> Reply:
        if "range" in seen.headers:
            return raw_answer("206 Partial Content", {"Content-Range": content_range, **etag("v1"),
                                                      "Content-Length": str(len(V1) - 4000)}, V1[4000:])
        return answer(200, V1, headers=etag("v1"))

    server.script = odd_range
    result = dl("task-v", "--dest", str(dest))
    assert result.exit_code == 0, result.stderr
    assert "internal error" not in result.stderr and "downloading from the start" in result.stderr
    assert (dest / "pkg.zip").read_bytes() == V1


@pytest.mark.parametrize("content_range", ["bytes 0-5/²", "bytes 0-5/10240"])
def test_a_206_to_a_request_without_a_range_is_a_clean_error(dl, drive, serve, dest, content_range) -> None:
    server = serve(raw_answer("206 Partial Content", {"Content-Range": content_range, "Content-Length": "6",
                                                      **etag("v1")}, V1[:6]))
    drive.add_task("koodrive", "task-v", done_task("task-v", f"{server.url}/pkg.zip"))
    result = dl("task-v", "--dest", str(dest))
    assert result.exit_code == 1
    assert result.stderr == (f"taskctl: error: koodrive task task-v: 127.0.0.1:{server.port} "
                             "answered a byte range that was not asked for\n")
    assert files_under(dest) == []


def test_a_206_longer_than_its_content_range_starts_over(dl, host, dest) -> None:
    _script, server = host(Version(V1, etag("v1")), cuts=[4000])
    assert dl("task-v", "--dest", str(dest)).exit_code == 1

    def too_long(seen: Seen, index: int) -> Reply:
        if "range" in seen.headers:  # says 1000 bytes, sends the rest of the file
            return answer(206, V1[4000:], headers={"Content-Range": "bytes 4000-4999/10240", **etag("v1")})
        return answer(200, V1, headers=etag("v1"))

    server.script = too_long
    result = dl("task-v", "--dest", str(dest))
    assert result.exit_code == 0, result.stderr
    assert "sent more bytes than it announced; downloading from the start" in result.stderr
    assert asked(server)[1:] == [("bytes=4000-", '"v1"'), (None, None)]
    assert (dest / "pkg.zip").read_bytes() == V1


def test_a_malformed_416_content_range_starts_over(dl, host, dest) -> None:
    _script, server = host(Version(V1, etag("v1")), cuts=[len(V1) - 1])
    whole_part(dl, dest, V1)

    def odd_416(seen: Seen, index: int) -> Reply:
        if "range" in seen.headers:
            return raw_answer("416 Range Not Satisfiable", {"Content-Range": "bytes */²", **etag("v1"),
                                                            "Content-Length": "0"}, b"")
        return answer(200, V1, headers=etag("v1"))

    server.script = odd_416
    result = dl("task-v", "--dest", str(dest))
    assert result.exit_code == 0, result.stderr
    assert "does not fit the file" in result.stderr
    assert (dest / "pkg.zip").read_bytes() == V1


@pytest.mark.parametrize("tag", ['"v1\x7f"', '"a"b"', "", '"' + "x" * 2000 + '"', "W/", '"\u00e9"'])
def test_a_malformed_etag_counts_as_none(dl, host, dest, tag) -> None:
    _script, server = host(Version(V1, {"ETag": tag}), cuts=[4000])
    first = dl("task-v", "--dest", str(dest))
    assert first.exit_code == 1 and "internal error" not in first.stderr
    if tag == '"\u00e9"':  # obs-text is allowed in an entity tag: resumable
        assert dl("task-v", "--dest", str(dest)).exit_code == 0
        assert asked(server)[-1] == ("bytes=4000-", tag)
    else:
        assert files_under(dest) == []


def test_a_host_dealing_the_file_out_a_byte_a_range_is_bounded(dl, drive, serve, dest) -> None:
    data = os.urandom(300_000)
    tag = etag("crumbs")

    def crumbs(seen: Seen, index: int) -> Reply:
        first = _range_start(seen.headers.get("range"))
        if first is None:  # the whole file announced, one byte sent
            return answer(200, data[:1], length=len(data), headers=tag, close=True)
        return answer(206, data[first:first + 1],
                      headers={"Content-Range": f"bytes {first}-{first}/{len(data)}", **tag})

    server = serve(crumbs)
    drive.add_task("koodrive", "task-crumbs", done_task("task-crumbs", f"{server.url}/pkg.zip"))

    assert dl("task-crumbs", "--dest", str(dest)).exit_code == 1  # one byte, then the connection closed
    result = dl("task-crumbs", "--dest", str(dest))  # the rerun resumes: a range of one byte

    assert result.exit_code == 1, result.stderr
    assert "sent only 1 bytes of the remaining 299999" in result.stderr
    assert len(server.requests) <= 8  # within the profile's retries, not 300,000 requests


def test_an_endless_body_without_a_size_stops_at_the_cap(dl, drive, serve, dest, monkeypatch) -> None:
    from taskctl.commands.download import transfer

    monkeypatch.setattr(transfer, "MAX_UNANNOUNCED_BYTES", 2 * 2**20)  # 4 GiB in real life
    block = b"z" * 65536

    def endless(seen: Seen, index: int) -> Reply:
        # 640 MiB at most, should taskctl never stop reading
        chunks = (b"%x\r\n%s\r\n" % (len(block), block) for _ in range(10_000))
        return Reply(200, chunks, {**STORED, "Transfer-Encoding": "chunked", "ETag": '"endless"'})

    server = serve(endless)
    drive.add_task("koodrive", "task-endless", done_task("task-endless", f"{server.url}/pkg.zip"))

    result = dl("task-endless", "--dest", str(dest))

    assert result.exit_code == 1, result.stderr
    assert "announced no size and sent more than" in result.stderr
    assert list(dest.iterdir()) == []  # nothing a rerun could resume is kept


@pytest.mark.parametrize("name", ["-rf", "--help.zip", "-"])
def test_a_name_that_looks_like_an_option_is_never_printed_as_one(dl, drive, serve, dest, name) -> None:
    server = serve(answer(200, b"data", headers={"Content-Disposition": f'attachment; filename="{name}"',
                                                 "ETag": '"n1"'}))
    drive.add_task("koodrive", "task-named", done_task("task-named", f"{server.url}/pkg.zip"))

    result = dl("task-named", "--dest", str(dest))

    assert result.exit_code == 0, result.stderr
    written = Path(result.stdout.strip())
    assert not written.name.startswith("-") and written.read_bytes() == b"data"


def test_a_dest_too_long_is_a_usage_error(dl, drive, tmp_path) -> None:
    result = dl("task-done", "--profile", "sandbox", "--dest", str(tmp_path / ("x" * 300)))

    assert result.exit_code == 2, result.stderr
    assert "--dest" in result.stderr and "too long" in result.stderr.lower()


def test_a_download_slower_than_the_floors_ends_at_the_download_deadline(dl, drive, serve, dest,
                                                                          monkeypatch) -> None:
    from taskctl.commands.download import transfer

    monkeypatch.setattr(transfer, "DOWNLOAD_DEADLINE", 1.0)  # 6 hours in real life
    data = os.urandom(2_000_000)

    def steady_body() -> Iterator[bytes]:
        for offset in range(0, len(data), 4096):  # fast enough for every floor, too slow for the deadline
            yield data[offset:offset + 4096]
            if server.pause(0.01):
                return

    server = serve(lambda seen, index: answer(200, steady_body(), length=len(data), headers={"ETag": '"steady"'}))
    drive.add_task("koodrive", "task-steady", done_task("task-steady", f"{server.url}/pkg.zip"))

    started = time.monotonic()
    result = dl("task-steady", "--dest", str(dest))

    assert result.exit_code == 5, result.stderr
    assert "took longer than" in result.stderr and "rerun the same command to resume" in result.stderr
    assert time.monotonic() - started < 20
    assert len(server.requests) == 1  # not retried
    assert (dest / "task-steady.part").exists()
