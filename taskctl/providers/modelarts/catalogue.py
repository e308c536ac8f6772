"""The ModelArts sandbox's task list: generated tasks beside the hand-made seeds, for
``GET /v2/{project_id}/processor-tasks`` to page through. Deterministic: ids, names, templates, statuses and
creation times are fixed."""

from __future__ import annotations

from typing import Any

from taskctl.providers.modelarts.seeds import operator, source, task, template

NEWEST_CREATE_TIME = 1764590400000  # 2025-12-01T12:00:00Z, epoch milliseconds
GENERATED = 20
_TEMPLATES = (("sys_data_analyse", "data analyse", "analyse"), ("sys_data_cleaning", "data cleaning", "clean"),
              ("sys_data_augmentation", "data augmentation", "augment"),
              ("sys_data_validation", "data validation", "validate"),
              ("sys_data_selection", "data selection", "select"))
_DATASETS = ("flowers", "cars", "receipts", "xrays", "birds", "docs", "drone")
_STATUSES = (2, 1, 2, 3, 0, 2, 4, 2, 1)
_FAILURE = "ModelArts.4302: OBS path /modelarts-demo/{name}/ does not exist."


def generated_id(n: int) -> str:
    return f"task-batch-{n + 1:02d}"


def _generated(n: int) -> dict[str, Any]:
    template_id, template_name, verb = _TEMPLATES[n % len(_TEMPLATES)]
    dataset, status = _DATASETS[n % len(_DATASETS)], _STATUSES[n % len(_STATUSES)]
    name = f"{verb}-{dataset}-V{n % 4 + 1:03d}"
    extra: dict[str, Any] = {"error_msg": _FAILURE.format(name=dataset)} if status == 3 else {}
    if status != 0:
        extra["duration_seconds"] = 30 + (n * 47) % 900
    return task(generated_id(n), name, status, inputs=[source("DATASET", f"ds-{dataset}", dataset)],
                template_param=template(template_id, template_name, [
                    operator(template_id, template_name, {"task_type": "image_classification"})]),
                create_time=NEWEST_CREATE_TIME - n * 11 * 60_000, version_count=n % 4 + 1, **extra)


def catalogue_tasks() -> dict[str, dict[str, Any]]:
    """The generated tasks, by id (newest first)."""
    return {generated_id(n): _generated(n) for n in range(GENERATED)}
