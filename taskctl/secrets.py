"""Where a token or secret key comes from: $TASKCTL_TOKEN, the profile file, else a keyring backend.

keyring is imported only here and only when a secret is actually looked up there. Every keyring call runs in a
worker thread with a deadline, and whatever a backend does (raise anything, hang, return bytes, keep nothing)
ends as a KeyringUnavailable whose text is safe to show: a backend's own exception text is shown only when it
comes from keyring, SecretStorage, D-Bus or the OS, never from an arbitrary exception that might quote a secret.
"""

from __future__ import annotations

import math
import os
import sys
import threading
from collections.abc import Callable, Mapping
from enum import StrEnum
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from taskctl import providers
from taskctl.config import Profile
from taskctl.errors import ConfigError
from taskctl.headers import is_header_text
from taskctl.providers.spec import SecretKind

KEYRING_SERVICE = "taskctl"
TOKEN_ENV = "TASKCTL_TOKEN"
SECRET_KEY_ENV = "TASKCTL_SECRET_KEY"
PASSWORD_ENV = "TASKCTL_PASSWORD"
BACKEND_ENV = "PYTHON_KEYRING_BACKEND"
KEYRING_TIMEOUT_ENV = "TASKCTL_KEYRING_TIMEOUT"
KEYRING_TIMEOUT = 5.0
MAX_SECRET_CHARS = 64 * 1024  # IAM tokens run to ~10 KB; anything far beyond is not a secret
UNLOCK_HINT = "unlock it (log in to the desktop session, or on a headless box: gnome-keyring-daemon --unlock)"
T = TypeVar("T")


class SourceKind(StrEnum):
    ENV = "env"
    FILE = "file"
    KEYRING = "keyring"
    BUILT_IN = "built-in"
    SESSION = "kept session token"  # no secret at hand, but what it got last time is still valid


class SecretSource(NamedTuple):
    """Where a secret was found: ``detail`` is the variable's name (env) or the file's path (file)."""

    kind: SourceKind
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.kind.value} {self.detail}" if self.detail else self.kind.value


class Secret(NamedTuple):
    value: str
    source: SecretSource
    kind: SecretKind = SecretKind.TOKEN

    def masked(self) -> str:
        """A token's or key's last characters tell two apart; a password shows none of its own."""
        return "****" if self.kind is SecretKind.PASSWORD else mask(self.value)

    def __repr__(self) -> str:  # a stray repr (log line, traceback with locals) must not hold the value
        return f"Secret(value={self.masked()!r}, source={str(self.source)!r}, kind={self.kind.value!r})"


def mask(value: str) -> str:
    """Show only enough to tell two secrets apart: the last 4 characters of a long one."""
    return "****" + value[-4:] if len(value) >= 12 else "****"


class KeyringUnavailable(Exception):
    """No usable keyring. str() says why and ``remedy`` what to do about the keyring; both are safe to show."""

    def __init__(self, reason: str, remedy: str | None = None) -> None:
        super().__init__(reason)
        self.remedy = remedy


class NoKeyring(KeyringUnavailable):
    """No backend is installed, detected or enabled."""


class KeyringLocked(KeyringUnavailable):
    """The backend is there but locked (a Secret Service collection whose unlock prompt failed or was dismissed)."""


class KeyringFailed(KeyringUnavailable):
    """Misconfigured, raised, did not answer in time, or handed back something that is not a secret."""


class Backend(NamedTuple):
    """The keyring backend in use, and how to name it to a person."""

    impl: Any
    name: str  # module.Class
    label: str  # "the Secret Service keyring (...)", "keyrings.alt PlaintextKeyring (a plain file: ~/...)"
    chosen_by: str  # "$PYTHON_KEYRING_BACKEND", the keyringrc.cfg path, or "" (detected)
    os_keyring: bool

    def remedy(self) -> str:
        if self.chosen_by == f"${BACKEND_ENV}":
            return f"it is chosen by ${BACKEND_ENV}: unset it, or name another backend there"
        if self.chosen_by:
            return f"it is chosen by {self.chosen_by}: name another backend there"
        return f"choose another backend with ${BACKEND_ENV} (python -m keyring --list-backends)"


