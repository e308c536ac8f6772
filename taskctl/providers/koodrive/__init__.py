"""Huawei KooDrive share batch tasks (progress, download package): its spec."""

from typing import NamedTuple

from taskctl.providers.spec import CliOption, CommandHelp, ProfileKey, ProviderSpec

SANDBOX_SHARE_ID: str = "sandbox-share"
"""The KooDrive share holding the seed tasks."""

SANDBOX_LOCKED_SHARE_ID: str = "sandbox-locked-share"
"""A KooDrive share that also requires ``"kdstoken": SANDBOX_KDSTOKEN`` in the body."""

SANDBOX_KDSTOKEN: str = "sandbox-kdstoken"
"""The ``kdstoken`` the locked share accepts."""


class KooDriveOptions(NamedTuple):
    share_id: str | None = None
    kdstoken: str | None = None
    trace_id: str | None = None


SPEC = ProviderSpec(
    name="koodrive",
    summary="Huawei KooDrive share batch tasks (progress, download package).",
    client="taskctl.providers.koodrive.client",
    emulator="taskctl.providers.koodrive.emulator:KooDriveApi",
    help=CommandHelp(
        get="Show one or more KooDrive share tasks by id.\n\n"
            "Example: taskctl koodrive get task-running --profile sandbox",
        watch="Wait for one or more KooDrive share tasks to end, then show them: exit 0 done,\n"
              "7 partial/failed/canceled, "
              "8 --timeout passed.\n\nExample: taskctl koodrive watch task-advancing --profile sandbox --interval 1",
        download="Download the package of a finished KooDrive task; print the path written.\n\n"
                 "An interrupted download resumes when run again, if the storage host names the file's version "
                 "(ETag or\nLast-Modified); a file that changed meanwhile is downloaded again whole. With --wait, "
                 "an unfinished task\nis watched first (--interval, --timeout as for `watch`; exit 8 when the "
                 "timeout passes first).\n\n"
                 "Example: taskctl koodrive download task-done --profile sandbox --dest /tmp"),
    profile_keys=(ProfileKey("share_id", (str, int), convert=str),),
    options=KooDriveOptions,
    cli_options=(
        CliOption("share_id", "--share-id", "ID", "Share the tasks belong to (default: the profile's share_id)."),
        CliOption("kdstoken", "--kdstoken", "TOKEN", "Temporary share token, for shares that require one (the "
                  "variable keeps it out of `ps` and shell history).", envvar="TASKCTL_KDSTOKEN"),
        CliOption("trace_id", "--trace-id", "ID", "Send this X-Traceid header (for KooDrive support).",
                  commands=frozenset({"get", "watch"})),
    ),
    secret_fields=frozenset({"kdstoken"}),
    sandbox_settings={"share_id": SANDBOX_SHARE_ID},
    sandbox_mounts=("downloads",),  # the stand-in for KooDrive's pre-signed package URLs
    downloads=True,
    probe_task_id="taskctl-auth-check",  # no task has it: `auth status --check` asks for it
)
