"""Seed tasks of the ModelArts sandbox: whole ``GET processor-tasks/{task_id}`` bodies.

Two are not built here but served from files, byte for byte: ``AcYfsdfhGyrWL5TtahH`` (the
document's example, ``data/modelarts_AcYfsdfhGyrWL5TtahH.json``) and ``task-cleaning``
(``data/modelarts_task-cleaning.json``, whose ``"threshold": 0.50`` a JSON round trip would turn
into ``0.5``). Key order follows the document's example: ``task_id``, ``name``, the inputs,
``template``, ``status``, ``duration_seconds``, ``create_time``, ..., ``is_current``; keys the
example lacks sit where a Java service's field order would put them, undocumented ones last.
"""

from __future__ import annotations

from typing import Any

DOC_TASK_ID = "AcYfsdfhGyrWL5TtahH"
CLEANING_TASK_ID = "task-cleaning"
UNICODE_TASK_ID = "task ü 1"
"""A task id with a space and a non-ASCII letter: it travels percent-encoded (``task%20%C3%BC%201``)."""

FILE_SEEDS = {DOC_TASK_ID: f"modelarts_{DOC_TASK_ID}.json", CLEANING_TASK_ID: f"modelarts_{CLEANING_TASK_ID}.json"}
"""Task ids served from a data file, and the file."""

_OMIT: Any = object()
_CREATED = 1762351331000  # 2025-11-05T14:02:11Z in epoch milliseconds


def source(kind: str, where: str, name: str = _OMIT, version_id: str = _OMIT,
           version_name: str = _OMIT) -> dict[str, Any]:
    """One ``ProcessorDataSource``, ``type`` and ``source`` first as in the example."""
    values = {"type": kind, "source": where, "name": name, "version_id": version_id, "version_name": version_name}
    return {key: value for key, value in values.items() if value is not _OMIT}


def operator(op_id: str, name: str, params: dict[str, Any], advanced: bool = False) -> dict[str, Any]:
    """One ``OperatorParam``."""
    return {"id": op_id, "name": name, "advanced_params_switch": advanced, "params": params}


def template(template_id: str, name: str, operators: list[dict[str, Any]]) -> dict[str, Any]:
    """One ``TemplateParam``."""
    return {"id": template_id, "name": name, "operator_params": operators}


def task(task_id: str, name: str, status: int, *, description: str = _OMIT, data_source: dict[str, Any] = _OMIT,
         inputs: list[dict[str, Any]] = _OMIT, work_path: dict[str, Any] = _OMIT,
         template_param: dict[str, Any] = _OMIT, error_msg: str = _OMIT, duration_seconds: int = _OMIT,
         create_time: int = _CREATED, result: Any = _OMIT, version_id: str = _OMIT, version_name: str = _OMIT,
         version_count: int = _OMIT, workspace_id: str = "0", is_current: bool = True,
         **extra: Any) -> dict[str, Any]:
    """One task body; ``_OMIT``ted keys are left out, ``extra`` (undocumented) keys come last."""
    values = {"task_id": task_id, "name": name, "description": description, "data_source": data_source,
              "inputs": inputs, "work_path": work_path, "template": template_param, "status": status,
              "error_msg": error_msg, "duration_seconds": duration_seconds, "create_time": create_time,
              "result": result, "version_id": version_id, "version_name": version_name,
              "version_count": version_count, "workspace_id": workspace_id, "is_current": is_current}
    body = {key: value for key, value in values.items() if value is not _OMIT}
    body.update(extra)
    return body


_FLOWERS = source("DATASET", "X6c3N3eztX7cr3Arvqu", "flowers-5class", "XwTuRqI9En7xuZskW70", "V002")


def _validation(task_id: str, status: int, **kwargs: Any) -> dict[str, Any]:
    return task(task_id, "validate-flowers-V002", status, inputs=[_FLOWERS],
                template_param=template("sys_data_validation", "data validation", [
                    operator("MetaValidation", "Meta validation", {"task_type": "image_classification"}),
                ]), **kwargs)


def _pending() -> dict[str, Any]:
    """Initialized (0): inputs only, no duration yet."""
    return _validation("task-pending", 0, description="Queued behind 2 tasks", version_id="XwTuRqI9En7xuZskW70")


def _augmentation_template() -> dict[str, Any]:
    """Data augmentation with several operators: nested maps, lists, booleans, numbers."""
    return template("sys_data_augmentation", "data augmentation", [
        operator("AddNoise", "Add noise", {"do_validation": True, "noise_type": "gaussian", "sigma": 25,
                                           "probability": 1}),
        operator("Rotate", "Rotate", {"angles": [90, 180, 270], "keep_size": False}, advanced=True),
        operator("Crop", "Crop", {"box": {"x_min": "0", "y_min": "0", "x_max": "512", "y_max": "512"},
                                  "labels": ["tulip", "rose"], "task_type": "object_detection"}),
    ])


