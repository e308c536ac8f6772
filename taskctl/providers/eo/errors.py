"""How EO's error answers map onto exit codes (rows checked before the shared defaults)."""

from __future__ import annotations

from taskctl.errors import AuthError, NotFoundError, RateLimitError, ServiceError, UsageError
from taskctl.providers.error_rules import (
    CHECK_ARGUMENTS,
    CHECK_CREDENTIALS,
    CHECK_ID,
    NO_PERMISSION,
    RATE_LIMITED,
    RETRY_LATER,
    Failure,
    Rule,
    Rules,
)


def _numeric_code(failure: Failure) -> bool:
    return failure.number is not None


# EO's body `code` repeats an HTTP status (even under HTTP 200), and decides over the answer's own status;
# only a 429 is judged by the status, as the HTTP layer has already waited and retried for it.
RULES = Rules((
    Rule(RateLimitError, RATE_LIMITED, status=429),
    Rule(AuthError, CHECK_CREDENTIALS, code=401),
    Rule(AuthError, NO_PERMISSION, code=403),
    Rule(NotFoundError, CHECK_ID, code=404),
    Rule(UsageError, CHECK_ARGUMENTS, code=400),
    Rule(ServiceError, RETRY_LATER, when=_numeric_code),  # any other code, whatever the status
    Rule(NotFoundError, CHECK_ID, status=404),  # it carries `code`, so it is EO's own 404 (no gateway's)
))
