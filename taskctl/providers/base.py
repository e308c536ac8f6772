"""What every provider module offers, and the response checks they share."""

from __future__ import annotations

import codecs
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from taskctl import jsonio
from taskctl.config import Profile
from taskctl.errors import (
    AuthError,
    ConfigError,
    NotFoundError,
    RateLimitError,
    ResponseError,
    ServiceError,
    TaskctlError,
    UsageError,
)
from taskctl.http import HttpClient
from taskctl.model import TaskResult
from taskctl.secrets import Secret

if TYPE_CHECKING:
    import requests


@dataclass(frozen=True)
class FetchOptions:
    """Provider-specific options from the command line (e.g. KooDrive's share id)."""

    values: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def given(cls, values: Mapping[str, str | None]) -> FetchOptions:
        """The options the user gave (None: not on the command line; "" stays, to be refused where empty)."""
        return cls({key: value for key, value in values.items() if value is not None})

    def required(self, key: str, default: str | None, *, flag: str, what: str, profile: Profile) -> str:
        """The option's value, else the profile's; a UsageError when neither, or when the option is empty."""
        value = self.values.get(key, default)
        if not value:
            empty = f" ({flag} is empty)" if key in self.values else ""
            raise UsageError(f"{profile.provider} needs {what}{empty}",
                             f"pass {flag}, or set `{key}:` in profile '{profile.name}'")
        return value


class Fetcher(Protocol):
    def fetch(self, task_id: str) -> TaskResult: ...


class ProviderModule(Protocol):
    NAME: str

    def parse_task_id(self, text: str) -> str:
        """Validate one TASK_ID argument; raise UsageError when it cannot be a task id."""
        ...

    def make_fetcher(self, profile: Profile, secret: Secret, client: HttpClient,
                     options: FetchOptions) -> Fetcher: ...


MAX_JSON_DEPTH = 100  # no API answer nests deeper; renderers recurse, so deeper input must stop here


def decode_json(response: requests.Response, what: str, profile: Profile) -> Any:
    """The response body as JSON (numbers kept exact), or a ResponseError that says what came instead.

    A 404 that is not JSON comes from something in front of the API, not from it: a ConfigError (wrong endpoint).
    """
    host = response.url.split("/")[2].rsplit("@", 1)[-1] if "://" in response.url else response.url
    try:
        return _decode_json(response, what, host)
    except _NotJson as error:
        if response.status_code == 404:
            raise wrong_endpoint(what, profile, error.got) from None
        raise


def wrong_endpoint(what: str, profile: Profile, got: str) -> ConfigError:
    """A 404 that is not the API's own answer: the endpoint (or its path prefix) does not lead to the API."""
    return ConfigError(f"{what}: HTTP 404 with {got}, not the {profile.provider} API's own answer: the endpoint looks "
                       "wrong", f"check `endpoint:` of profile '{profile.name}' ({profile.endpoint})")


def is_gateway_code(code: Any) -> bool:
    """An API gateway's own error code (Huawei Cloud APIG: APIGW.0101 "The API does not exist")."""
    return isinstance(code, str) and code.upper().startswith("APIGW")


def _decode_json(response: requests.Response, what: str, host: str) -> Any:
    text = _body_text(response)
    content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    stripped = text.lstrip()
    if content_type == "text/html" or stripped[:1] == "<":
        raise _non_json(response, host, what, "an HTML page (a gateway or proxy error?)")
    if not stripped:
        raise _non_json(response, host, what, "an empty body")
    try:
        value = jsonio.loads(text)
    except json.JSONDecodeError as exc:
        if exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated string"):
            raise _non_json(response, host, what, "truncated JSON (the answer ends mid-document)") from None
        problem = exc.msg.removesuffix(" at")
        raise _non_json(response, host, what, f"invalid JSON ({problem} at line {exc.lineno})") from None
    except RecursionError:
        raise _non_json(response, host, what, f"JSON nested more than {MAX_JSON_DEPTH} levels deep") from None
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        raise _non_json(response, host, what, f"JSON taskctl cannot read ({str(exc).split(';')[0]})") from None
    if _depth_exceeds(value, MAX_JSON_DEPTH):
        raise _non_json(response, host, what, f"JSON nested more than {MAX_JSON_DEPTH} levels deep")
    return value


def _body_text(response: requests.Response) -> str:
    """The body as text: its declared charset when Python knows it, else UTF-8 (JSON's encoding); no BOM."""
    from email.message import Message

    raw = response.content
    header = Message()
    header["Content-Type"] = response.headers.get("Content-Type", "")
    charset = header.get_content_charset() or "utf-8"
    if raw.startswith(codecs.BOM_UTF8):
        raw, charset = raw[len(codecs.BOM_UTF8):], "utf-8"
    try:
        return raw.decode(charset, "replace")
    except (LookupError, UnicodeError, ValueError, TypeError):  # unknown or non-text codec
        return raw.decode("utf-8", "replace")


def _depth_exceeds(value: Any, limit: int) -> bool:
    """True when arrays/objects nest deeper than limit (iterative: no recursion on hostile input)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if not isinstance(item, dict | list):
            continue
        if depth > limit:
            return True
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def _non_json(response: requests.Response, host: str, what: str, got: str) -> TaskctlError:
    status = response.status_code
    hint = "retry later; if it persists, check the profile's endpoint"
    if status in (401, 403):
        return AuthError(f"{host} refused the credentials (HTTP {status}) for {what}",
                         "check the token: taskctl auth status")
    if status == 429:
        return RateLimitError(f"{what}: {host} is rate limiting requests (HTTP 429), still after retries",
                            "wait a minute and try again; fetch fewer ids at once")
    return _NotJson(f"{what}: HTTP {status} from {host} with {got}, not the API's JSON", hint, got=got)


class _NotJson(ResponseError):
    """An answer that is not JSON at all; ``got`` says what it was instead."""

    def __init__(self, message: str, hint: str | None, *, got: str) -> None:
        super().__init__(message, hint)
        self.got = got


def error_for(code: int | str, status: int, what: str, service_text: str, profile: Profile) -> TaskctlError:
    """Map an error code (the body's, else the HTTP status) onto our exit codes."""
    number = jsonio.code_number(code)
    if number is None:
        number = status
    message = f"{what}: {service_text}"
    if status == 429:
        return RateLimitError(message, "wait a minute and try again; fetch fewer ids at once")
    if number == 401:
        return AuthError(message, f"check the credentials of profile '{profile.name}': taskctl auth status")
    if number == 403:
        return AuthError(message, f"the credentials of profile '{profile.name}' were accepted but may not "
                                  "see this task; check its project and your permissions")
    if number == 404:
        return NotFoundError(message, f"check the id, and that profile '{profile.name}' points at the right "
                                      f"service ({profile.endpoint})")
    if number == 400:
        return UsageError(message, "check the task id and options")
    return ServiceError(message, "retry later; if it persists, contact the service's support")


def parse_opaque_id(provider: str, text: str, max_length: int = 128) -> str:
    """Validate an opaque string task id: non-empty, printable, of a sane length."""
    # "." and ".." would be normalized away as path segments and name another resource.
    if not text.strip() or len(text) > max_length or not text.isprintable() or text in (".", ".."):
        raise UsageError(f"invalid {provider} task id {text!r}: expected a printable id of 1 to "
                         f"{max_length} characters")
    return text
