"""What every provider module offers, and the response checks they share."""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, cast

from taskctl import jsonio
from taskctl.config import Profile
from taskctl.errors import ResponseError, TaskctlError, UsageError
from taskctl.http import HttpClient
from taskctl.model import State, TaskResult
from taskctl.providers.spec import FetchOptions
from taskctl.secrets import Secret

if TYPE_CHECKING:
    from datetime import datetime

    import requests


def required_option(given: str | None, key: str, *, flag: str, what: str, profile: Profile) -> str:
    """The option's value (None: not given on the command line), else the profile's setting ``key``; a UsageError
    when neither, or when the option is empty."""
    value = given if given is not None else profile.settings.get(key)
    if not value:
        empty = f" ({flag} is empty)" if given is not None else ""
        raise UsageError(f"{profile.provider} needs {what}{empty}",
                         f"pass {flag}, or set `{key}:` in profile '{profile.name}'")
    return str(value)


class Fetcher(Protocol):
    def fetch(self, task_id: str) -> TaskResult: ...


class ListQuery(NamedTuple):
    """What `list` asks for: normalized states (empty: any), the provider's task types as its
    ``parse_list_types`` gave them (empty: any), the service's keyword search, and how many tasks a page should
    hold (the provider clamps it to what its API allows)."""

    states: frozenset[State] = frozenset()
    types: tuple[str, ...] = ()
    name: str | None = None
    page_size: int = 50


class ListPage(NamedTuple):
    """One page of a listing as the service sent it: every item (none filtered out), the matching total it
    reports (None: it did not say, or said nonsense), the page size it applied, and whether it called this page
    the last."""

    results: tuple[TaskResult, ...]
    total: int | None
    page_size: int
    last: bool = False


def listed_tasks(container: Mapping[str, Any], key: str, what: str, id_key: str) -> list[dict[str, Any]]:
    """The task objects a page of a listing holds under ``key`` (none when it is absent or null), each with an id
    under ``id_key`` (text or a whole number): a task without one could be neither told apart nor asked for."""
    items = container.get(key)
    if items is None:
        return []
    hint = "the service may not speak this API version; --debug shows its answer"
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise ResponseError(f"{what}: `{key}` is not a list of task objects", hint)
    for position, item in enumerate(items):
        task_id = item.get(id_key)
        if isinstance(task_id, bool) or not isinstance(task_id, str | int) or task_id == "":
            raise ResponseError(f"{what}: task {position + 1} of the page has no usable `{id_key}`", hint)
    return items


def reported_total(value: Any) -> int | None:
    """A page's count of matching tasks as the service reports it; None when it says nothing usable."""
    from taskctl.jsonio import as_int

    total = as_int(value)
    return total if total is not None and total >= 0 else None


class Lister(Protocol):
    """A fetcher that can also list tasks (a provider whose spec says ``lists``)."""

    def pages(self, query: ListQuery) -> Iterator[ListPage]:
        """The pages of the listing, newest tasks first, requested one at a time as they are asked for (the caller
        decides when to stop; the iterator may go on forever)."""
        ...

    def accepts(self, query: ListQuery, result: TaskResult) -> bool:
        """Whether a listed task matches what the service could not filter on (states aside: the caller checks)."""
        ...


class ProviderModule(Protocol):
    NAME: str

    def parse_task_id(self, text: str) -> str:
        """Validate one TASK_ID argument; raise UsageError when it cannot be a task id."""
        ...

    def make_fetcher(self, profile: Profile, secret: Secret, client: HttpClient, options: FetchOptions,
                     environ: Mapping[str, str]) -> Fetcher: ...


class SessionTokens(Protocol):
    """The module a provider names in ``ProviderSpec.sessions``: its kept session token, for `auth`."""

    def forget(self, profile: Profile, environ: Mapping[str, str]) -> bool:
        """Remove the kept token; False when there was none."""
        ...

    def expiry(self, profile: Profile, environ: Mapping[str, str]) -> datetime | None:
        """When the kept token expires; None when none is kept (or it is due)."""
        ...


