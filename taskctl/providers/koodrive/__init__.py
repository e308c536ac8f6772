"""Huawei KooDrive share batch tasks (progress, download package)."""

from __future__ import annotations

SANDBOX_SHARE_ID: str = "sandbox-share"
"""The KooDrive share holding the seed tasks."""

SANDBOX_LOCKED_SHARE_ID: str = "sandbox-locked-share"
"""A KooDrive share that also requires ``"kdstoken": SANDBOX_KDSTOKEN`` in the body."""

SANDBOX_KDSTOKEN: str = "sandbox-kdstoken"
"""The ``kdstoken`` the locked share accepts."""
