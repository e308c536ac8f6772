"""Huawei Cloud ModelArts data-processing tasks (IAM token or AK/SK)."""

from __future__ import annotations

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
