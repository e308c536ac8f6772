"""Shell completion callbacks. They run on every TAB: keep them cheap and never let them fail."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import typer


def complete_profile(ctx: typer.Context, incomplete: str) -> list[str]:
    """Profile names of the command's provider (all names outside a provider command)."""
    try:
        from taskctl import providers
        from taskctl.config import ProfileStore, default_config_path
        from taskctl.user_cache import user_cache_dir

        provider = next((p.info_name for p in _ancestry(ctx) if p.info_name in providers.names()), None)
        config = _find_config(ctx)
        path = Path(config) if config else default_config_path(os.environ)
        store = ProfileStore(path, cache_dir=user_cache_dir(os.environ))  # the parse of the last command
        # `auth login/logout` take file profiles only: the built-in sandbox has no secret to store.
        names = list(store.profiles) if ctx.info_name in ("login", "logout") else store.names(provider)
    except Exception:  # noqa: BLE001 - a broken file must not break the shell
        names = []
    return [name for name in names if name.startswith(incomplete)]


def complete_task_id(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    """Ids of the tasks seen lately through the command's provider (and its --profile, when given), most recent
    first, each described by its name and state: from the local history only, never a request."""
    try:
        from taskctl import history, providers

        provider = next((p.info_name for p in _ancestry(ctx) if p.info_name in providers.names()), None)
        if provider is None:
            return []
        profile = next((str(p.params["profile"]) for p in _ancestry(ctx) if p.params.get("profile")), None)
        given = set(ctx.params.get("task_ids") or ())
        seen = history.recent(os.environ, provider, profile or os.environ.get("TASKCTL_PROFILE") or None)
    except Exception:  # noqa: BLE001 - a broken history must not break the shell
        return []
    return [(entry.task_id, f"{entry.name} ({entry.state})" if entry.name else entry.state) for entry in seen
            if entry.task_id.startswith(incomplete) and entry.task_id not in given]


def _ancestry(ctx: typer.Context) -> list[Any]:
    chain: list[Any] = []
    current: Any = ctx
    while current is not None:
        chain.append(current)
        current = current.parent
    return chain


def _find_config(ctx: typer.Context) -> str | None:
    for level in _ancestry(ctx):
        value = level.params.get("config")
        if value:
            return str(value)
    return None