def session_tokens(profile: Profile) -> SessionTokens | None:
    """The provider's kept session tokens, when it keeps any for profiles like this one."""
    import importlib

    from taskctl import providers
    from taskctl.providers.spec import SecretKind

    spec = providers.get(profile.provider)
    if not spec.sessions or spec.secret_kind(profile.settings, profile.auth) is not SecretKind.PASSWORD:
        return None
    return cast("SessionTokens", importlib.import_module(spec.sessions))


MAX_JSON_DEPTH = 100  # no API answer nests deeper; renderers recurse, so deeper input must stop here


def mapped_error(rules: str, what: str, status: int, profile: Profile, **facts: Any) -> TaskctlError:
    """The error for a failed answer, by the rows of the provider's table (``RULES`` of the module named by
    ``rules``; "" for none) and the shared defaults. The tables load only once an answer has failed."""
    import importlib

    from taskctl.http.client import RETRY_STATUSES, retried, retries_of_last_request
    from taskctl.providers.error_rules import NO_RULES, Failure, error_for

    table = importlib.import_module(rules).RULES if rules else NO_RULES
    error = error_for(Failure(what, status, profile, **facts), table)
    # The answer a request ended with after its retries (this thread's last request): say they were made.
    return retried(error, retries_of_last_request()) if status in RETRY_STATUSES else error


def decode_json(response: requests.Response, what: str, profile: Profile, *, rules: str = "",
                request_id: str | None = None) -> Any:
    """The response body as JSON (numbers kept exact), or the error that says what came instead.

    A 404 that is not JSON comes from something in front of the API, not from it: a ConfigError (wrong endpoint).
    """
    try:
        return _decode_json(response)
    except _NotJson as error:
        host = response.url.split("/")[2].rsplit("@", 1)[-1] if "://" in response.url else response.url
        raise mapped_error(rules, what, response.status_code, profile, request_id=request_id, host=host,
                           got=str(error)) from None


def _decode_json(response: requests.Response) -> Any:
    text = _body_text(response)
    content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    stripped = text.lstrip()
    if content_type == "text/html" or stripped[:1] == "<":
        raise _NotJson("an HTML page (a gateway or proxy error?)")
    if not stripped:
        raise _NotJson("an empty body")
    try:
        value = jsonio.loads(text)
    except json.JSONDecodeError as exc:
        if exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated string"):
            raise _NotJson("truncated JSON (the answer ends mid-document)") from None
        problem = exc.msg.removesuffix(" at")
        raise _NotJson(f"invalid JSON ({problem} at line {exc.lineno})") from None
    except RecursionError:
        raise _NotJson(f"JSON nested more than {MAX_JSON_DEPTH} levels deep") from None
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        raise _NotJson(f"JSON taskctl cannot read ({str(exc).split(';')[0]})") from None
    if _depth_exceeds(value, MAX_JSON_DEPTH):
        raise _NotJson(f"JSON nested more than {MAX_JSON_DEPTH} levels deep")
    return value


class _NotJson(Exception):  # not a TaskctlError: decode_json turns it into the error a user meets
    """The body is not JSON; the argument says what it is instead."""


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


SHOWN_ID_LENGTH = 40  # an invalid id is quoted up to this many characters (a 100 KB one is not echoed whole)


def shown_id(text: str) -> str:
    """An invalid id as an error quotes it: ``repr`` (controls visible), cut to its first characters when long."""
    if len(text) <= SHOWN_ID_LENGTH:
        return repr(text)
    return f"{text[:SHOWN_ID_LENGTH]!r}… ({len(text):,} characters)"


def parse_opaque_id(provider: str, text: str, max_length: int = 128) -> str:
    """Validate an opaque string task id: non-empty, printable, of a sane length."""
    # "." and ".." would be normalized away as path segments and name another resource.
    if not text.strip() or len(text) > max_length or not text.isprintable() or text in (".", ".."):
        raise UsageError(f"invalid {provider} task id {shown_id(text)}: expected a printable id of 1 to "
                         f"{max_length} characters")
    return text
