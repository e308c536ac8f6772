"""The model in the middle: what providers return and renderers consume.

Renderers never read provider keys; they see a ``Task`` made of generic fields and sections.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from datetime import datetime


class State(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    PARTIAL = "partial"
    FAILED = "failed"
    CANCELED = "canceled"
    UNKNOWN = "unknown"

    @property
    def terminal(self) -> bool:
        return self in TERMINAL_STATES


TERMINAL_STATES = frozenset({State.SUCCEEDED, State.PARTIAL, State.FAILED, State.CANCELED})


class FieldKind(StrEnum):
    """How renderers show a summary value."""

    TEXT = "text"
    URL = "url"  # shortened
    STATUS = "status"  # the raw status, followed by the normalized state
    TIME = "time"  # an ISO 8601 instant, shown in local time with its age
    DURATION = "duration"  # seconds, shown as ``1h 2m 5s``


class Field(NamedTuple):
    """One labelled value of a summary."""

    label: str
    value: str
    kind: FieldKind = FieldKind.TEXT


class Section(NamedTuple):
    """A titled table of rows (e.g. the input files of a task)."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    url_columns: frozenset[int] = frozenset()
    item_count: int | None = None  # how many things the rows describe, when not one per row


class Task(NamedTuple):
    """A provider-neutral view of one task."""

    provider: str
    task_id: str
    name: str
    type_label: str
    raw_status: str
    state: State
    summary: tuple[Field, ...] = ()
    sections: tuple[Section, ...] = ()
    progress: int | None = None
    message: str | None = None
    # Notes shown beside top-level keys of the raw object in the tree view, e.g. {"status": "running"}.
    annotations: tuple[tuple[str, str], ...] = ()
    # What `-o summary` shows besides the above (None: the service does not say).
    status: Any = None  # the raw status value exactly as received
    status_text: str | None = None  # the provider's name for that status (e.g. PROCESSING)
    type_name: str | None = None  # the friendly type, when the service says which
    created: datetime | None = None
    started: datetime | None = None
    ended: datetime | None = None
    duration_seconds: float | None = None
    # What a listing shows of this provider's tasks beside id, name, type, state and created (e.g. the creator).
    list_columns: tuple[Field, ...] = ()


class TaskResult(NamedTuple):
    """What a fetcher returns: the task object exactly as received, and its normalized view."""

    raw: Any
    task: Task
    # Objects the service sent beside the task object (e.g. a per-file status list): shown in the
    # tree, not part of --json, which is the task object alone.
    companions: tuple[tuple[str, Any], ...] = ()


class Outcome(NamedTuple):
    """The result of fetching one requested id: either a TaskResult or the error that prevented it."""

    requested_id: str
    result: TaskResult | None = None
    error: Exception | None = None