def keyring_user(profile_name: str, kind: SecretKind = SecretKind.TOKEN) -> str:
    return profile_name if kind is SecretKind.TOKEN else f"{profile_name}:{kind.value}"


def secret_kind(profile: Profile) -> SecretKind:
    """What `auth login` stores for a profile: the secret key of an AK/SK profile, the password of one whose
    `auth:` says so, else a token."""
    return providers.get(profile.provider).secret_kind(profile.settings, profile.auth)


def secret_label(kind: SecretKind) -> str:
    return kind.label


def secret_env(kind: SecretKind) -> str:
    return {SecretKind.SECRET_KEY: SECRET_KEY_ENV, SecretKind.PASSWORD: PASSWORD_ENV}.get(kind, TOKEN_ENV)


def is_usable_secret(value: str) -> bool:
    """Printable Latin-1 of a sane length: what can travel in an HTTP header or a signature unchanged."""
    return 0 < len(value) <= MAX_SECRET_CHARS and is_header_text(value)


def with_remedy(error: KeyringUnavailable, env: str) -> str:
    """The hint for a keyring problem: fix the keyring, or bypass it with the environment variable."""
    return f"{error.remedy}; or set ${env}" if error.remedy else f"set ${env}"


class SecretResolver:
    def __init__(self, environ: Mapping[str, str]) -> None:
        self.environ = environ
        self._backend: Backend | None = None
        self._broken: KeyringUnavailable | None = None

    def resolve(self, profile: Profile) -> Secret:
        """The secret for a profile, or a ConfigError that says how to provide one."""
        if profile.builtin_sandbox:
            from taskctl.sandbox import SANDBOX_TOKEN

            return Secret(SANDBOX_TOKEN, SecretSource(SourceKind.BUILT_IN))
        kind = secret_kind(profile)
        found = self.from_env_or_file(profile)
        if found:
            return found
        label, env = secret_label(kind), secret_env(kind)
        try:
            stored = self.keyring_get(keyring_user(profile.name, kind))
        except NoKeyring as exc:
            tools = self.from_provider_env(profile)
            if tools:
                return tools
            hint = f"no OS keyring here ({exc}); set ${env}"
            if kind == "token":
                hint += f", or add `token:` to profile '{profile.name}' in {profile.source} (chmod 600)"
            raise ConfigError(f"no {label} for profile '{profile.name}'", hint) from None
        except KeyringUnavailable as exc:
            raise ConfigError(f"cannot read the {label} of profile '{profile.name}': {exc}",
                              with_remedy(exc, env)) from None
        if stored:
            return Secret(stored, SecretSource(SourceKind.KEYRING), kind)
        tools = self.from_provider_env(profile)
        if tools:
            return tools
        raise ConfigError(f"no {label} for profile '{profile.name}'",
                          f"run: taskctl auth login {profile.name}, or set ${env}")

    def from_provider_env(self, profile: Profile) -> Secret | None:
        """Credentials of the provider's own tools in the environment (``ProviderSpec.env_secret``), if any."""
        import importlib

        hook = providers.get(profile.provider).env_secret
        if not hook:
            return None
        module, _, name = hook.partition(":")
        found: Secret | None = getattr(importlib.import_module(module), name)(self.environ, profile)
        return found

    def find(self, profile: Profile) -> Secret | None:
        """Look in env, the file, then the keyring; None when nowhere, or when there is no keyring at all.

        A keyring that is locked or failing raises KeyringUnavailable: that is not the same as "no secret".
        An AK/SK profile (one with an access key) always signs: its secret key comes from $TASKCTL_SECRET_KEY
        or the keyring user `<profile>:secret_key`, and a $TASKCTL_TOKEN meant for other profiles is ignored.
        """
        found = self.from_env_or_file(profile)
        if found:
            return found
        kind = secret_kind(profile)
        try:
            stored = self.keyring_get(keyring_user(profile.name, kind))
        except NoKeyring:
            return self.from_provider_env(profile)
        return Secret(stored, SecretSource(SourceKind.KEYRING), kind) if stored else self.from_provider_env(profile)

    def from_env_or_file(self, profile: Profile) -> Secret | None:
        kind = secret_kind(profile)
        env = secret_env(kind)
        value = self.environ.get(env)
        if value:  # taken as it is: the HTTP layer refuses one that cannot be sent
            return Secret(value, SecretSource(SourceKind.ENV, env), kind)
        if kind == "token" and profile.token:  # checked when the file was read
            return Secret(profile.token, SecretSource(SourceKind.FILE, profile.source))
        return None

    # --- the keyring --------------------------------------------------------------------------------------
    def backend(self) -> Backend:
        """The backend to use, loaded once per resolver; NoKeyring or KeyringFailed when there is none usable."""
        if self._broken is not None:
            raise self._broken
        if self._backend is None:
            try:
                self._backend = _load_backend(self.environ, self.timeout())
            except KeyringUnavailable as exc:
                self._broken = exc
                raise
        return self._backend

    def timeout(self) -> float:
        text = self.environ.get(KEYRING_TIMEOUT_ENV, "").strip()
        if not text:
            return KEYRING_TIMEOUT
        try:
            seconds = float(text)
        except ValueError:
            seconds = math.nan
        if not 0 < seconds < math.inf:
            raise ConfigError(f"${KEYRING_TIMEOUT_ENV} must be a positive number of seconds",
                              f"unset it (the default is {KEYRING_TIMEOUT:g} s) or set e.g. 30")
        return seconds

    def call(self, backend: Backend, action: Callable[[], T]) -> T:
        """Run one call of the backend; a lock or a hang is remembered, so later calls fail at once."""
        if self._broken is not None:
            raise self._broken
        try:
            return _call_keyring(action, self.timeout(), backend)
        except (KeyringLocked, _Timeout) as exc:
            self._broken = exc
            raise

    def keyring_get(self, user: str) -> str | None:
        backend = self.backend()
        value = self.call(backend, lambda: backend.impl.get_password(KEYRING_SERVICE, user))
        if value is None:
            return None
        if not isinstance(value, str):
            raise KeyringFailed(f"{backend.label} returned {_type_name(value)}, not text, for '{user}'",
                                backend.remedy())
        value = value.strip()
        if value and not is_usable_secret(value):
            raise KeyringFailed(f"what {backend.label} holds for '{user}' is not a usable secret: it has line "
                                f"breaks, control characters or non-Latin-1 text, or is over "
                                f"{MAX_SECRET_CHARS // 1024} KiB",
                                f"store it again: taskctl auth login {user.split(':')[0]}")
        return value or None

    def keyring_set(self, user: str, value: str) -> Backend:
        """Store a secret and read it back: a backend that silently keeps nothing must not be reported as done."""
        backend = self.backend()
        self.call(backend, lambda: backend.impl.set_password(KEYRING_SERVICE, user, value))
        if self.keyring_get(user) != value:
            raise KeyringFailed(f"{backend.label} did not keep the secret (reading it back gave something else)",
                                backend.remedy())
        return backend

    def keyring_delete(self, user: str) -> bool:
        """Delete a stored secret; False when there was none."""
        from keyring.errors import PasswordDeleteError

        backend = self.backend()

        def delete() -> bool:
            try:
                backend.impl.delete_password(KEYRING_SERVICE, user)
            except PasswordDeleteError:
                return False
            return True

        return self.call(backend, delete)


