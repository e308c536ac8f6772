"""What every provider module offers, and the response checks they share."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from taskctl import jsonio
from taskctl.config import Profile
from taskctl.errors import AuthError, NotFoundError, ResponseError, ServiceError, TaskctlError, UsageError
from taskctl.http import HttpClient
from taskctl.model import TaskResult
from taskctl.secrets import Secret

if TYPE_CHECKING:
    import requests


@dataclass(frozen=True)
class FetchOptions:
    """Provider-specific options from the command line (e.g. KooDrive's share id)."""

    values: Mapping[str, str] = field(default_factory=dict)


class Fetcher(Protocol):
    def fetch(self, task_id: str) -> TaskResult: ...


class ProviderModule(Protocol):
    NAME: str

    def parse_task_id(self, text: str) -> str:
        """Validate one TASK_ID argument; raise UsageError when it cannot be a task id."""
        ...

    def make_fetcher(self, profile: Profile, secret: Secret, client: HttpClient,
                     options: FetchOptions) -> Fetcher: ...


def decode_json(response: requests.Response, what: str) -> Any:
    """The response body as JSON (numbers kept exact), or a ResponseError that says what came instead."""
    host = response.url.split("/")[2] if "://" in response.url else response.url
    text = response.content.decode(response.encoding or "utf-8", "replace")
    content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    stripped = text.lstrip()
    if content_type == "text/html" or stripped[:1] == "<":
        raise _non_json(response, host, what, "an HTML page (a gateway or proxy error?)")
    if not stripped:
        raise _non_json(response, host, what, "an empty body")
    try:
        return jsonio.loads(text)
    except json.JSONDecodeError as exc:
        if exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated string"):
            raise _non_json(response, host, what, "truncated JSON (the answer ends mid-document)") from None
        raise _non_json(response, host, what, f"invalid JSON ({exc.msg} at line {exc.lineno})") from None


def _non_json(response: requests.Response, host: str, what: str, got: str) -> TaskctlError:
    status = response.status_code
    hint = "retry later; if it persists, check the profile's endpoint"
    if status in (401, 403):
        return AuthError(f"{host} refused the credentials (HTTP {status}) for {what}",
                         "check the token: taskctl auth status")
    if status == 404:
        hint = "the endpoint path looks wrong: check the profile's endpoint"
    return ResponseError(f"{what}: HTTP {status} from {host} with {got}, not the API's JSON", hint)


def error_for(code: int | str, status: int, what: str, service_text: str, profile: Profile) -> TaskctlError:
    """Map an error code (the body's, else the HTTP status) onto our exit codes."""
    try:
        number = int(code)
    except (TypeError, ValueError):
        number = status
    message = f"{what}: {service_text}"
    if number in (401, 403):
        return AuthError(message, f"check the credentials of profile '{profile.name}': taskctl auth status")
    if number == 404:
        return NotFoundError(message)
    if number == 400:
        return UsageError(message, "check the task id and options")
    return ServiceError(message, "retry later; if it persists, contact the service's support")
