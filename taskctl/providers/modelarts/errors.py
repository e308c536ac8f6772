"""How ModelArts' error answers map onto exit codes: by HTTP status; its codes ("ModelArts.4352") name
themselves in the message, with the request id its support asks for."""

from __future__ import annotations

from taskctl.errors import AuthError, NotFoundError, RateLimitError, ServiceError, UsageError
from taskctl.providers.error_rules import GIVE_REQUEST_ID, RATE_LIMITED, Failure, Rule, Rules

CHECK_IDS = "check the task id and the project id"


def _signs(failure: Failure) -> bool:
    """An AK/SK profile: the secret key (or the access key) was refused, not a token."""
    return bool(failure.profile.settings.get("access_key"))


def uses_password(failure: Failure) -> bool:
    return failure.profile.auth == "password"


def _builtin_sandbox(failure: Failure) -> bool:
    return failure.profile.builtin_sandbox


def _listing(failure: Failure) -> bool:
    """A page of `list`: there is no task id to check, only the project."""
    return failure.what.startswith("modelarts task list")


RULES = Rules((
    Rule(AuthError, "the credentials were accepted but lack permission for this task or project; ask the "
                    "project's administrator", status=403),
    Rule(AuthError, "check the access key and secret key (taskctl auth status)", status=401, when=_signs),
    Rule(AuthError, "ModelArts refused a new IAM token too: check that the IAM user of profile '{profile}' may "
                    "use ModelArts in this project (IAM permissions)", status=401, when=uses_password),
    Rule(AuthError, None, status=401, when=_builtin_sandbox),  # its token cannot expire: nothing to advise
    Rule(AuthError, "the IAM token may have expired (they last 24 h): get a new one into $TASKCTL_TOKEN or run: "
                    "taskctl auth login {profile}", status=401),
    Rule(NotFoundError, "check the project id (--project-id, `project_id:`, or the project of `region:`)",
         status=404, when=_listing),
    Rule(NotFoundError, CHECK_IDS, status=404),
    Rule(UsageError, CHECK_IDS, status=400),
    Rule(RateLimitError, RATE_LIMITED, status=429),
    Rule(ServiceError, GIVE_REQUEST_ID),  # 5xx, and any other status
), code_label="{code}")