# --- loading and naming the backend ---------------------------------------------------------------------------

_OS_KEYRINGS = {
    "keyring.backends.SecretService": "the Secret Service keyring (GNOME Keyring, KWallet)",
    "keyring.backends.libsecret": "the Secret Service keyring (libsecret)",
    "keyring.backends.kwallet": "KWallet",
    "keyring.backends.macOS": "the macOS Keychain",
    "keyring.backends.Windows": "the Windows Credential Manager",
}


def _load_backend(environ: Mapping[str, str], timeout: float) -> Backend:
    import keyring.backend
    import keyring.core

    name = environ.get(BACKEND_ENV)
    if name is not None:
        impl = _load_named(name, timeout)
        chosen_by = f"${BACKEND_ENV}"
    else:
        config = _keyring_config_file()
        chosen_by = str(config) if config else ""
        detect = keyring.core.get_keyring if config or not sys.platform.startswith("linux") else (
            lambda: _linux_keyring(environ))
        try:
            impl = _call_keyring(detect, timeout, _LOADING)
        except KeyringFailed as exc:
            if config:
                raise KeyringFailed(f"the keyring configuration {config} cannot be used: {exc}",
                                    f"fix or remove {config}") from None
            raise KeyringFailed(f"the keyring cannot be loaded: {exc}", _BACKEND_HINT) from None
    if not isinstance(impl, keyring.backend.KeyringBackend):
        raise KeyringFailed(f"{BACKEND_ENV}={_shorten(str(name))} is not a keyring backend class", _BACKEND_HINT)
    _reject_empty(impl)
    label, os_keyring = describe_backend(impl)
    return Backend(impl, _class_name(impl), label, chosen_by, os_keyring)


