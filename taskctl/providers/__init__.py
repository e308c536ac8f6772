"""The provider registry: the one list of providers. Config validation, `profile show`, secret kinds,
redaction, the CLI's command groups and the sandbox's mounts all read it.

Adding a provider is one folder, ``taskctl/providers/<name>/`` (its ``__init__.py`` defines ``SPEC``, a
``ProviderSpec``), and one line in ``_BUILT_IN`` (or one ``register()`` call, for a provider outside taskctl).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from taskctl.providers.base import ProviderModule
    from taskctl.providers.spec import ProviderSpec

_BUILT_IN = ("taskctl.providers.eo", "taskctl.providers.koodrive", "taskctl.providers.modelarts")
_registered: dict[str, ProviderSpec] = {}
_secret_fields: list[frozenset[str]] = []  # the union below, computed once per registry state


def register(module: str) -> ProviderSpec:
    """Add the provider whose package ``module`` defines ``SPEC`` (it replaces one of the same name)."""
    spec = cast("ProviderSpec", importlib.import_module(module).SPEC)
    _specs()[spec.name] = spec
    _secret_fields.clear()
    return spec


def _specs() -> dict[str, ProviderSpec]:
    if not _registered:
        for module in _BUILT_IN:
            spec = cast("ProviderSpec", importlib.import_module(module).SPEC)
            _registered[spec.name] = spec
    return _registered


def names() -> tuple[str, ...]:
    return tuple(_specs())


def specs() -> tuple[ProviderSpec, ...]:
    return tuple(_specs().values())


def get(name: str) -> ProviderSpec:
    return _specs()[name]


def load(name: str) -> ProviderModule:
    """The provider's client module (imported on first use: it brings the HTTP stack)."""
    return cast("ProviderModule", importlib.import_module(get(name).client))


def unregister(name: str) -> None:
    """Remove a provider added by ``register`` (tests)."""
    _specs().pop(name, None)
    _secret_fields.clear()


def secret_fields() -> frozenset[str]:
    """Every provider's secret JSON fields (the same object until the registry changes: redaction asks often)."""
    if not _secret_fields:
        _secret_fields.append(frozenset(name for spec in specs() for name in spec.secret_fields))
    return _secret_fields[0]
