"""A fourth provider, defined entirely here: "jobq", a small generic async-task API.

    GET {endpoint}/v1/jobs/{id}   X-Jobq-Key: <token>   ->   {"id", "name", "state", "progress", "created_at"}

It proves that a provider is one folder: its spec (this file), client and emulator, registered with one line
(``taskctl.providers.register("fourth_provider")``), with no change to any file under ``taskctl/``.
"""

from typing import NamedTuple

from taskctl.providers.spec import CliOption, CommandHelp, ProfileKey, ProviderSpec

SANDBOX_QUEUE = "default"


class JobqOptions(NamedTuple):
    queue: str | None = None


SPEC = ProviderSpec(
    name="jobq",
    summary="Jobq async jobs (a test provider).",
    client="fourth_provider.client",
    emulator="fourth_provider.emulator:JobqApi",
    help=CommandHelp(get="Show one or more jobq jobs by id.\n\nExample: taskctl jobq get job-done --profile sandbox",
                     watch="Wait for a jobq job to end.\n\nExample: taskctl jobq watch job-advancing -p sandbox"),
    profile_keys=(ProfileKey("queue"), ProfileKey("api_key_header", default="X-Jobq-Key")),
    options=JobqOptions,
    cli_options=(CliOption("queue", "--queue", "NAME", "Queue of the jobs (default: the profile's queue)."),),
    secret_header_key="api_key_header",
    sandbox_settings={"queue": SANDBOX_QUEUE},
)