def _linux_keyring(environ: Mapping[str, str]) -> Any:
    """What keyring's own detection picks on Linux, without asking every installed backend whether it is viable
    (its macOS backend looks for a library with ldconfig, gcc and ld: about 40 processes per command): the Secret
    Service when it answers, else the best keyrings.alt file backend when installed, else none (fail.Keyring).

    Without $DBUS_SESSION_BUS_ADDRESS there is no session bus to reach it by (jeepney, under secretstorage,
    finds the bus by that variable alone), so its backend is not even imported (secretstorage and the
    cryptography it loads: ~30 ms on a server or in CI)."""
    from keyring.backend import by_priority
    from keyring.backends import fail

    classes: list[Any] = []
    if environ.get("DBUS_SESSION_BUS_ADDRESS"):
        from keyring.backends import SecretService

        classes.append(SecretService.Keyring)
    try:
        from keyrings.alt import file as alt_file

        classes += [alt_file.EncryptedKeyring, alt_file.PlaintextKeyring]
    except ImportError:
        pass
    viable = [cls() for cls in classes if cls.viable]
    return max(viable, key=by_priority, default=fail.Keyring())


_BACKEND_HINT = (f"unset {BACKEND_ENV}, or set it to an installed backend class such as "
                 "keyring.backends.SecretService.Keyring (python -m keyring --list-backends)")


def _load_named(name: str, timeout: float) -> Any:
    """The backend $PYTHON_KEYRING_BACKEND names; keyring itself would raise ImportError & co. at first use."""
    import keyring.core

    if not name.strip():
        raise KeyringFailed(f"{BACKEND_ENV} is set but empty", _BACKEND_HINT)
    if "." not in name.strip("."):
        raise KeyringFailed(f"{BACKEND_ENV}={_shorten(name)} is not a module.Class name", _BACKEND_HINT)
    if _is_module(name):  # keyring's own error then depends on whether that module was imported already
        raise KeyringFailed(f"{BACKEND_ENV}={_shorten(name)} names a module, not a backend class", _BACKEND_HINT)
    try:
        return _call_keyring(lambda: keyring.core.load_keyring(name), timeout, _LOADING)
    except KeyringFailed as exc:
        raise KeyringFailed(f"{BACKEND_ENV}={_shorten(name)} cannot be used: {exc}", _BACKEND_HINT) from None


def _is_module(name: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):  # a parent that does not exist, or is not a package
        return False


def _reject_empty(impl: Any) -> None:
    """keyring's fail and null backends, or a chainer with nothing behind it, keep nothing: there is no keyring."""
    from keyring.backends import chainer, fail, null

    if isinstance(impl, fail.Keyring) or (isinstance(impl, chainer.ChainerBackend) and not impl.backends):
        raise NoKeyring("no keyring backend is available")
    if isinstance(impl, null.Keyring):
        raise NoKeyring("the keyring is disabled (keyring.backends.null.Keyring)")


def describe_backend(impl: Any) -> tuple[str, bool]:
    """How to name a backend to a person, and whether it is an OS keyring (not a file, not something else)."""
    from keyring.backends import chainer

    if isinstance(impl, chainer.ChainerBackend):  # it stores in the first of its backends
        return describe_backend(impl.backends[0])
    module = type(impl).__module__
    if module in _OS_KEYRINGS:
        return _OS_KEYRINGS[module], True
    path = getattr(impl, "file_path", None)
    if isinstance(path, str) or "file" in module.lower():
        package = module.rsplit(".", 1)[0] if module.count(".") >= 2 else module
        scheme = str(getattr(impl, "scheme", "")).lower()
        plain = "plain" in type(impl).__name__.lower() or scheme.startswith("no ")
        where = f": {_home_short(path)}" if isinstance(path, str) else ""
        return f"{package} {type(impl).__name__} ({'a plain' if plain else 'an encrypted'} file{where})", False
    return f"the keyring backend {_class_name(impl)}", False


