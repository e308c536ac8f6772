"""The jobq client: one GET per job, its states mapped onto taskctl's."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fourth_provider import JobqOptions
from taskctl.config import Profile
from taskctl.errors import NotFoundError, ResponseError
from taskctl.http import HttpClient
from taskctl.model import Field, FieldKind, State, Task, TaskResult
from taskctl.providers.base import decode_json, parse_opaque_id, required_option
from taskctl.secrets import Secret

STATES = {"queued": State.PENDING, "running": State.RUNNING, "done": State.SUCCEEDED, "error": State.FAILED}


def parse_task_id(text: str) -> str:
    return parse_opaque_id("jobq", text)


def make_fetcher(profile: Profile, secret: Secret, client: HttpClient, options: JobqOptions,
                 environ: Mapping[str, str]) -> JobqFetcher:
    queue = required_option(options.queue, "queue", flag="--queue", what="a queue", profile=profile)
    return JobqFetcher(profile, secret, client, queue)


@dataclass
class JobqFetcher:
    profile: Profile
    secret: Secret
    client: HttpClient
    queue: str

    def fetch(self, task_id: str) -> TaskResult:
        what = f"jobq task {task_id}"
        url = f"{self.profile.endpoint}/v1/queues/{quote(self.queue, safe='')}/jobs/{quote(task_id, safe='')}"
        response = self.client.request("GET", url, headers={self.profile.settings["api_key_header"]: self.secret.value})
        body = decode_json(response, what, self.profile)
        if response.status_code == 404:
            raise NotFoundError(f"{what}: no such job", "check the id")
        if response.status_code != 200 or not isinstance(body, dict):
            raise ResponseError(f"{what}: HTTP {response.status_code}")
        return TaskResult(raw=body, task=normalize(body, task_id))


def normalize(job: dict[str, Any], requested_id: str) -> Task:
    state_name = str(job.get("state", ""))
    progress = job.get("progress")
    return Task(provider="jobq", task_id=str(job.get("id", requested_id)), name=str(job.get("name", "")),
                type_label="job", raw_status=state_name, state=STATES.get(state_name, State.UNKNOWN),
                summary=(Field("ID", str(job.get("id", requested_id))), Field("Name", str(job.get("name", ""))),
                         Field("State", state_name, kind=FieldKind.STATUS),
                         Field("Created", str(job.get("created_at", "")), kind=FieldKind.TIME)),
                progress=progress if isinstance(progress, int) else None)
