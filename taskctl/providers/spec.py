"""What a provider declares about itself, as data: the registry, config, CLI, secrets and sandbox read it.

A provider's ``__init__.py`` builds one ``ProviderSpec`` named ``SPEC``. It must stay light (this module and
the standard library only): every start-up reads it, ``--help`` included, so these are NamedTuples (creating a
dataclass costs ten times more). The code that talks to the service
lives in the module named by ``client`` and is imported only when a command needs it.
"""

from collections.abc import Callable, Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Any, NamedTuple


class SecretKind(StrEnum):
    """What the profile's secret is: a token sent as is, or the secret key of an AK/SK pair (signing)."""

    TOKEN = "token"
    SECRET_KEY = "secret_key"
    PASSWORD = "password"  # a login password the provider trades for a session token (``auth: password``)

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


class ProfileKey(NamedTuple):
    """A key a profile of this provider may set. ``types`` are the YAML types accepted; ``convert`` turns the
    accepted value into the one the client reads; ``check`` returns a problem (a sentence) or None, and a hint."""

    name: str
    types: tuple[type, ...] = (str,)
    default: Any = None
    convert: Callable[[Any], Any] | None = None
    check: Callable[[Any], tuple[str, str] | None] | None = None


class EndpointFrom(NamedTuple):
    """A profile key that implies the endpoint when ``endpoint`` is not set (an explicit endpoint wins).
    ``check`` returns a problem and a hint when the key's value implies no endpoint (a value taskctl does not know)."""

    key: str
    url: Callable[[Any], str]
    check: Callable[[Any], tuple[str, str] | None] | None = None


ProfileCheck = Callable[[Mapping[str, Any], "str | None"], "tuple[str, str, str | None] | None"]
"""A check of a whole profile (its provider settings and its ``auth``): None, or the key at fault, the problem and
a hint."""


class CliOption(NamedTuple):
    """A provider-specific command-line option; ``name`` is the field of the provider's options dataclass."""

    name: str
    flag: str
    metavar: str
    help: str
    envvar: str | None = None
    commands: frozenset[str] = frozenset({"get", "watch", "download"})


FetchOptions = tuple
"""A provider's typed command-line options: a NamedTuple of its own (``ProviderSpec.options``), each field None
when not given on the command line."""


class NoOptions(NamedTuple):
    """The options of a provider that has none."""


class CommandHelp(NamedTuple):
    """The help text of a provider's commands (each ends with an example the sandbox answers)."""

    get: str
    watch: str
    download: str = ""
    preview: str = ""
    list: str = ""

    @property
    def example(self) -> str:
        """The `get` example, for the root command's help."""
        return self.get.rsplit("Example: ", 1)[-1]


class ProviderSpec(NamedTuple):
    name: str
    summary: str
    client: str  # module with parse_task_id(text) and make_fetcher(profile, secret, client, options, environ)
    emulator: str  # "module:Class" of its sandbox API (see taskctl.sandbox.server.ProviderApi)
    help: CommandHelp
    profile_keys: tuple[ProfileKey, ...] = ()
    options: type[Any] = NoOptions  # a NamedTuple class (a provider without options: NoOptions)
    cli_options: tuple[CliOption, ...] = ()
    secret_headers: frozenset[str] = frozenset()  # lower-case header names that carry secrets
    secret_fields: frozenset[str] = frozenset()  # JSON keys whose string values are secrets
    secret_header_key: str | None = None  # a profile key that names one more secret header
    signing_key: str | None = None  # a profile key whose presence makes the secret a secret key (AK/SK)
    sandbox_settings: Mapping[str, str] = MappingProxyType({})  # keys of the built-in sandbox profile
    sandbox_mounts: tuple[str, ...] = ()  # first path segments its emulator serves beside /<name>
    sandbox_storage_mounts: tuple[str, ...] = ()  # first path segments it serves on the sandbox's storage host
    sandbox_profiles: Mapping[str, tuple[str, Mapping[str, str]]] = MappingProxyType({})  # more profiles for
    # `taskctl sandbox` to print, without a token: "local-<name>-<key>" -> (a comment, its keys); "{base_url}" in
    # a value is the sandbox's
    downloads: bool = False  # its fetcher offers the files of a task (taskctl.providers.files.FileSource)
    download_inputs: bool = False  # ... and the task's input files too (`download --inputs`)
    previews: bool = False  # its fetcher offers a task's thumbnails (taskctl.providers.thumbnails.ThumbnailSource)
    endpoint_from: EndpointFrom | None = None  # a key that stands for the endpoint
    check_profile: ProfileCheck | None = None  # rules across keys (one key requires another)
    auth_methods: frozenset[str] = frozenset()  # values of a profile's `auth:` (SecretKind values)
    env_secret: str = ""  # "module:function" (environ, profile) -> Secret | None: what the provider accepts besides
    # taskctl's own secrets, tried after them ($TASKCTL_*, the file, the keyring): its own tools' credentials in
    # the environment, a session token it keeps
    sessions: str = ""  # module of a provider that trades the secret for a kept session token: forget(profile,
    # environ) -> bool and expiry(profile, environ) -> datetime | None (taskctl.providers.base.SessionTokens)
    lists: bool = False  # its fetcher lists tasks (taskctl.providers.base.Lister); its client has parse_list_types
    probe_task_id: str = ""  # a provider that cannot list: an id no task has, whose "not found" answer
    # proves the secret was accepted (`auth status --check`)

    def key(self, name: str) -> ProfileKey | None:
        return next((key for key in self.profile_keys if key.name == name), None)

    def secret_kind(self, settings: Mapping[str, Any], auth: str | None = None) -> SecretKind:
        if auth in self.auth_methods:
            return SecretKind(auth)
        return SecretKind.SECRET_KEY if self.signing_key and settings.get(self.signing_key) else SecretKind.TOKEN

    def secret_header_names(self, settings: Mapping[str, Any]) -> frozenset[str]:
        named = settings.get(self.secret_header_key) if self.secret_header_key else None
        return self.secret_headers | {named.lower()} if isinstance(named, str) else self.secret_headers

    def options_for(self, command: str) -> tuple[CliOption, ...]:
        return tuple(option for option in self.cli_options if command in option.commands)
