"""Seed tasks and download packages of the KooDrive sandbox, in the document's ``TaskInfo`` shape.

A ``TaskInfo`` holds the document's keys in the document's order; a key this module leaves out
(e.g. ``startTime`` of a task not started) is absent from the answer, as a service that omits nulls
sends it. ``downloadUrl`` values start with ``BASE_URL``, a placeholder the API replaces at answer
time with the sandbox's own base URL (the port is not known when the seeds are built).
"""

from __future__ import annotations

from typing import Any

BASE_URL = "{base_url}"
"""Placeholder at the start of a ``downloadUrl``: replaced by ``http://127.0.0.1:PORT`` when served."""

BIG_TASK_ID = "1985949195927285761"
"""A numeric-looking 19-digit task id: a string, and it must stay one."""

BIG_USER_ID = "1985949195927285760"
"""A numeric-looking 19-digit user id (above 2**53 if a client wrongly made it a number)."""

USER_ID = "260086000000123456"

_OMIT: Any = object()

# The document's TaskInfo keys, in its order.
TASK_INFO_KEYS = ("userId", "taskId", "taskType", "taskStatus", "taskResultCode", "resultCode", "createTime",
                  "startTime", "endTime", "progress", "downloadUrl")


def download_url(name: str) -> str:
    """The (placeholder) URL of download package ``name``."""
    return f"{BASE_URL}/downloads/{name}.zip"


def task_info(task_id: str, task_type: int, status: int, result: int, *, result_code: int = 0,
              created: str = "20251105140211", started: str = _OMIT, ended: str = _OMIT, progress: int = 0,
              url: str = _OMIT, user_id: str = USER_ID, **extra: Any) -> dict[str, Any]:
    """One ``TaskInfo``, keys in the document's order; ``_OMIT``ted keys are left out, ``extra`` come last."""
    values = (user_id, task_id, task_type, status, result, result_code, created, started, ended, progress, url)
    info = {key: value for key, value in zip(TASK_INFO_KEYS, values, strict=True) if value is not _OMIT}
    info.update(extra)
    return info


def task_body(info: dict[str, Any]) -> dict[str, Any]:
    """The document's success answer: ``code`` as a string."""
    return {"code": "0", "msg": "success", "taskInfo": info}


def job_body(info: dict[str, Any], files: list[dict[str, Any]]) -> dict[str, Any]:
    """A newer deployment's success answer: ``code`` an integer, ``jobInfo`` and per-file ``taskInfos``."""
    return {"code": 0, "msg": "success", "jobInfo": info, "taskInfos": files}


def file_result(file_id: str, file_name: str, code: int, msg: str, status: int) -> dict[str, Any]:
    """One per-file result of a newer deployment (``status`` 1 succeeded, 3 failed)."""
    return {"fileId": file_id, "fileName": file_name, "code": code, "msg": msg, "status": status}


def _pending() -> dict[str, Any]:
    """Queued: no startTime, endTime or downloadUrl at all."""
    return task_info("task-pending", 1, 0, 0)


def _running() -> dict[str, Any]:
    """Packing: started, 40 %, endTime and downloadUrl empty strings (not yet known)."""
    return task_info("task-running", 1, 1, 0, started="20251105140215", ended="", progress=40, url="")


def _done() -> dict[str, Any]:
    """Completed, all files packed: a package to download."""
    return task_info("task-done", 1, 2, 1, started="20251105140215", ended="20251105140342", progress=100,
                     url=download_url("task-done"))


def _partial() -> dict[str, Any]:
    """Completed with one of three files failed, from a newer deployment (``jobInfo``, ``code`` 0)."""
    info = task_info("task-partial", 1, 2, 2, result_code=13000309, started="20251105141002",
                     ended="20251105141139", progress=100, url=download_url("task-partial"))
    files = [
        file_result("FmQz4xhXq0sU1c0bW2v9Rk3aT", "Q3 report.pdf", 0, "success", 1),
        file_result("FnT8a2LrPj5mYd7eKc1uVw6sB", "site-photos/IMG_0412.jpg", 0, "success", 1),
        file_result("Fp0Lk9sJh3gFd2sAq8wEr4tYu", "budget-2025.xlsx", 13000309, "Resource does not exist.", 3),
    ]
    return job_body(info, files)


def _failed() -> dict[str, Any]:
    """Completed, every file failed: nothing to download."""
    return task_info("task-failed", 2, 2, 3, result_code=13000309, started="20251105142000",
                     ended="20251105142003", progress=100, url="")


