"""Huawei Cloud ModelArts data-processing tasks (IAM token or AK/SK): its spec."""

from collections.abc import Mapping
from typing import Any, NamedTuple

from taskctl.providers.modelarts.regions import check_region, check_region_name, modelarts_endpoint
from taskctl.providers.spec import CliOption, CommandHelp, EndpointFrom, ProfileKey, ProviderSpec

SANDBOX_PROJECT_ID: str = "sandbox-project"
"""The only ModelArts project id the sandbox knows."""

SANDBOX_ACCESS_KEY: str = "SANDBOXACCESSKEY0001"
"""The ModelArts AK (permanent credentials) whose secret key is ``SANDBOX_SECRET_KEY``."""

SANDBOX_SECRET_KEY: str = "sandbox-secret-key-0001"
"""The secret key of both sandbox AKs."""

SANDBOX_TEMP_ACCESS_KEY: str = "SANDBOXTEMPKEY0002"
"""The ModelArts temporary AK: valid only with ``X-Security-Token: SANDBOX_SECURITY_TOKEN``."""

SANDBOX_SECURITY_TOKEN: str = (
    "gQpzYW5kYm94LXNlY3VyaXR5LXRva2VuLXRlbXBvcmFyeS1jcmVkZW50aWFscy1mb3ItdGFza2N0bC1zYW5kYm94"
    "LW5vdC1hLXJlYWwtc2VjcmV0LTAwMDIuZXhwaXJlcy1uZXZlci5zYW5kYm94LXRlbXAta2V5LTAwMDIuZmFrZQ=="
)
"""The security token that goes with ``SANDBOX_TEMP_ACCESS_KEY`` (fake, but as long as a real one)."""


def _check_url(value: str) -> tuple[str, str] | None:
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or "@" in parts.netloc:
        return "expected an http(s) URL like https://iam.cn-north-4.myhuaweicloud.com", "or leave it out"
    return None


def _check_profile(settings: Mapping[str, Any], auth: str | None) -> tuple[str, str, str | None] | None:
    """`auth: password` needs the account (domain) and the IAM user name; it signs nothing."""
    if auth != "password":
        return None
    for key, what in (("domain", "the account (domain) name"), ("username", "the IAM user name")):
        if not settings.get(key):
            return "auth", f"`auth: password` needs `{key}:` ({what})", None
    if settings.get("access_key"):
        return "access_key", "`auth: password` and `access_key` exclude each other", "keep one of them"
    return None


class ModelArtsOptions(NamedTuple):
    project_id: str | None = None


SPEC = ProviderSpec(
    name="modelarts",
    summary="Huawei Cloud ModelArts data-processing tasks (feature analysis, cleansing, ...).",
    client="taskctl.providers.modelarts.client",
    emulator="taskctl.providers.modelarts.emulator:ModelArtsApi",
    help=CommandHelp(
        get="Show one or more ModelArts processing tasks by id.\n\n"
            "Example: taskctl modelarts get AcYfsdfhGyrWL5TtahH --profile sandbox",
        watch="Wait for one or more ModelArts processing tasks to end, then show them: exit 0 succeeded,\n"
              "7 failed/canceled, "
              "8 --timeout passed.\n\nExample: taskctl modelarts watch task-advancing --profile sandbox --interval 1",
        list="List ModelArts processing tasks, newest first: --state and --type filter, --name searches names.\n\n"
             "Types: a template id or its short name (analyse, cleaning, augmentation, validation, selection).\n\n"
             "Example: taskctl modelarts list --state failed --profile sandbox"),
    profile_keys=(ProfileKey("project_id"), ProfileKey("access_key"), ProfileKey("region", check=check_region_name),
                  ProfileKey("iam_endpoint", check=_check_url, convert=lambda url: url.rstrip("/")),
                  ProfileKey("domain"), ProfileKey("username")),
    options=ModelArtsOptions,
    cli_options=(CliOption("project_id", "--project-id", "ID",
                           "Project of the tasks (default: the profile's project_id).",
                           commands=frozenset({"get", "watch", "download", "list"})),),
    secret_headers=frozenset({"x-auth-token", "x-security-token", "x-subject-token"}),
    signing_key="access_key",
    sandbox_settings={"project_id": SANDBOX_PROJECT_ID},
    sandbox_mounts=("iam",),  # its IAM: tokens for a password, projects of a region
    sandbox_profiles={"password": (
        "an IAM user's password (sandbox-password: $TASKCTL_PASSWORD or taskctl auth login), traded for a token",
        {"region": "cn-north-4", "iam_endpoint": "{base_url}/iam", "auth": "password", "domain": "sandbox-account",
         "username": "sandbox-user"})},
    endpoint_from=EndpointFrom("region", modelarts_endpoint, check_region),
    check_profile=_check_profile,
    auth_methods=frozenset({"password"}),
    env_secret="taskctl.providers.modelarts.credentials:fallback_secret",
    sessions="taskctl.providers.modelarts.session",
    lists=True,
)
