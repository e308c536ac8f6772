"""Huawei Cloud ModelArts data-processing tasks (IAM token or AK/SK): its spec."""

from typing import NamedTuple

from taskctl.providers.spec import CliOption, CommandHelp, ProfileKey, ProviderSpec

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
    profile_keys=(ProfileKey("project_id"), ProfileKey("access_key")),
    options=ModelArtsOptions,
    cli_options=(CliOption("project_id", "--project-id", "ID",
                           "Project of the tasks (default: the profile's project_id).",
                           commands=frozenset({"get", "watch", "download", "list"})),),
    secret_headers=frozenset({"x-auth-token", "x-security-token"}),
    signing_key="access_key",
    sandbox_settings={"project_id": SANDBOX_PROJECT_ID},
    lists=True,
)
