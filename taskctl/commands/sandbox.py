"""`taskctl sandbox`: run the bundled sandbox in the foreground and tell the user how to point at it."""

from __future__ import annotations

import errno
from dataclasses import dataclass

from taskctl.context import AppContext
from taskctl.errors import ExitCode, UsageError

HOST = "127.0.0.1"


@dataclass(frozen=True)
class SandboxOptions:
    port: int = 8765


def run(app: AppContext, options: SandboxOptions) -> ExitCode:
    """Serve until Ctrl-C (exit 130, as an interrupted command does) or SIGTERM (exit 143, as `watch`)."""
    from taskctl import sandbox

    port = options.port

    def on_ready(running: sandbox.RunningSandbox) -> None:
        app.stdout.write(profile_snippet(running))
        app.stdout.flush()
        app.stderr.write(f"taskctl: sandbox listening on {running.base_url} (Ctrl-C to stop)\n")
        app.stderr.write(f"taskctl: its storage host (pre-signed file links) on {running.storage_url}\n")
        app.stderr.flush()

    terminated = _stop_on_sigterm()
    try:
        sandbox.serve_forever(HOST, port, on_ready=on_ready)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise UsageError(f"cannot listen on {HOST}:{port}: the port is in use",
                             "pick another --port, or --port 0 for any free port") from None
        raise UsageError(f"cannot listen on {HOST}:{port}: {exc.strerror or exc}") from None
    app.stderr.write("taskctl: sandbox stopped\n")
    return ExitCode.TERMINATED if terminated else ExitCode.INTERRUPTED


def _stop_on_sigterm() -> list[bool]:
    """`kill` (SIGTERM) stops the foreground sandbox as cleanly as Ctrl-C does; the list says whether it came."""
    import signal

    came: list[bool] = []

    def interrupt(_signum: int, _frame: object) -> None:
        came.append(True)
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    return came


def profile_snippet(running: object) -> str:
    from taskctl import providers
    from taskctl.sandbox import SANDBOX_TOKEN

    names = providers.names()

    lines = ["# Profiles for this sandbox: save as a file and pass --config FILE, or add to your profiles.yaml.",
             f"# The sandbox accepts one fixed, public token: {SANDBOX_TOKEN}", "profiles:"]
    for provider in names:
        lines += [f"  local-{provider}:", f"    provider: {provider}",
                  f"    endpoint: {running.endpoint(provider)}",  # type: ignore[attr-defined]
                  f"    token: {SANDBOX_TOKEN}"]
        lines += [f"    {key}: {value}" for key, value in providers.get(provider).sandbox_settings.items()]
        for suffix, (comment, keys) in providers.get(provider).sandbox_profiles.items():
            lines += [f"  local-{provider}-{suffix}:  # {comment}", f"    provider: {provider}",
                      f"    endpoint: {running.endpoint(provider)}"]  # type: ignore[attr-defined]
            base_url = running.base_url  # type: ignore[attr-defined]
            lines += [f"    {key}: {value.replace('{base_url}', base_url)}" for key, value in keys.items()]
    example = providers.get(names[0]).help.example.replace("--profile sandbox", f"--profile local-{names[0]}")
    lines.append(f"# then: {example} --config FILE")
    return "\n".join(lines) + "\n"
