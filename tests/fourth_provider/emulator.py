"""The jobq emulator, served by taskctl's own sandbox once the provider is registered."""

from __future__ import annotations

import threading
from typing import Any

from fourth_provider import SANDBOX_QUEUE
from taskctl.sandbox import SANDBOX_TOKEN
from taskctl.sandbox.server import Request, Response, Route, json_response

CREATED = "2026-11-30T08:00:00Z"


class JobqApi:
    def __init__(self) -> None:
        self._jobs: dict[str, Any] = {
            "job-done": {"id": "job-done", "name": "nightly export", "state": "done", "progress": 100,
                         "created_at": CREATED},
            "job-failed": {"id": "job-failed", "name": "reindex", "state": "error", "progress": 40,
                           "created_at": CREATED},
        }
        self._polls: dict[str, int] = {}
        self._lock = threading.Lock()

    def routes(self) -> list[Route]:
        return [Route("GET", "/v1/queues/{queue}/jobs/{job}", self.job)]

    def add_task(self, task_id: str, seed: Any) -> None:
        with self._lock:
            self._jobs[task_id] = seed

    def job(self, request: Request) -> Response:
        if request.header("X-Jobq-Key") != SANDBOX_TOKEN:
            return json_response(401, {"error": "unauthorized"})
        if request.params["queue"] != SANDBOX_QUEUE:
            return json_response(404, {"error": "no such queue"})
        job_id = request.params["job"]
        with self._lock:
            poll = self._polls[job_id] = self._polls.get(job_id, 0) + 1
            job = self._jobs.get(job_id)
        if job_id == "job-advancing":  # running on the first two polls, then done
            state = "running" if poll < 3 else "done"
            job = {"id": job_id, "name": "resize", "state": state, "progress": min(100, poll * 40),
                   "created_at": CREATED}
        if job is None:
            return json_response(404, {"error": "no such job"})
        return json_response(200, job)
