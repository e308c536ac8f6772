"""How IAM's refusals map onto exit codes, with IAM's own message (its codes and texts are not documented: the
hints key on what the message says)."""

from __future__ import annotations

from taskctl.errors import AuthError, ConfigError
from taskctl.providers.error_rules import Failure, Rule, Rules
from taskctl.providers.modelarts.errors import uses_password

RELOGIN = ("check `domain:` and `username:` of profile '{profile}' and its password "
           "(taskctl auth login {profile}, or $TASKCTL_PASSWORD)")


def _says(*words: str):  # type: ignore[no-untyped-def]
    def check(failure: Failure) -> bool:
        text = failure.text.lower()
        return any(word in text for word in words)

    return check


RULES = Rules((
    Rule(AuthError, "taskctl cannot answer an MFA challenge: give this profile an access key (AK/SK) instead, "
                    "or use an IAM user without login protection", status=(401, 403), when=_says("mfa", "totp")),
    Rule(AuthError, "wait until IAM unlocks the user, or ask the account's administrator to unlock it",
         status=(401, 403), when=_says("locked")),
    Rule(AuthError, RELOGIN, status=401, when=uses_password),
    Rule(AuthError, "check the credentials of profile '{profile}' (a token expires after 24 h): taskctl auth status",
         status=401),
    Rule(AuthError, "the IAM user may not list projects: set `project_id:` in profile '{profile}' (the console's "
                    "My Credentials page lists them)", status=403),
    Rule(ConfigError, "check `region:`, `project_id:` and `iam_endpoint:` of profile '{profile}'", status=400),
    Rule(ConfigError, "check `iam_endpoint:` of profile '{profile}' ({endpoint})", status=404),
), code_label="{code}")
