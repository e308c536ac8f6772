"""Which providers the sandbox serves, each built by a factory that imports its module lazily.

Adding a provider: write ``<name>.py`` with a class following ``server.ProviderApi`` and add one
factory below. Importing this module imports nothing else, so ``PROVIDERS`` costs nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from taskctl.sandbox.server import ProviderApi


def _eo() -> ProviderApi:
    from taskctl.sandbox.eo import EoApi

    return EoApi()


FACTORIES: dict[str, Callable[[], ProviderApi]] = {
    "eo": _eo,
}

PROVIDERS: tuple[str, ...] = tuple(FACTORIES)
