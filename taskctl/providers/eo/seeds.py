"""Seed task objects of the EO sandbox, in the document's ``DataTaskDetailResp`` shape.

Task 702 is not here: it is the document's own success example, served from ``data/eo_702.json``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from taskctl.providers.eo.storage import StoredFile, thumbnail_url

BIG_TASK_ID = 1985949195927285760
"""A 19-digit id (above 2**53): a JSON client must keep it an exact integer."""


# Landsat 8 Collection 2 surface-reflectance band file suffixes and their names.
_LANDSAT_BANDS = (
    ("SR_B1", "Coastal Aerosol"), ("SR_B2", "Blue"), ("SR_B3", "Green"), ("SR_B4", "Red"),
    ("SR_B5", "Near Infrared"), ("SR_B6", "SWIR 1"), ("SR_B7", "SWIR 2"), ("ST_B10", "Thermal Infrared 1"),
)
_LANDSAT_SCENES = (
    "LC08_L2SP_197024_20230514_20230524_02_T1", "LC08_L2SP_197025_20230514_20230524_02_T1",
    "LC08_L2SP_196024_20230523_20230601_02_T1", "LC08_L2SP_196025_20230523_20230601_02_T1",
    "LC08_L2SP_198024_20230521_20230602_02_T1",
)


def thumbnail(key: str, signature: str) -> str:
    """A signed thumbnail URL like the document's, on the sandbox's storage host."""
    return thumbnail_url(key, signature)


def data_input(data_file_id: int, band_id: int, file_name: str, band_name: str,
               metadata_id: int, task_id: str) -> dict[str, Any]:
    """One ``ProcessTaskDataVo``, keys in the document's order (``type`` included, as served)."""
    return {
        "dataFileId": data_file_id,
        "type": None,
        "bandInfoId": [band_id],
        "bandId": band_id,
        "thumbnailUrl": thumbnail(file_name, f"sig{data_file_id}x{band_id}"),
        "fileName": file_name,
        "originalBandName": band_name,
        "metadataId": metadata_id,
        "taskId": task_id,
    }


def data_output(data_file_id: int | None, file_name: str, metadata_id: int | None,
                task_id: str | None) -> dict[str, Any]:
    """One ``ProcessTaskResultDataVo``; no thumbnail until the file exists."""
    url = None if data_file_id is None else thumbnail(file_name, f"out{data_file_id}")
    return {"dataFileId": data_file_id, "thumbnailUrl": url, "fileName": file_name,
            "metadataId": metadata_id, "taskId": task_id}


def task(task_id: int, task_type: int, name: str, status: int, output_path: int, output_file: str,
         datas: list[dict[str, Any]], output: dict[str, Any] | None, **extra: Any) -> dict[str, Any]:
    """One ``DataTaskDetailResp``; ``extra`` keys (undocumented fields) come last."""
    return {"id": task_id, "taskType": task_type, "taskName": name, "status": status,
            "outputPath": output_path, "outputFileName": output_file, "datas": datas,
            "output": output, **extra}


def _ndvi_703() -> dict[str, Any]:
    """Published NDVI from Red and NIR."""
    datas = [
        data_input(611, 13001, "LC08_L2SP_118038_20230514_20230524_02_T1_SR_B4", "Red", 402,
                   "1986012345678901248"),
        data_input(612, 13002, "LC08_L2SP_118038_20230514_20230524_02_T1_SR_B5", "Near Infrared", 403,
                   "1986012345678901249"),
    ]
    return task(703, 7, "NDVI Pearl River Delta May 2023", 7, 706, "NdviPrd202305", datas,
                data_output(801, "NdviPrd202305", 415, "703"))


def _mosaic_704() -> dict[str, Any]:
    """Failed mosaic, with fields this API version does not document."""
    datas = [
        data_input(620, 13010, "S2B_MSIL2A_20230611T030529_N0509_R075_T49QGF_B04", "Red", 420,
                   "1986020000000000001"),
        data_input(621, 13011, "S2A_MSIL2A_20230704T030541_N0509_R075_T50RKU_B04", "Red", 421,
                   "1986020000000000002"),
    ]
    return task(704, 2, "Mosaic Guangdong coast Q3", 8, 706, "MosaicGdCoastQ3", datas,
                data_output(None, "MosaicGdCoastQ3", None, None),
                failReason="Input tiles do not overlap",
                publish={"attempts": 3, "lastError": "GeoServer returned 500 on layer create",
                         "lastAttempt": "2025-11-05T14:02:11Z"})