def _canceled() -> dict[str, Any]:
    """Canceled at 60 %."""
    return task_info("task-canceled", 1, 3, 0, started="20251105143000", ended="20251105143110", progress=60,
                     url="")


def _unknown() -> dict[str, Any]:
    """A ``taskStatus`` the document does not list (7)."""
    return task_info("task-unknown", 3, 7, 0, started="20251105144000", progress=0)


def _hostile() -> dict[str, Any]:
    """A newer deployment's answer with a 19-digit user id and hostile per-file strings."""
    info = task_info("task-hostile", 1, 2, 2, result_code=13000309, started="20251105150000",
                     ended="20251105150101", progress=100, url=download_url("task-hostile"), user_id=BIG_USER_ID)
    files = [
        file_result("FhOst1LeFi1e0000000000001", "[bold red]pwned[/] \u001b[31mred\u001b[0m\u0007.txt", 0,
                    "success", 1),
        file_result("FhOst1LeFi1e0000000000002", "[link=http://evil]x[/link]\u001b]8;;http://evil\u0007click"
                    "\u001b]8;;\u0007.doc", 13000309,
                    "Resource does not exist.\u001b[2K\r[blink]fake OK[/blink]\u009b2J\u007f\nsecond line", 3),
    ]
    return job_body(info, files)


def _big_id() -> dict[str, Any]:
    """A numeric-looking 19-digit task id and user id, both strings."""
    return task_info(BIG_TASK_ID, 2, 2, 1, started="20251105160000", ended="20251105160005", progress=100,
                     url=download_url(BIG_TASK_ID), user_id=BIG_USER_ID)


def _link_expired() -> dict[str, Any]:
    """Completed, but its package link has expired (the download answers 403)."""
    return task_info("task-link-expired", 1, 2, 1, created="20251001090000", started="20251001090002",
                     ended="20251001090010", progress=100, url=download_url("expired"))


def _link_gone() -> dict[str, Any]:
    """Completed, but its package has been deleted (the download answers 404)."""
    return task_info("task-link-gone", 1, 2, 1, created="20251002090000", started="20251002090002",
                     ended="20251002090010", progress=100, url=download_url("gone"))


def advancing(poll: int) -> dict[str, Any]:
    """``task-advancing``: pending on the 1st poll, running 50 % on the 2nd, done from the 3rd."""
    if poll <= 1:
        info = task_info("task-advancing", 1, 0, 0)
    elif poll == 2:
        info = task_info("task-advancing", 1, 1, 0, started="20251105140215", ended="", progress=50, url="")
    else:
        info = task_info("task-advancing", 1, 2, 1, started="20251105140215", ended="20251105140342",
                         progress=100, url=download_url("task-advancing"))
    return task_body(info)


def _locked() -> dict[str, Any]:
    """The locked share's one task (needs the kdstoken)."""
    return task_info("task-locked", 1, 2, 1, started="20251105170000", ended="20251105170030", progress=100,
                     url=download_url("task-locked"))


def seed_tasks() -> dict[str, dict[str, Any]]:
    """A fresh copy of every answer body of the open share, by task id."""
    bodies = [task_body(info) for info in (_pending(), _running(), _done(), _failed(), _canceled(), _unknown(),
                                           _big_id(), _link_expired(), _link_gone())]
    bodies += [_partial(), _hostile()]
    return {(body.get("taskInfo") or body["jobInfo"])["taskId"]: body for body in bodies}


def locked_seed_tasks() -> dict[str, dict[str, Any]]:
    """A fresh copy of every answer body of the locked share, by task id."""
    return {"task-locked": task_body(_locked())}


def download_files() -> dict[str, dict[str, str]]:
    """The files inside each download package (``<name>.zip``), by package name."""
    readme = "Packed by the taskctl sandbox. Deterministic content: the same bytes on every run.\n"
    return {
        "task-done": {"README.txt": readme, "Q3 report.pdf": "%PDF-1.4 sandbox\n",
                      "site-photos/IMG_0412.jpg": "not really a JPEG\n"},
        "task-partial": {"README.txt": readme, "Q3 report.pdf": "%PDF-1.4 sandbox\n",
                         "site-photos/IMG_0412.jpg": "not really a JPEG\n"},
        "task-hostile": {"README.txt": readme, "pwned.txt": "\u001b[31mred\u001b[0m\n"},
        "task-advancing": {"README.txt": readme},
        "task-locked": {"README.txt": readme, "locked.txt": "behind a kdstoken\n"},
        BIG_TASK_ID: {"README.txt": readme, "big.txt": "19 digits\n"},
    }