def _running() -> dict[str, Any]:
    """Running (1): augmentation, inputs only (two), an OBS work path, an undocumented extra field."""
    inputs = [_FLOWERS, source("OBS", "/modelarts-demo/flowers/extra/", "flowers-extra")]
    return task("task-running", "augment-flowers-V003", 1, description="Rotate, crop and add noise",
                inputs=inputs, work_path={"type": "OBS", "path": "/modelarts-demo/flowers/augmented/"},
                template_param=_augmentation_template(), duration_seconds=95, version_name="V003",
                version_count=3, flavor={"code": "modelarts.vm.cpu.8u", "node_count": 1})


def _failed() -> dict[str, Any]:
    """Failed (3) with ``error_msg``: data selection, inputs only."""
    return task("task-failed", "select-blurry-out", 3, inputs=[source("OBS", "/modelarts-demo/raw-missing/")],
                work_path={"type": "OBS", "path": "/modelarts-demo/selected/"},
                template_param=template("sys_data_selection", "data selection", [
                    operator("SimDeduplication", "Deduplication", {"simlarity_threshold": 0.9}),
                ]), error_msg="ModelArts.4302: OBS path /modelarts-demo/raw-missing/ does not exist.",
                duration_seconds=12, version_count=1)


def _canceled() -> dict[str, Any]:
    """Stopped (4): cleaning, data_source only."""
    return task("task-canceled", "clean-flowers-V004", 4, data_source=_FLOWERS,
                work_path={"type": "DATASET", "path": "X6c3N3eztX7cr3Arvqu", "name": "flowers-5class",
                           "version_name": "V004", "output_path": "/datasets/flowers-clean"},
                template_param=template("sys_data_cleaning", "data cleaning", [
                    operator("PCC", "Image deduplication", {"simlarity_threshold": 0.9}),
                ]), duration_seconds=41, version_name="V004", version_count=4, is_current=False)


def _unknown() -> dict[str, Any]:
    """A status the document does not list (9)."""
    return task("task-unknown", "analyse-flowers", 9, data_source=_FLOWERS,
                template_param=template("sys_data_analyse", "data analyse", []), duration_seconds=3)


def _hostile() -> dict[str, Any]:
    """Strings that must reach a terminal inert: rich markup, ANSI escapes, BEL, a C1 CSI, DEL."""
    return task("task-hostile", "[bold red]pwned[/] \u001b[31mred\u001b[0m", 3,
                description="[link=http://evil]click[/link] \u001b]8;;http://evil\u0007x\u001b]8;;\u0007"
                            "\u009b2J\u007f\nsecond line\u0007",
                inputs=[source("OBS", "/bucket/\u001b[2Kinput/", "[blink]in[/blink]")],
                template_param=template("sys_data_cleaning", "clean \u009b31m[bold]x[/bold]", []),
                error_msg="boom \u001b[2K\r[green]OK[/green]\u009b1;1H", duration_seconds=1)


def _unicode() -> dict[str, Any]:
    """The task behind a percent-encoded id with a space and a non-ASCII letter."""
    return _validation(UNICODE_TASK_ID, 2, description="Prüfung der Blumen (V002)", duration_seconds=30,
                       version_id="XwTuRqI9En7xuZskW70")


def advancing(poll: int) -> dict[str, Any]:
    """``task-advancing``: status 0 on the 1st poll, 1 on the 2nd, 2 from the 3rd."""
    status = 0 if poll <= 1 else 1 if poll == 2 else 2
    return task("task-advancing", "augment-advancing", status, inputs=[_FLOWERS],
                template_param=_augmentation_template(), duration_seconds=max(0, poll - 1) * 5)


def advancing_fail(poll: int) -> dict[str, Any]:
    """``task-advancing-fail``: status 0 on the 1st poll, 1 on the 2nd, 3 (with ``error_msg``) from the 3rd."""
    status = 0 if poll <= 1 else 1 if poll == 2 else 3
    error_msg = "ModelArts.4302: OBS path /modelarts-demo/flowers/augmented/ is not writable." if (
        status == 3) else _OMIT
    return task("task-advancing-fail", "augment-advancing-fail", status, inputs=[_FLOWERS],
                work_path={"type": "OBS", "path": "/modelarts-demo/flowers/augmented/"},
                template_param=_augmentation_template(), error_msg=error_msg,
                duration_seconds=max(0, poll - 1) * 5)


def seed_tasks() -> dict[str, dict[str, Any]]:
    """A fresh copy of every built seed task, by id."""
    tasks = (_pending(), _running(), _failed(), _canceled(), _unknown(), _hostile(), _unicode())
    return {item["task_id"]: item for item in tasks}