def _cloud_removal_705() -> dict[str, Any]:
    """A status this API version does not document (6)."""
    datas = [data_input(630, 13020, "LC09_L2SP_122044_20240102_20240103_02_T1_SR_B2", "Blue", 430,
                        "1986030000000000001")]
    return task(705, 4, "Cloud removal Hainan Jan 2024", 6, 706, "CloudFreeHainan202401", datas,
                data_output(None, "CloudFreeHainan202401", None, None))


def _many_inputs_706() -> dict[str, Any]:
    """A published mosaic of 5 Landsat scenes x 8 bands = 40 inputs (and a non-ASCII name)."""
    datas = [
        data_input(1000 + n, 14000 + n, f"{scene}_{suffix}", band_name, 500 + n, str(1986040000000000000 + n))
        for n, (scene, (suffix, band_name)) in enumerate(
            (scene, band) for scene in _LANDSAT_SCENES for band in _LANDSAT_BANDS)
    ]
    return task(706, 2, "Mosaic Münsterland 2023 – 5 scenes", 7, 706, "MosaicMuensterland2023", datas,
                data_output(1100, "MosaicMuensterland2023", 540, "706"))


def _bai_big_id() -> dict[str, Any]:
    """A published BAI whose id (and output folder) need 64 bits."""
    datas = [
        data_input(640, 13040, "LC08_L2SP_044034_20200921_20201005_02_T1_SR_B4", "Red", 440,
                   "1985949195927285761"),
        data_input(641, 13041, "LC08_L2SP_044034_20200921_20201005_02_T1_SR_B5", "Near Infrared", 441,
                   "1985949195927285762"),
    ]
    return task(BIG_TASK_ID, 11, "BAI August Complex burn scar", 7, 1985949196283801600, "BaiAugustComplex",
                datas, data_output(890, "BaiAugustComplex", 450, str(BIG_TASK_ID)))


def _hostile_707() -> dict[str, Any]:
    """Strings that must reach a terminal inert: rich markup, ANSI/OSC escapes, C0/C1 controls."""
    name = "[bold red]pwned[/] \u001b[31mred\u001b[0m\u0007 [link=http://evil]x[/link]\nsecond line"
    file_name = "[link=http://evil]x[/link]\u001b]8;;http://evil\u0007click\u001b]8;;\u0007\u009b2J\u007f"
    datas = [
        data_input(650, 13050, file_name, "Red\u001b[2K\r[blink]NIR[/blink]", 460, "1986070000000000001"),
        data_input(651, 13051, "plain_B5", "Near Infrared", 461, "1986070000000000002"),
    ]
    output = data_output(900, "out\u009b31m[bold]x[/bold]\u007f", 470, "707")
    return task(707, 7, name, 7, 706, "\u001b[8mhidden\u001b[0m[/]", datas, output)


def _empty_708() -> dict[str, Any]:
    """A task that has produced nothing yet: no inputs listed, no output."""
    return task(708, 9, "NDWI Poyang Lake (queued)", 5, 706, "NdwiPoyang", [], None)


def _no_file_712() -> dict[str, Any]:
    """Published, but its output names no file (``dataFileId`` null): nothing to download."""
    datas = [data_input(670, 13070, "LC08_L2SP_119038_20240301_20240310_02_T1_SR_B6", "SWIR 1", 482,
                        "1986071200000000001")]
    output = data_output(None, "NdbiShenzhen202403", None, "712") | {"thumbnailUrl": None}
    return task(712, 10, "NDBI Shenzhen March 2024 (no output file)", 7, 706, "NdbiShenzhen202403", datas, output)


MISSING_FILE_ID = 999
"""The output file of task 713: the file-URL API does not know it (404 "Files not found")."""


def _missing_file_713() -> dict[str, Any]:
    """Published, but the file-URL API does not know its output file."""
    return task(713, 7, "NDVI Hainan 2024 (file deleted)", 7, 706, "NdviHainan2024", [],
                data_output(MISSING_FILE_ID, "NdviHainan2024", 491, "713"))


EXPIRING_FILE_ID = 974
"""The output file of task 714: each link to it works for one request only."""


def _expiring_714() -> dict[str, Any]:
    """Published band merge whose output link expires after its first use."""
    datas = [data_input(672, 13072, "LC09_L2SP_121044_20240405_20240410_02_T1_SR_B4", "Red", 483,
                        "1986071400000000001")]
    return task(714, 6, "Band merge Hong Kong (single-use links)", 7, 706, "BandMergeHk202404", datas,
                data_output(EXPIRING_FILE_ID, "BandMergeHk202404", 492, "714"))


