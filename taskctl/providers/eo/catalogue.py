"""The EO sandbox's task list: a batch of generated tasks beside the hand-made seeds, and the list item
(``DataProcessVo``) each task shows in ``POST /processtask/query/page``.

Deterministic: every id, name, type, status and creation time below is fixed, so tests and the README's
examples see the same list on every run. Ids 720-739 are finished or processing tasks over every type;
740-759 are a batch that advances on each poll, each ending after its own number of polls (753 fails), for
a many-task `watch`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from taskctl.providers.eo.seeds import data_input, data_output, task

NEWEST_CTIME = 1764590400000  # 2025-12-01T12:00:00Z, epoch milliseconds (the doc's example uses milliseconds)
STATIC_IDS = range(720, 740)
BATCH_IDS = range(740, 760)
FAILING_BATCH_ID = 753
_TYPES = (1, 2, 3, 4, 6, 7, 8, 9, 10, 11)
_TYPE_NAMES = {1: "Fusion", 2: "Mosaic", 3: "Clip", 4: "Cloud removal", 6: "Band merging", 7: "NDVI", 8: "EVI",
               9: "NDWI", 10: "NDBI", 11: "BAI"}
_PLACES = ("Rhine delta", "Atacama", "Mekong", "Nile valley", "Po plain", "Lake Chad", "Ganges", "Danube")
_STATUSES = (7, 7, 8, 5, 7, 3, 7, 4)  # published, failed, processing, and the list doc's undocumented 3 and 4
_CREATORS = (("u-10023", "Jane Analyst"), ("u-10042", "Wei Zhang"), ("u-10077", "Amal Haddad"))
_FAIL_REASON = "AOI does not intersect the input raster"


def batch_polls(task_id: int) -> int:
    """How many polls a batch task stays 5 PROCESSING: 1 to 7, different for neighbours."""
    return 1 + (task_id * 3) % 7


def _static(task_id: int) -> dict[str, Any]:
    n = task_id - STATIC_IDS.start
    task_type, status = _TYPES[n % len(_TYPES)], _STATUSES[n % len(_STATUSES)]
    name = f"{_TYPE_NAMES[task_type]} {_PLACES[n % len(_PLACES)]} {2024 + n % 2}-{1 + n % 12:02d}"
    return _built(task_id, task_type, name, status)


def _built(task_id: int, task_type: int, name: str, status: int) -> dict[str, Any]:
    file_name = "".join(word.capitalize() for word in name.replace("-", " ").split())[:40]
    scene = "LC09_L2SP_190029_20240716_20240717_02_T1"
    datas = [data_input(2000 + task_id, 20000 + task_id, f"{scene}_SR_B4", "Red", 600, str(task_id))]
    output = data_output(3000 + task_id, file_name, 700, str(task_id)) if status == 7 else None
    extra = {"failReason": _FAIL_REASON} if status == 8 else {}
    return task(task_id, task_type, name, status, 706, file_name, datas, output, **extra)


def _batch(task_id: int) -> Callable[[int], dict[str, Any]]:
    n = task_id - BATCH_IDS.start
    name = f"NDVI batch tile {n + 1:02d}"
    final = 8 if task_id == FAILING_BATCH_ID else 7
    return lambda poll: _built(task_id, 7, name, 5 if poll <= batch_polls(task_id) else final)


def catalogue_tasks() -> dict[int, dict[str, Any]]:
    """The generated finished and processing tasks, by id."""
    return {task_id: _static(task_id) for task_id in STATIC_IDS}


def batch_tasks() -> dict[int, Callable[[int], dict[str, Any]]]:
    """The advancing batch: a function of the poll count, by id."""
    return {task_id: _batch(task_id) for task_id in BATCH_IDS}


def created(task_id: int) -> int:
    """A fixed creation time: the batch newest, then the generated tasks, then the hand-made seeds."""
    if task_id in BATCH_IDS:
        rank = BATCH_IDS.stop - 1 - task_id
    elif task_id in STATIC_IDS:
        rank = 20 + (STATIC_IDS.stop - 1 - task_id) * 3
    else:
        rank = 100 + task_id % 1000
    return NEWEST_CTIME - rank * 7 * 60_000


def list_item(detail: dict[str, Any]) -> dict[str, Any]:
    """The ``DataProcessVo`` of a task, in the document's key order, from its detail object."""
    task_id = detail.get("id")
    number = task_id if isinstance(task_id, int) else 0
    creator, creator_name = _CREATORS[number % len(_CREATORS)]
    output = detail.get("output")
    reason = next((detail[key] for key in ("failReason", "reason") if detail.get(key)), None)
    return {"id": task_id, "taskName": detail.get("taskName"), "taskType": detail.get("taskType"),
            "status": detail.get("status"), "creator": creator, "creatorName": creator_name,
            "creatorAvatarUrl": f"https://example.com/avatars/{creator}.png", "ctime": created(number),
            "outputDataFileId": output.get("dataFileId") if isinstance(output, dict) else None,
            "reason": reason}
