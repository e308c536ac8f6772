"""The bundled emulator of the provider HTTP APIs (standard library only).

    with start() as sandbox:                      # a daemon thread on a free loopback port
        url = sandbox.endpoint("eo")              # "http://127.0.0.1:PORT/eo"
        ...                                       # send SANDBOX_TOKEN; see eo.py for seeds and faults

Providers: ``eo`` (eo.py), ``koodrive`` (koodrive.py) and ``modelarts`` (modelarts.py); each module's
docstring lists its seed task ids, fault ids and exact auth rules.

Importing this package is cheap (the constants below, ``PROVIDERS``); the server machinery loads
on first use of ``start``, ``serve_forever``, ``RunningSandbox`` or ``SeenRequest``.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from taskctl.sandbox.registry import PROVIDERS

if TYPE_CHECKING:
    from taskctl.sandbox.runtime import RunningSandbox, serve_forever, start
    from taskctl.sandbox.server import SeenRequest

SANDBOX_TOKEN: str = "sandbox-token"
"""The only token the sandbox accepts, for every provider (KooDrive: as ``Bearer+sandbox-token``)."""

SANDBOX_SHARE_ID: str = "sandbox-share"
"""The KooDrive share holding the seed tasks."""

SANDBOX_LOCKED_SHARE_ID: str = "sandbox-locked-share"
"""A KooDrive share that also requires ``"kdstoken": SANDBOX_KDSTOKEN`` in the body."""

SANDBOX_KDSTOKEN: str = "sandbox-kdstoken"
"""The ``kdstoken`` the locked share accepts."""

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

__all__ = ["PROVIDERS", "SANDBOX_ACCESS_KEY", "SANDBOX_KDSTOKEN", "SANDBOX_LOCKED_SHARE_ID", "SANDBOX_PROJECT_ID",
           "SANDBOX_SECRET_KEY", "SANDBOX_SECURITY_TOKEN", "SANDBOX_SHARE_ID", "SANDBOX_TEMP_ACCESS_KEY",
           "SANDBOX_TOKEN", "RunningSandbox", "SeenRequest", "serve_forever", "start"]

_LAZY = {"RunningSandbox": "runtime", "serve_forever": "runtime", "start": "runtime", "SeenRequest": "server"}


def __getattr__(name: str) -> Any:
    """Load the server machinery on first use of one of its names."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{module}"), name)
