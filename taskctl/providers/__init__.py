"""The provider registry: a provider name maps to the module that fetches its tasks.

Adding a provider means adding one module here that defines ``parse_task_id`` and ``make_fetcher``
(see ``base.ProviderModule``) and one line in ``_MODULES``.
"""

from __future__ import annotations

import importlib
from typing import cast

from taskctl.providers.base import ProviderModule

_MODULES: dict[str, str] = {
    "eo": "taskctl.providers.eo.client",
    "koodrive": "taskctl.providers.koodrive.client",
    "modelarts": "taskctl.providers.modelarts.client",
}


def names() -> tuple[str, ...]:
    return tuple(_MODULES)


def load(name: str) -> ProviderModule:
    return cast(ProviderModule, importlib.import_module(_MODULES[name]))
