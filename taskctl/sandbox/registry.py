"""Which providers the sandbox serves, each built by a factory that imports its module lazily.

Adding a provider: write ``<name>.py`` with a class following ``server.ProviderApi`` and add one
factory below. Importing this module imports nothing else, so ``PROVIDERS`` costs nothing. A
sandbox builds a provider's API (importing its module) on the first request for it, so a command
that talks to one provider imports only that one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from taskctl.sandbox.server import ProviderApi


def _eo() -> ProviderApi:
    from taskctl.providers.eo.emulator import EoApi

    return EoApi()


def _koodrive() -> ProviderApi:
    from taskctl.providers.koodrive.emulator import KooDriveApi

    return KooDriveApi()


def _modelarts() -> ProviderApi:
    from taskctl.providers.modelarts.emulator import ModelArtsApi

    return ModelArtsApi()


FACTORIES: dict[str, Callable[[], ProviderApi]] = {
    "eo": _eo,
    "koodrive": _koodrive,
    "modelarts": _modelarts,
}

PROVIDERS: tuple[str, ...] = tuple(FACTORIES)

EXTRA_MOUNTS: dict[str, str] = {
    "downloads": "koodrive",  # the stand-in for KooDrive's pre-signed package URLs
}
"""First path segments served beside the providers, each by a provider's ``extra_mounts()``."""