def _keyring_config_file() -> Path | None:
    try:
        from keyring.util import platform_

        path = Path(platform_.config_root()) / "keyringrc.cfg"
        return path if path.is_file() else None
    except Exception:  # noqa: BLE001 - only used to name the culprit of a failure
        return None


def _class_name(impl: Any) -> str:
    return f"{type(impl).__module__}.{type(impl).__name__}"


def _home_short(path: str) -> str:
    home = os.environ.get("HOME")
    if home and (path == home or path.startswith(home.rstrip("/") + "/")):
        return "~" + path[len(home.rstrip("/")):]
    return path


def _shorten(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _type_name(value: object) -> str:
    name = type(value).__name__
    return f"{'an' if name[0] in 'aeiou' else 'a'} {name} value"


# --- one bounded call ---------------------------------------------------------------------------------------


class _Loader(NamedTuple):
    """What is being called while no Backend exists yet: import and viability errors (shown as they are)."""

    label: str = "it"

    def remedy(self) -> str | None:
        return None


_LOADING = _Loader()


class _Timeout(KeyringFailed):
    """The keyring did not answer in time (its thread may still be waiting)."""


def _call_keyring(action: Callable[[], T], timeout: float, target: Backend | _Loader) -> T:
    """Run a keyring call in a worker thread: a locked, absent or wedged keyring must not hang the CLI."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = action()
        except BaseException as exc:  # noqa: BLE001 - handed back to the caller's thread
            outcome["error"] = exc

    worker = threading.Thread(target=run, name="taskctl-keyring", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise _Timeout(f"{target.label} did not answer within {timeout:g} s",
                       f"if it waits to be unlocked, unlock it and retry, or allow longer with "
                       f"${KEYRING_TIMEOUT_ENV}=SECONDS")
    error = outcome.get("error")
    if error is None:
        return outcome["value"]  # type: ignore[no-any-return]
    if isinstance(error, KeyboardInterrupt):
        raise error
    raise _classify(error, target) from None


def _classify(error: BaseException, target: Backend | _Loader) -> KeyringUnavailable:
    import keyring.errors

    if isinstance(error, keyring.errors.NoKeyringError):
        return NoKeyring("no keyring backend is available")
    if isinstance(error, keyring.errors.KeyringLocked) or _is_secretstorage_lock(error):
        return KeyringLocked(f"{target.label} is locked", UNLOCK_HINT)
    if isinstance(target, _Loader):  # the import machinery and keyring's viability checks: no secret involved
        return KeyringFailed(_first_line(error))
    if isinstance(error, Exception) and _speaks_safely(error):
        return KeyringFailed(f"{target.label} failed: {_first_line(error)}", target.remedy())
    return KeyringFailed(f"{target.label} failed ({_exception_name(error)})", target.remedy())


def _is_secretstorage_lock(error: BaseException) -> bool:
    try:
        from secretstorage.exceptions import LockedException, PromptDismissedException
    except Exception:  # noqa: BLE001 - SecretStorage is Linux-only
        return False
    return isinstance(error, LockedException | PromptDismissedException)


def _speaks_safely(error: BaseException) -> bool:
    """Errors of keyring, SecretStorage, D-Bus and the OS describe the keyring, not the secret: worth showing."""
    import keyring.errors

    safe: list[type] = [keyring.errors.KeyringError, OSError]
    try:
        from secretstorage.exceptions import SecretStorageException

        safe.append(SecretStorageException)
        from jeepney.wrappers import DBusErrorResponse

        safe.append(DBusErrorResponse)
    except Exception:  # noqa: BLE001 - Linux-only packages
        pass
    return isinstance(error, tuple(safe))


def _first_line(error: BaseException) -> str:
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    lines = str(error).strip().splitlines()
    return _shorten(lines[0]) if lines else _exception_name(error)


def _exception_name(error: BaseException) -> str:
    cls = type(error)
    return cls.__name__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__name__}"
