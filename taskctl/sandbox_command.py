"""`taskctl sandbox`: run the bundled sandbox in the foreground and tell the user how to point at it."""

from __future__ import annotations

import errno

from taskctl.context import AppContext
from taskctl.errors import ExitCode, UsageError

HOST = "127.0.0.1"


def serve(app: AppContext, port: int) -> ExitCode:
    from taskctl import sandbox

    def on_ready(running: sandbox.RunningSandbox) -> None:
        app.stdout.write(profile_snippet(running))
        app.stdout.flush()
        app.stderr.write(f"taskctl: sandbox listening on {running.base_url} (Ctrl-C to stop)\n")
        app.stderr.flush()

    _stop_on_sigterm()
    try:
        sandbox.serve_forever(HOST, port, on_ready=on_ready)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise UsageError(f"cannot listen on {HOST}:{port}: the port is in use",
                             "pick another --port, or --port 0 for any free port") from None
        raise UsageError(f"cannot listen on {HOST}:{port}: {exc.strerror or exc}") from None
    app.stderr.write("taskctl: sandbox stopped\n")
    return ExitCode.INTERRUPTED


def _stop_on_sigterm() -> None:
    """`kill` (SIGTERM) stops the foreground sandbox as cleanly as Ctrl-C does."""
    import signal

    def interrupt(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


def profile_snippet(running: object) -> str:
    from taskctl.providers.koodrive import SANDBOX_SHARE_ID
    from taskctl.providers.modelarts import SANDBOX_PROJECT_ID
    from taskctl.sandbox import PROVIDERS, SANDBOX_TOKEN

    provider_keys = {"koodrive": f"    share_id: {SANDBOX_SHARE_ID}",
                     "modelarts": f"    project_id: {SANDBOX_PROJECT_ID}"}

    lines = ["# Profiles for this sandbox: save as a file and pass --config FILE, or add to your profiles.yaml.",
             f"# The sandbox accepts one fixed, public token: {SANDBOX_TOKEN}", "profiles:"]
    for provider in PROVIDERS:
        lines += [f"  local-{provider}:", f"    provider: {provider}",
                  f"    endpoint: {running.endpoint(provider)}",  # type: ignore[attr-defined]
                  f"    token: {SANDBOX_TOKEN}"]
        if provider in provider_keys:
            lines.append(provider_keys[provider])
    lines.append(f"# then: taskctl {PROVIDERS[0]} get 702 --profile local-{PROVIDERS[0]} --config FILE")
    return "\n".join(lines) + "\n"
