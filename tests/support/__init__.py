"""Plain helpers the tests import (fixtures live in conftest.py, which no test imports).

pytest puts tests/ on sys.path (pyproject.toml: ``pythonpath``), so a test says ``from support import ...``.
The scripted loopback server is in ``support.loopback``; the answers and profiles of the HTTP-policy tests in
``support.eo_http``.
"""

from __future__ import annotations

import contextlib
import errno
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["SANDBOX_TOKEN", "refused_port", "reset_keyring", "sandbox_profile_yaml", "write_profiles"]

from taskctl.sandbox import SANDBOX_TOKEN


def write_profiles(path: Path, text: str, mode: int = 0o600) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    os.chmod(path, mode)
    return path


def sandbox_profile_yaml(sandbox: Any, name: str = "local", extra: str = "") -> str:
    """A profile pointing at a running sandbox, token in the file, no retries (fast failing tests)."""
    lines = [f"  {name}:", "    provider: eo", f"    endpoint: {sandbox.endpoint('eo')}",
             f"    token: {SANDBOX_TOKEN}", "    retries: 0"]
    lines += ["    " + line for line in extra.splitlines() if line.strip()]
    return "profiles:\n" + "\n".join(lines) + "\n"


def reset_keyring() -> None:
    """keyring caches its backend per process; make it re-read PYTHON_KEYRING_BACKEND."""
    import keyring.core

    keyring.core.set_keyring(keyring.core.load_env() or keyring.core.load_config() or keyring.core._detect_backend())


@contextlib.contextmanager
def refused_port() -> Iterator[int]:
    """A loopback port that refuses connections for as long as the block runs.

    The port stays bound without listen(): a connection to it is refused (the kernel answers with a reset),
    and no other process can take it meanwhile, as it could a port that was bound and closed again. Bound on
    127.0.0.1 and, where the host has IPv6, on the same port of ::1 too (for `localhost` and `[::1]`).
    """
    for _ in range(50):
        with contextlib.ExitStack() as held:
            ipv4 = held.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            ipv4.bind(("127.0.0.1", 0))
            port = ipv4.getsockname()[1]
            if _hold_ipv6(held, port):
                yield port
                return
    raise RuntimeError("no loopback port free on both 127.0.0.1 and ::1")


def _hold_ipv6(held: contextlib.ExitStack, port: int) -> bool:
    """Bind ::1 on ``port`` too; False when that port is taken there (pick another), True when bound or when
    the host has no IPv6 loopback (nothing to take the port there)."""
    try:
        ipv6 = held.enter_context(socket.socket(socket.AF_INET6, socket.SOCK_STREAM))
        ipv6.bind(("::1", port))
    except OSError as error:
        return error.errno != errno.EADDRINUSE
    return True
