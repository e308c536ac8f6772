"""AppContext: the streams, clocks, settings and lazily built services one invocation shares.

The root Typer callback builds one into ``ctx.obj`` (``cli.boundary.new_context``); tests can build one by hand.
Commands read the environment, standard input, the time and the sleep from here, never from ``os``, ``sys`` or
``time``: a test hands in a fake clock and a watch of minutes takes milliseconds.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, TextIO

from taskctl.config import Profile, ProfileStore, default_config_path
from taskctl.errors import TaskctlError
from taskctl.render.safe import inert
from taskctl.secrets import Secret, SecretResolver

if TYPE_CHECKING:
    from datetime import datetime

    from rich.console import Console

    from taskctl.http import HttpClient, Redactor
    from taskctl.model import TaskResult
    from taskctl.providers.base import Fetcher, FetchOptions
    from taskctl.sandbox import RunningSandbox


PIPE_WIDTH = 10_000  # piped without $COLUMNS: nothing wraps (tables and trees are not expanded)
RICH_TERMINAL_VARIABLES = ("COLUMNS", "FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE")
"""What makes rich treat a stream as a terminal (or lay out at another width) whatever isatty says."""


class _SysStdin:
    """AppContext's stdin when none is given: sys.stdin at that time (None means that stdin is closed)."""


SYS_STDIN = _SysStdin()

ErrorReporter = Callable[["AppContext", TaskctlError], None]
"""Shows an error that does not end the command (one task of several, a watch's verdict): the CLI boundary's."""


def wall_clock() -> datetime:
    """Now, in UTC (for ages such as "3 min ago")."""
    from datetime import UTC, datetime

    return datetime.now(UTC)


class Connection(NamedTuple):
    """A profile ready to use: its secret, an HTTP client bound to its policy, and the provider's fetcher."""

    profile: Profile
    secret: Secret
    client: HttpClient
    fetcher: Fetcher


