"""The bundled emulator of the provider HTTP APIs (standard library only).

    with start() as sandbox:                      # a daemon thread on a free loopback port
        url = sandbox.endpoint(name)              # "http://127.0.0.1:PORT/<name>"
        ...                                       # send SANDBOX_TOKEN

Each provider's emulator is ``taskctl/providers/<name>/emulator.py``; its docstring lists the seed task ids,
fault ids and exact auth rules.

Importing this package is cheap (the constant below); the server machinery loads
on first use of ``start``, ``serve_forever``, ``RunningSandbox`` or ``SeenRequest``.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from taskctl.sandbox.runtime import RunningSandbox, serve_forever, start
    from taskctl.sandbox.server import SeenRequest

SANDBOX_TOKEN: str = "sandbox-token"
"""The only token the sandbox accepts, for every provider (with the prefix a provider's scheme adds)."""

__all__ = ["SANDBOX_TOKEN", "RunningSandbox", "SeenRequest", "serve_forever", "start"]

_LAZY = {"RunningSandbox": "runtime", "serve_forever": "runtime", "start": "runtime", "SeenRequest": "server"}


def __getattr__(name: str) -> Any:
    """Load the server machinery on first use of one of its names."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{module}"), name)
