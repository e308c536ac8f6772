"""The EO sandbox's file links: `GET /eo/datafile/file/urls` and its storage host, a second loopback server."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from taskctl.providers.eo.images import RASTER_SIZE, THUMBNAIL_SIZE, raster_tiff, thumbnail_png
from taskctl.sandbox import SANDBOX_TOKEN, RunningSandbox, start

AUTH = {"Authorization": SANDBOX_TOKEN}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[RunningSandbox]:
    with start() as running:
        yield running


def file_urls(sandbox: RunningSandbox, ids: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    response = requests.get(f"{sandbox.endpoint('eo')}/datafile/file/urls", params={"dataFileIds": ids},
                            headers=AUTH if headers is None else headers, timeout=5)
    body = response.json()
    assert isinstance(body, dict)
    return body


def task(sandbox: RunningSandbox, task_id: int) -> dict[str, Any]:
    response = requests.post(f"{sandbox.endpoint('eo')}/processtask/query/task/detail", json={"taskId": task_id},
                             headers=AUTH, timeout=5)
    data = response.json()["data"]
    assert isinstance(data, dict)
    return data


def test_the_storage_host_is_another_server(sandbox: RunningSandbox) -> None:
    assert sandbox.storage_url.startswith("http://127.0.0.1:") and sandbox.storage_url != sandbox.base_url


def test_links_for_output_and_inputs_match_the_sheet(sandbox: RunningSandbox) -> None:
    body = file_urls(sandbox, "801,611,612,5")  # 5: unknown, silently left out
    assert (body["code"], body["message"]) == (200, "success")
    entries = body["data"]["urlList"]
    assert [(e["dataFileId"], e["name"], e["path"]) for e in entries] == [
        (801, "NdviPrd202305.tif", "/data_test/Raster/703/NdviPrd202305.tif"),
        (611, "LC08_L2SP_118038_20230514_20230524_02_T1_SR_B4.tif",
         "/data_test/Raster/703/LC08_L2SP_118038_20230514_20230524_02_T1_SR_B4.tif"),
        (612, "LC08_L2SP_118038_20230514_20230524_02_T1_SR_B5.tif",
         "/data_test/Raster/703/LC08_L2SP_118038_20230514_20230524_02_T1_SR_B5.tif")]
    assert all(e["url"].startswith(sandbox.storage_url + "/eo-storage/files/") and "&sig=" in e["url"]
               for e in entries)
    answer = requests.get(entries[0]["url"], timeout=5)
    assert answer.status_code == 200 and answer.content == raster_tiff("file-801")
    assert answer.headers["Content-Type"] == "image/tiff" and answer.headers["ETag"].startswith('"')


@pytest.mark.parametrize(("ids", "code", "message"), [
    ("999", 404, "Files not found"), ("x", 400, "Invalid file IDs"), ("", 400, "Invalid file IDs")])
def test_file_url_errors(sandbox: RunningSandbox, ids: str, code: int, message: str) -> None:
    assert file_urls(sandbox, ids) == {"code": code, "message": message, "data": None}


def test_file_urls_need_the_token(sandbox: RunningSandbox) -> None:
    assert file_urls(sandbox, "801", headers={})["code"] == 401


def test_a_link_needs_its_signature_and_the_single_use_one_expires(sandbox: RunningSandbox) -> None:
    url = file_urls(sandbox, "801")["data"]["urlList"][0]["url"]
    assert requests.get(url.replace("sig=", "sig=x"), timeout=5).status_code == 403
    once = file_urls(sandbox, "974")["data"]["urlList"][0]["url"]
    assert requests.get(once, timeout=5).status_code == 200
    again = requests.get(once, timeout=5)
    assert again.status_code == 403 and b"<Code>AuthenticationFailed</Code>" in again.content
    assert requests.get(file_urls(sandbox, "974")["data"]["urlList"][0]["url"], timeout=5).status_code == 200


def test_ranges_and_if_range(sandbox: RunningSandbox) -> None:
    url = file_urls(sandbox, "801")["data"]["urlList"][0]["url"]
    whole = raster_tiff("file-801")
    etag = requests.get(url, timeout=5).headers["ETag"]
    part = requests.get(url, headers={"Range": "bytes=100-", "If-Range": etag}, timeout=5)
    assert part.status_code == 206 and part.content == whole[100:]
    assert requests.get(url, headers={"Range": "bytes=100-", "If-Range": '"old"'}, timeout=5).status_code == 200


def test_thumbnails_are_real_pngs_on_the_storage_host(sandbox: RunningSandbox) -> None:
    url = task(sandbox, 703)["output"]["thumbnailUrl"]
    assert url.startswith(sandbox.storage_url + "/eo-storage/thumbs/")
    answer = requests.get(url, timeout=5)
    assert answer.status_code == 200 and answer.headers["Content-Type"] == "image/png"
    png = answer.content
    assert png == thumbnail_png("NdviPrd202305_thumb.png") and png.startswith(b"\x89PNG\r\n\x1a\n")
    assert struct.unpack(">II", png[16:24]) == THUMBNAIL_SIZE
    width, height = THUMBNAIL_SIZE
    idat = png[png.index(b"IDAT") + 4: png.index(b"IEND") - 8]
    assert len(zlib.decompress(idat)) == height * (1 + 3 * width)


def test_rasters_are_baseline_tiffs() -> None:
    data = raster_tiff("file-1")
    width, height = RASTER_SIZE
    assert data[:4] == b"II*\x00" and data[8:8 + width * height] and len(data) > width * height
    assert raster_tiff("file-1") == data and raster_tiff("file-2") != data


def test_task_without_output_file_and_unknown_file(sandbox: RunningSandbox) -> None:
    assert task(sandbox, 712)["output"]["dataFileId"] is None
    assert file_urls(sandbox, str(task(sandbox, 713)["output"]["dataFileId"]))["code"] == 404


def test_the_storage_host_saw_no_credentials(sandbox: RunningSandbox) -> None:
    requests.get(file_urls(sandbox, "801")["data"]["urlList"][0]["url"], timeout=5)
    assert sandbox.storage_requests_seen
    assert all(SANDBOX_TOKEN not in repr(seen) for seen in sandbox.storage_requests_seen)