class AppContext:
    def __init__(self, environ: Mapping[str, str], stdout: TextIO | None = None, stderr: TextIO | None = None,
                 config_path: Path | None = None, debug: bool = False, profile_name: str | None = None,
                 stdin: TextIO | None | _SysStdin = SYS_STDIN, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep, now: Callable[[], datetime] = wall_clock,
                 reporter: ErrorReporter | None = None,
                 sandbox_starter: Callable[[], RunningSandbox] | None = None) -> None:
        self.environ = environ
        self.stdout: TextIO = stdout if stdout is not None else sys.stdout
        self.stderr: TextIO = stderr if stderr is not None else sys.stderr
        self.config_path = config_path
        self.debug = debug
        self.profile_name = profile_name  # --profile given before the provider (one given after it wins)
        self.stdin: TextIO | None = sys.stdin if isinstance(stdin, _SysStdin) else stdin  # None: stdin closed
        self.clock = clock  # seconds, for intervals and timeouts
        self.sleep = sleep
        self.now = now
        self.reporter = reporter  # None (a context built by hand): errors are only kept in `reported`
        self.reported: list[TaskctlError] = []
        self.sandbox_starter = sandbox_starter  # None: taskctl.sandbox.start
        self._store: ProfileStore | None = None
        self._stdout_console: Console | None = None
        self._stderr_console: Console | None = None
        self._redactor: Redactor | None = None

    @property
    def profiles(self) -> ProfileStore:
        if self._store is None:
            path = self.config_path or default_config_path(self.environ)
            explicit = self.config_path is not None or bool(self.environ.get("TASKCTL_CONFIG"))
            from taskctl.user_cache import user_cache_dir

            self._store = ProfileStore(path, explicit=explicit, cache_dir=user_cache_dir(self.environ))
        return self._store

    @property
    def secrets(self) -> SecretResolver:
        return SecretResolver(self.environ)

    @property
    def redact(self) -> Redactor:
        if self._redactor is None:
            from taskctl.http import Redactor

            self._redactor = Redactor()
        return self._redactor

    def stdout_console(self) -> Console:
        if self._stdout_console is None:
            self._stdout_console = self._console(self.stdout)
        return self._stdout_console

    def stderr_console(self) -> Console:
        if self._stderr_console is None:
            self._stderr_console = self._console(self.stderr)
        return self._stderr_console

    def _console(self, stream: TextIO) -> Console:
        from rich.console import Console

        # $COLUMNS and $LINES count only as positive numbers (COLUMNS=0 made rich print nothing at all).
        environ = {key: value for key, value in self.environ.items()
                   if key not in ("COLUMNS", "LINES") or (value.isascii() and value.isdigit() and int(value) > 0)}
        # Piped without $COLUMNS: wide enough that lines do not wrap under grep (tables are not expanded).
        width = None if self.is_terminal(stream) or environ.get("COLUMNS") else PIPE_WIDTH
        return Console(file=stream, highlight=False, markup=False, emoji=False, soft_wrap=False, width=width,
                       no_color=bool(environ.get("NO_COLOR")) or None, _environ=environ)

    def plain_width(self, stream: TextIO) -> int | None:
        """PIPE_WIDTH where rich would lay views out for ``stream`` as no terminal, at that width and without
        colour (the views may then skip rich: ``render/plain.py``); None where rich is needed to know (a terminal,
        a variable rich reads, Windows' legacy console sizes)."""
        if self.is_terminal(stream) or sys.platform == "win32" or any(
                name in self.environ for name in RICH_TERMINAL_VARIABLES):
            return None
        return PIPE_WIDTH

    def is_terminal(self, stream: TextIO) -> bool:
        isatty = getattr(stream, "isatty", None)
        return bool(isatty and isatty())

    # --- messages on stderr -------------------------------------------------------------------------
    def warn(self, message: str) -> None:
        self.stderr_line("warning", "yellow", message)

    def report(self, error: TaskctlError) -> None:
        """Hand on an error that does not end the command (the reporter prints it now, in output order)."""
        self.reported.append(error)
        if self.reporter is not None:
            self.reporter(self, error)

    def stderr_line(self, label: str | None, style: str, text: str) -> None:
        """``taskctl: <label>: text`` on stderr, redacted and inert (label in ``style`` on a terminal)."""
        clean = inert(self.redact(text))
        if self.is_terminal(self.stderr):
            from rich.text import Text

            line = Text.assemble(("taskctl: ", "bold"), (f"{label}: ", f"bold {style}") if label else "", clean)
            self.stderr_console().print(line)
        else:
            prefix = f"taskctl: {label}: " if label else "taskctl: "
            self.stderr.write(prefix + clean + "\n")
        self.stderr.flush()

    def trace(self, line: str) -> None:
        self.stderr.write(inert(self.redact(line)) + "\n")
        self.stderr.flush()

    def flush_config_warnings(self) -> None:
        store = self._store
        if store is not None:
            for message in store.warnings:
                self.warn(message)
            store.warnings.clear()

    def remember(self, provider: str, profile: str, results: Iterable[TaskResult]) -> None:
        """Keep the tasks seen for completion (``taskctl.history``: best effort, never raises): only ids that
        `get` takes (a listing may hold ids it refuses, which TAB must not offer)."""
        from taskctl import providers
        from taskctl.history import remember

        takes = providers.load(provider).parse_task_id
        remember(self.environ, provider, profile,
                 [(result.task.task_id, self.redact(result.task.name), result.task.state.value)
                  for result in results if result.task.task_id and _taken(takes, result.task.task_id)],
                 now=self.now().timestamp())

    # --- connections -------------------------------------------------------------------------------
    def http_client(self, profile: Profile, *, credentials: bool = True) -> HttpClient:
        """A client with the profile's policy: credentialed (its endpoint only), or anonymous, for the pre-signed
        links of a storage host (anywhere, never a secret header)."""
        from taskctl.http import HttpClient

        return HttpClient(profile, redact=self.redact, trace=self.trace if self.debug else None,
                          warn=self.warn if credentials else lambda _message: None, credentials=credentials)

    def start_sandbox(self) -> RunningSandbox:
        """The bundled sandbox on a free loopback port, for the built-in `sandbox` profile."""
        if self.sandbox_starter is not None:
            return self.sandbox_starter()
        from taskctl import sandbox

        return sandbox.start()

    @contextmanager
    def connect(self, provider: str, profile_name: str | None,
                options: FetchOptions | None = None) -> Iterator[Connection]:
        """Select the profile, resolve its secret, and yield a client and the provider's fetcher (one session for
        every request); starts the sandbox when asked."""
        from taskctl import providers

        profile = self.profiles.select(provider, profile_name or self.profile_name, self.environ)
        self.flush_config_warnings()
        secret = self.secrets.resolve(profile)
        self.redact.add(secret.value)
        running = None
        if profile.builtin_sandbox:
            running = self.start_sandbox()
            profile = profile._replace(endpoint=running.endpoint(provider))
        client = self.http_client(profile)
        try:
            given = options_of(provider, options)
            fetcher = providers.load(provider).make_fetcher(profile, secret, client, given, self.environ)
            yield Connection(profile, secret, client, fetcher)
        finally:
            client.close()
            if running is not None:
                running.close()


def _taken(parse: Callable[[str], str], task_id: str) -> bool:
    try:
        return parse(task_id) == task_id
    except TaskctlError:
        return False


def options_of(provider: str, options: FetchOptions | None) -> FetchOptions:
    """The provider's own options type; none given (None, or the empty base) means its defaults."""
    from taskctl import providers
    from taskctl.providers.spec import NoOptions

    expected = providers.get(provider).options
    if options is None or type(options) in (tuple, NoOptions):
        return expected()
    if not isinstance(options, expected):
        raise TypeError(f"{provider} takes {expected.__name__}, not {type(options).__name__}")
    return options
