"""Which APIs the sandbox serves: every registered provider's emulator (``ProviderSpec.emulator``), built on
first use (importing its module), and the extra mounts a provider serves beside its own (``sandbox_mounts``).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from taskctl import providers

if TYPE_CHECKING:
    from taskctl.sandbox.server import ProviderApi


def served() -> tuple[str, ...]:
    """The providers the sandbox serves, in registry order."""
    return providers.names()


def extra_mounts() -> dict[str, str]:
    """First path segments served beside the providers -> the provider whose emulator serves them."""
    return {mount: spec.name for spec in providers.specs() for mount in spec.sandbox_mounts}


def storage_mounts() -> dict[str, str]:
    """First path segments served on the storage host (a second server) -> the provider whose emulator serves them."""
    return {mount: spec.name for spec in providers.specs() for mount in spec.sandbox_storage_mounts}


def build(provider: str) -> ProviderApi:
    """A new emulator of ``provider``'s API; KeyError for a provider not registered."""
    module, _, name = providers.get(provider).emulator.partition(":")
    api: ProviderApi = getattr(importlib.import_module(module), name)()
    return api
