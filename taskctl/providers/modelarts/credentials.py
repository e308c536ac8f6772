"""What ModelArts accepts besides taskctl's own secrets ($TASKCTL_*, the profiles file, the keyring), tried after
them: the Huawei Cloud SDK's environment credentials, so a shell set up for KooCLI or the SDK works as it is; and
for a password profile whose password is not at hand, the IAM token it keeps while that is still valid."""

from __future__ import annotations

from collections.abc import Mapping

from taskctl.config import Profile
from taskctl.providers.spec import SecretKind
from taskctl.secrets import Secret, SecretSource, SourceKind

SDK_AK = "HUAWEICLOUD_SDK_AK"
SDK_SK = "HUAWEICLOUD_SDK_SK"
SDK_SECURITY_TOKEN = "HUAWEICLOUD_SDK_SECURITY_TOKEN"
SDK_PROJECT_ID = "HUAWEICLOUD_SDK_PROJECT_ID"
SDK_IAM_ENDPOINT = "HUAWEICLOUD_SDK_IAM_ENDPOINT"
SDK_SOURCE = f"{SDK_SK} (Huawei Cloud SDK; access key from {SDK_AK})"


def sdk_secret(environ: Mapping[str, str], profile: Profile) -> Secret | None:
    """The SDK's secret key, for a profile without a password and with no access key or the SDK's one."""
    access_key, secret_key = environ.get(SDK_AK, "").strip(), environ.get(SDK_SK, "").strip()
    if not (access_key and secret_key) or profile.auth is not None:
        return None
    own = profile.settings.get("access_key")
    if own and own != access_key:
        return None
    return Secret(secret_key, SecretSource(SourceKind.ENV, SDK_SOURCE), SecretKind.SECRET_KEY)


def from_sdk(secret: Secret) -> bool:
    return secret.source.kind is SourceKind.ENV and secret.source.detail == SDK_SOURCE


def access_key(profile: Profile, secret: Secret, environ: Mapping[str, str]) -> str | None:
    """The access key to sign with (None: the secret is a token or a password)."""
    if secret.kind is not SecretKind.SECRET_KEY:
        return None
    own = profile.settings.get("access_key")
    return str(own) if own else environ.get(SDK_AK, "").strip() or None if from_sdk(secret) else None


def fallback_secret(environ: Mapping[str, str], profile: Profile) -> Secret | None:
    """The SDK's credentials; else, for a password profile, a stand-in for its password while the IAM token it
    keeps is valid (the session asks for the password only to get a new token)."""
    found = sdk_secret(environ, profile)
    if found is not None or profile.auth != SecretKind.PASSWORD:
        return found
    from taskctl.providers.modelarts.session import expiry

    if expiry(profile, environ) is None:
        return None
    return Secret("", SecretSource(SourceKind.SESSION), SecretKind.PASSWORD)