# 709 is not used: tests take it as an id the sandbox does not know.
PUBLISHING_TASK_ID = 710
FAILING_TASK_ID = 711
ADVANCING_POLLS = 2
"""How many polls the advancing tasks stay 5 PROCESSING before they end."""


def _processing_then(task_id: int, name: str, final_status: int, poll: int, **final_extra: Any) -> dict[str, Any]:
    """An NDVI from Red and NIR: 5 PROCESSING for ``ADVANCING_POLLS`` polls, then ``final_status``."""
    first = 660 + 2 * (task_id - PUBLISHING_TASK_ID)  # distinct data file and band ids per task
    scene = "LC08_L2SP_123032_20240612_20240620_02_T1"
    datas = [data_input(first, 13000 + first, f"{scene}_SR_B4", "Red", 480, f"198607{task_id}0000000001"),
             data_input(first + 1, 13001 + first, f"{scene}_SR_B5", "Near Infrared", 481,
                        f"198607{task_id}0000000002")]
    file_name = f"NdviWatch{task_id}"
    if poll <= ADVANCING_POLLS:
        return task(task_id, 7, name, 5, 706, file_name, datas, None)
    published = final_status == 7
    output = data_output(first + 300 if published else None, file_name, 490 if published else None,
                         str(task_id) if published else None)
    return task(task_id, 7, name, final_status, 706, file_name, datas, output, **final_extra)


def publishing_710(poll: int) -> dict[str, Any]:
    """710: 5 PROCESSING on polls 1 and 2, then 7 PUBLISHED (to try `taskctl eo watch`)."""
    return _processing_then(PUBLISHING_TASK_ID, "NDVI Beijing June 2024 (advancing)", 7, poll)


def failing_711(poll: int) -> dict[str, Any]:
    """711: 5 PROCESSING on polls 1 and 2, then 8 PUBLISH_FAILED with an undocumented ``failReason``."""
    return _processing_then(FAILING_TASK_ID, "NDVI Beijing July 2024 (advancing)", 8, poll,
                            failReason="GeoServer returned 500 on layer create")


def advancing_tasks() -> dict[int, Callable[[int], dict[str, Any]]]:
    """The tasks that advance on each poll: a function of the poll count (1 on the first request), by id."""
    return {PUBLISHING_TASK_ID: publishing_710, FAILING_TASK_ID: failing_711}


def seed_tasks() -> dict[int, dict[str, Any]]:
    """A fresh copy of every seed task object, by id."""
    tasks = (_ndvi_703(), _mosaic_704(), _cloud_removal_705(), _many_inputs_706(), _bai_big_id(),
             _hostile_707(), _empty_708())
    return {item["id"]: item for item in tasks}


def download_fault_tasks() -> dict[int, dict[str, Any]]:
    """712-714, for the error paths of a download; like the fault ids, they are not listed."""
    return {item["id"]: item for item in (_no_file_712(), _missing_file_713(), _expiring_714())}


# Names a storage host may send for task 707's files: a path out of the folder with an OSC 8 link and BEL, an
# option-like name, and one far longer than a file system allows.
HOSTILE_FILES = {
    900: StoredFile("..\\..\\\u001b]8;;http://evil\u0007-rf.tif", "/../../etc/cron.d/\u001b[2Jx.tif"),
    650: StoredFile("-rf", "/data_test/Raster/707/-rf"),
    651: StoredFile("B5" * 150 + ".tif", "/" + "d/" * 200 + "B5.tif"),
}


def stored_files(tasks: Iterable[dict[str, Any]]) -> dict[int, StoredFile]:
    """The storage host's files: every input and output file of ``tasks`` (task objects), by data file id."""
    files: dict[int, StoredFile] = {}
    for item in tasks:
        entries = [*(item.get("datas") or []), item.get("output") or {}]
        for entry in entries:
            file_id = entry.get("dataFileId")
            if isinstance(file_id, int):
                name = f"{entry['fileName']}.tif"
                files[file_id] = StoredFile(name, f"/data_test/Raster/{item['id']}/{name}")
    files.update({file_id: StoredFile(stored.name, stored.path) for file_id, stored in HOSTILE_FILES.items()})
    files[EXPIRING_FILE_ID].single_use = True
    del files[MISSING_FILE_ID]
    return files
