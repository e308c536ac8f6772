"""How KooDrive's error answers map onto exit codes (KooDrive API reference, "Error Codes")."""

from __future__ import annotations

from taskctl.errors import AuthError, NotFoundError, RateLimitError, ServiceError, UsageError
from taskctl.providers.error_rules import Rule, Rules

CHECK_TOKEN = "check the token of profile '{profile}' (taskctl auth status)"
CHECK_ARGUMENTS = "check the task id, --share-id and --kdstoken"
CHECK_IDS = "check the task id and the share id"

RULES = Rules((
    Rule(UsageError, CHECK_ARGUMENTS, code=13000102),  # Verify parameters failed.
    Rule(NotFoundError, CHECK_IDS, code=13000301),  # Space does not exist or is abnormal.
    Rule(NotFoundError, CHECK_IDS, code=13000309),  # Resource does not exist.
    # The current user has no permission for the space: the token's fault under 401/403, else the share's lock.
    Rule(AuthError, CHECK_TOKEN, code=13000410, status=(401, 403)),
    Rule(AuthError, "this share may need a (valid) --kdstoken", code=13000410),
    Rule(AuthError, CHECK_TOKEN, status=(401, 403)),
    Rule(UsageError, CHECK_ARGUMENTS, status=400),
    Rule(RateLimitError, None, status=429),
    Rule(ServiceError, "retry later; if it persists, contact KooDrive support"),  # a 404 with any other code too
))
