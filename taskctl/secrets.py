"""Where a token or secret key comes from: $TASKCTL_TOKEN, the profile file, else the OS keyring.

keyring is imported only here and only when a secret is actually looked up there.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from taskctl.config import Profile
from taskctl.errors import ConfigError

KEYRING_SERVICE = "taskctl"
TOKEN_ENV = "TASKCTL_TOKEN"
SECRET_KEY_ENV = "TASKCTL_SECRET_KEY"
KEYRING_TIMEOUT = 5.0
T = TypeVar("T")


@dataclass(frozen=True)
class Secret:
    value: str
    source: str  # "env TASKCTL_TOKEN", "file <path>", "keyring", "built-in"
    kind: str = "token"  # "token", or "secret_key" (AK/SK signing with the profile's access_key)

    def masked(self) -> str:
        return mask(self.value)

    def __repr__(self) -> str:  # a stray repr (log line, traceback with locals) must not hold the value
        return f"Secret(value={self.masked()!r}, source={self.source!r}, kind={self.kind!r})"


def mask(value: str) -> str:
    """Show only enough to tell two secrets apart: the last 4 characters of a long one."""
    return "****" + value[-4:] if len(value) >= 12 else "****"


class KeyringUnavailable(Exception):
    """No usable keyring backend, or it failed or hung."""


def keyring_user(profile_name: str, kind: str = "token") -> str:
    return profile_name if kind == "token" else f"{profile_name}:{kind}"


def secret_kind(profile: Profile) -> str:
    """What `auth login` stores for a profile: the secret key of an AK/SK profile, else a token."""
    return "secret_key" if profile.access_key else "token"


def secret_label(kind: str) -> str:
    return "secret key" if kind == "secret_key" else "token"


@dataclass
class SecretResolver:
    environ: Mapping[str, str]

    def resolve(self, profile: Profile) -> Secret:
        """The token for a profile, or a ConfigError that says how to provide one."""
        from taskctl.sandbox import SANDBOX_TOKEN

        if profile.builtin_sandbox:
            return Secret(SANDBOX_TOKEN, "built-in")
        found = self.find(profile)
        if found:
            return found
        kind = secret_kind(profile)
        env = SECRET_KEY_ENV if kind == "secret_key" else TOKEN_ENV
        hint = f"run: taskctl auth login {profile.name}, or set ${env}"
        try:
            self.keyring_backend_name()
        except KeyringUnavailable as exc:
            hint = f"no OS keyring here ({exc}); set ${env}"
            if kind == "token":
                hint += f", or add `token:` to profile '{profile.name}' in {profile.source} (chmod 600)"
        raise ConfigError(f"no {secret_label(kind)} for profile '{profile.name}'", hint)

    def find(self, profile: Profile) -> Secret | None:
        """Look in env, the file, then the keyring; None when nowhere. A broken keyring counts as empty.

        An AK/SK profile (one with `access_key`) always signs: its secret key comes from $TASKCTL_SECRET_KEY
        or the keyring user `<profile>:secret_key`, and a $TASKCTL_TOKEN meant for other profiles is ignored.
        """
        kind = secret_kind(profile)
        if kind == "token" and self.environ.get(TOKEN_ENV):
            return Secret(self.environ[TOKEN_ENV], f"env {TOKEN_ENV}")
        if kind == "token" and profile.token:
            return Secret(profile.token, f"file {profile.source}")
        if kind == "secret_key" and self.environ.get(SECRET_KEY_ENV):
            return Secret(self.environ[SECRET_KEY_ENV], f"env {SECRET_KEY_ENV}", kind)
        try:
            stored = self.keyring_get(keyring_user(profile.name, kind))
        except KeyringUnavailable:
            return None
        return Secret(stored, "keyring", kind) if stored else None

    def keyring_get(self, user: str) -> str | None:
        keyring = _import_keyring()
        return _call_keyring(lambda: keyring.get_password(KEYRING_SERVICE, user))

    def keyring_set(self, user: str, value: str) -> None:
        keyring = _import_keyring()
        _call_keyring(lambda: keyring.set_password(KEYRING_SERVICE, user, value))

    def keyring_delete(self, user: str) -> bool:
        """Delete a stored secret; False when there was none."""
        from keyring.errors import PasswordDeleteError

        keyring = _import_keyring()
        try:
            _call_keyring(lambda: keyring.delete_password(KEYRING_SERVICE, user))
        except KeyringUnavailable as exc:
            if isinstance(exc.__cause__, PasswordDeleteError):
                return False
            raise
        return True

    def keyring_backend_name(self) -> str:
        """The name of the usable backend, or KeyringUnavailable."""
        keyring = _import_keyring()
        backend = _call_keyring(keyring.get_keyring)
        if _is_fail_backend(backend):
            raise KeyringUnavailable("no keyring backend is available")
        return f"{type(backend).__module__}.{type(backend).__name__}"


def _import_keyring():  # type: ignore[no-untyped-def]
    import keyring

    return keyring


def _is_fail_backend(backend: object) -> bool:
    from keyring.backends import fail

    if isinstance(backend, fail.Keyring):
        return True
    # A chainer with nothing behind it is as good as no backend.
    inner = getattr(backend, "backends", None)
    return inner is not None and not inner


def _call_keyring(action: Callable[[], T]) -> T:
    """Run a keyring call with a timeout: a locked or absent desktop keyring must not hang the CLI."""
    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            outcome["value"] = action()
        except BaseException as exc:  # handed back to the caller's thread
            outcome["error"] = exc

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(KEYRING_TIMEOUT)
    if worker.is_alive():
        raise KeyringUnavailable(f"the keyring did not answer within {KEYRING_TIMEOUT:.0f} s")
    error = outcome.get("error")
    if error is not None:
        import keyring.errors

        if isinstance(error, keyring.errors.NoKeyringError):
            raise KeyringUnavailable("no keyring backend is available") from error
        if isinstance(error, keyring.errors.KeyringError | RuntimeError | OSError):
            raise KeyringUnavailable(_describe(error)) from error
        raise error  # type: ignore[misc]
    return outcome.get("value")  # type: ignore[return-value]


def _describe(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__
