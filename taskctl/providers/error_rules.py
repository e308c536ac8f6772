"""One error mapper: the facts of a failed answer, checked against rule tables, give one finished TaskctlError.

A provider declares its rows (``Rules``) in its own folder; ``error_for`` checks them in order, then the shared
``DEFAULTS``; the first row that matches decides the error class, the message and the hint. Errors are built
once, with their final text: nothing edits them afterwards.
"""

from __future__ import annotations

from collections.abc import Callable, Container
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

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
from taskctl.jsonio import code_number, describe_value

if TYPE_CHECKING:
    from taskctl.config import Profile


@dataclass(frozen=True)
class Failure:
    """What is known about one failed answer; ``got`` set means it is not the API's own error answer."""

    what: str  # the task it was about: "<provider> task 7"
    status: int  # the HTTP status
    profile: Profile
    code: Any = None  # the body's error code as sent (None: it has none)
    text: str = ""  # the service's own message
    request_id: str | None = None  # the service's id of this request, for its support
    host: str = ""  # who answered
    got: str | None = None  # not the API's own answer: what came instead ("an HTML page ...")

    @property
    def foreign(self) -> bool:
        return self.got is not None

    @property
    def number(self) -> int | None:
        """The body's code as a number (None when it is none, or a name such as "APIGW.0101")."""
        return code_number(self.code)


@dataclass(frozen=True)
class Rule:
    """One row: when every condition given holds, the answer becomes ``error`` with this message and hint.

    Templates may name {what}, {status}, {code}, {host}, {got}, {provider}, {profile}, {endpoint}, and (in a
    message) {detail}: the API's own words, "error 404 (HTTP 404): no such task".
    """

    error: type[TaskctlError]
    hint: str | None = None
    status: int | Container[int] | None = None  # the HTTP status, or any of several
    code: int | None = None  # the body's code, read as a number
    code_prefix: str | None = None  # the body's code starts with this (letter case aside)
    when: Callable[[Failure], bool] | None = None
    foreign: bool = False  # True: a row about answers that are not the API's own
    message: str = "{what}: {detail}"

    def matches(self, failure: Failure) -> bool:
        status = self.status
        return (failure.foreign == self.foreign
                and (status is None or (failure.status == status if isinstance(status, int)
                                        else failure.status in status))
                and (self.code is None or failure.number == self.code)
                and (self.code_prefix is None or (isinstance(failure.code, str)
                                                  and failure.code.upper().startswith(self.code_prefix.upper())))
                and (self.when is None or self.when(failure)))


@dataclass(frozen=True)
class Rules:
    """One provider's rows, checked before the defaults, and how its messages name an error code."""

    rows: tuple[Rule, ...] = ()
    code_label: str = "error {code}"  # "{code}" for codes that name themselves ("Service.0103")


RATE_LIMITED = "wait a minute and try again; fetch fewer ids at once"
CHECK_CREDENTIALS = "check the credentials of profile '{profile}': taskctl auth status"
NO_PERMISSION = ("the credentials of profile '{profile}' were accepted but may not see this task; check its "
                 "project and your permissions")
CHECK_ID = "check the id, and that profile '{profile}' points at the right service ({endpoint})"
CHECK_ARGUMENTS = "check the task id and options"
RETRY_LATER = "retry later; if it persists, contact the service's support"
GIVE_REQUEST_ID = "retry later; if it persists, give the request id to support"
WRONG_ENDPOINT = "{what}: HTTP 404 with {got}, not the {provider} API's own answer: the endpoint looks wrong"
CHECK_ENDPOINT = "check `endpoint:` of profile '{profile}' ({endpoint})"

GATEWAY_PREFIX = "APIGW"  # an API gateway's own codes (Huawei Cloud APIG: APIGW.0101 "The API does not exist")


def is_gateway_code(code: Any) -> bool:
    return isinstance(code, str) and code.upper().startswith(GATEWAY_PREFIX)


DEFAULTS = (
    # Answers that are not the API's own: not JSON at all, or a 404 from something in front of the API.
    Rule(ConfigError, CHECK_ENDPOINT, status=404, foreign=True, message=WRONG_ENDPOINT),
    Rule(AuthError, "check the token: taskctl auth status", status=(401, 403), foreign=True,
         message="{host} refused the credentials (HTTP {status}) for {what}"),
    Rule(RateLimitError, RATE_LIMITED, status=429, foreign=True,
         message="{what}: {host} is rate limiting requests (HTTP 429), still after retries"),
    Rule(ResponseError, "retry later; if it persists, check the profile's endpoint", foreign=True,
         message="{what}: HTTP {status} from {host} with {got}, not the API's JSON"),
    # The API's own error answers, by HTTP status.
    Rule(RateLimitError, RATE_LIMITED, status=429),
    Rule(AuthError, CHECK_CREDENTIALS, status=401),
    Rule(AuthError, NO_PERMISSION, status=403),
    Rule(ConfigError, CHECK_ENDPOINT, status=404, code_prefix=GATEWAY_PREFIX,  # no API at that path
         message="{what}: HTTP 404 with the API gateway's error {code}, not the {provider} API's own answer: "
                 "the endpoint looks wrong"),
    Rule(NotFoundError, CHECK_ID, status=404),
    Rule(UsageError, CHECK_ARGUMENTS, status=400),
    Rule(ServiceError, RETRY_LATER),  # 5xx, and any other status or code
)


NO_RULES = Rules()  # a provider that the defaults serve as they are


def error_for(failure: Failure, rules: Rules = NO_RULES) -> TaskctlError:
    """The error for a failed answer: the first matching row of the provider's, then of the defaults."""
    rule = next(row for row in (*rules.rows, *DEFAULTS) if row.matches(failure))
    fields = _fields(failure, rules)
    message = rule.message.format_map(fields)
    hint = rule.hint.format_map(fields) if rule.hint is not None else None
    if hint == GIVE_REQUEST_ID and not failure.request_id:  # no id to give: the service did not send one
        hint = RETRY_LATER
    if failure.foreign and failure.request_id:  # the one thing the service's support can trace
        message, hint = f"{message} (request id {failure.request_id})", GIVE_REQUEST_ID
    return rule.error(message, hint)


def _fields(failure: Failure, rules: Rules) -> dict[str, str]:
    profile, code = failure.profile, describe_value(failure.code)
    detail = (rules.code_label.format(code=code) or "error") + f" (HTTP {failure.status}"
    detail += (f", request id {failure.request_id})" if failure.request_id else ")")
    detail += f": {failure.text}" if failure.text else ""
    return {"what": failure.what, "status": str(failure.status), "code": code, "host": failure.host,
            "got": failure.got or "", "provider": profile.provider, "profile": profile.name,
            "endpoint": profile.endpoint, "detail": detail}
