"""The Earth-observation imagery processing platform (band merging, NDVI, ...): its spec."""

from taskctl.providers.spec import CommandHelp, ProfileKey, ProviderSpec


def _check_header_name(value: str) -> tuple[str, str] | None:
    from taskctl.headers import HEADER_NAME  # only once a profile sets the key: start-up stays light

    if HEADER_NAME.fullmatch(value):
        return None
    # A pasted "Authorization: <token>": what follows the colon is shown as "…", never quoted.
    name, colon, _rest = value.partition(":")
    shown = repr(name) if len(repr(name)) <= 80 else repr(name)[:77] + "..."
    after = " followed by ':…'" if colon else ""
    return (f"{shown}{after} is not a valid HTTP header name",
            "use a header name such as Authorization or X-API-Key (the name alone)")


SPEC = ProviderSpec(
    name="eo",
    summary="Earth-observation imagery processing tasks (band merging, NDVI, ...).",
    client="taskctl.providers.eo.client",
    emulator="taskctl.providers.eo.emulator:EoApi",
    help=CommandHelp(
        get="Show one or more EO tasks by id.\n\nExample: taskctl eo get 702 --profile sandbox",
        watch="Wait for one or more EO tasks to end, then show them: exit 0 published, 7 failed, 8 --timeout\n"
              "passed.\n\nExample: taskctl eo watch 710 711 --profile sandbox --interval 1",
        download="Download the output file of a published EO task (--inputs: its input files too); print each "
                 "path written.\n\n"
                 "Links come from the file-URL API just before each download and carry no credential; an expired "
                 "one is\nasked for again once. An interrupted download resumes when run again; with --wait, a "
                 "task still\nprocessing is watched first (exit 7 if it fails, 8 when --timeout passes).\n\n"
                 "Example: taskctl eo download 703 --profile sandbox --dest /tmp",
        preview="Show the thumbnail of an EO task's output (or of an input: --input NAME) in the terminal.\n\n"
                "kitty, iTerm2 and sixel terminals get the image itself, others a colour half-block drawing. "
                "Not on a\nterminal, --save PATH or --open is needed.\n\n"
                "Example: taskctl eo preview 703 --profile sandbox",
        list="List EO tasks, newest first: --state and --type filter, --name searches.\n\n"
             "Types: a number or a name (1 Imagery Fusion, 2 Imagery Mosaicking, 3 Clip, 4 Cloud Removal,\n"
             "6 Band Merging, 7 NDVI, 8 EVI, 9 NDWI, 10 NDBI, 11 BAI).\n\n"
             "Example: taskctl eo list --state running --type ndvi --profile sandbox"),
    profile_keys=(ProfileKey("auth_header", default="Authorization", check=_check_header_name),),
    secret_header_key="auth_header",
    sandbox_storage_mounts=("eo-storage",),  # the stand-in for the blob storage of files and thumbnails
    downloads=True,
    download_inputs=True,
    previews=True,
    lists=True,
)
