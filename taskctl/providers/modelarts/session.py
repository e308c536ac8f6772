"""The IAM token of an `auth: password` profile: got once, kept, reused until five minutes before it expires.

Kept in the keyring under the user ``<profile>:iam_token`` (with its expiry, scope and project id, as JSON), or
where there is no keyring in ``$XDG_CACHE_HOME/taskctl/tokens/<profile>.json`` (0600). A kept token counts only
for the same IAM endpoint, account, user and region. ``IamSession`` hands the token to every fetch thread and,
when ModelArts answers 401, gets one new token for all of them (``renew``).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from taskctl.config import Profile
from taskctl.errors import ConfigError
from taskctl.providers.modelarts.cached import read_json, remove, write_json
from taskctl.secrets import KeyringUnavailable, NoKeyring, SecretResolver
from taskctl.user_cache import user_cache_dir as cache_dir

if TYPE_CHECKING:
    from taskctl.http import HttpClient
    from taskctl.providers.modelarts.iam import IssuedToken

MARGIN = timedelta(minutes=5)  # a kept token is renewed this long before it expires


def keyring_user(profile: Profile) -> str:
    return f"{profile.name}:iam_token"


def cache_file(profile: Profile, environ: Mapping[str, str]) -> Path:
    return cache_dir(environ) / "tokens" / f"{quote(profile.name, safe='')}.json"


@dataclass(frozen=True)
class Scope:
    """What a kept token is good for."""

    iam: str
    domain: str
    username: str
    region: str

    def key(self) -> dict[str, str]:
        return {"iam": self.iam, "domain": self.domain, "username": self.username, "region": self.region}


@dataclass
class TokenStore:
    """Where one profile's token is kept: the keyring, or the cache file where there is no keyring."""

    profile: Profile
    environ: Mapping[str, str]
    resolver: SecretResolver = field(init=False)

    def __post_init__(self) -> None:
        self.resolver = SecretResolver(self.environ)

    def load(self) -> dict[str, Any]:
        import json

        try:
            text = self.resolver.keyring_get(keyring_user(self.profile))
        except NoKeyring:
            return read_json(cache_file(self.profile, self.environ))
        except KeyringUnavailable:
            return {}
        try:
            value = json.loads(text) if text else {}
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}

    def save(self, record: dict[str, Any]) -> None:
        import json

        try:
            self.resolver.keyring_set(keyring_user(self.profile), json.dumps(record))
        except NoKeyring:
            write_json(cache_file(self.profile, self.environ), record)
        except KeyringUnavailable:
            pass  # not kept: the next run asks IAM again

    def forget(self) -> bool:
        removed = remove(cache_file(self.profile, self.environ))
        try:
            return self.resolver.keyring_delete(keyring_user(self.profile)) or removed
        except KeyringUnavailable:
            return removed


def usable(record: Mapping[str, Any], scope: Scope | None, now: datetime) -> tuple[str, datetime, str | None] | None:
    """The kept token, its expiry and project id, when it is for ``scope`` (any, when None) and not yet due."""
    token, expires, project = record.get("token"), record.get("expires_at"), record.get("project_id")
    if not isinstance(token, str) or not token or not isinstance(expires, str):
        return None
    if scope is not None and record.get("scope") != scope.key():
        return None
    try:
        when = datetime.fromisoformat(expires)
    except ValueError:
        return None
    if when.tzinfo is None or when - MARGIN <= now:
        return None
    return token, when, project if isinstance(project, str) and project else None


@dataclass
class IamSession:
    """The token of one command: from the store, else from IAM; renewed once for everyone on a 401."""

    store: TokenStore
    scope: Scope
    password: str
    client: HttpClient  # the ModelArts client (the IAM one is built from it)
    _token: str | None = None
    project_id: str | None = None
    requests: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def token(self) -> str:
        with self._lock:
            if self._token is None:
                kept = usable(self.store.load(), self.scope, datetime.now(UTC))
                if kept is not None:
                    self._token, _, self.project_id = kept
                    self.client.redact.add(self._token)
                else:
                    self._fetch()
            assert self._token is not None
            return self._token

    def renew(self, refused: str) -> str:
        """A new token after ``refused`` was refused (another thread's new one, when it got there first)."""
        with self._lock:
            if self._token == refused:
                self._fetch()
            assert self._token is not None
            return self._token

    def _fetch(self) -> None:
        from taskctl.providers.modelarts.iam import iam_client, request_token

        if not self.password:  # only its kept token was at hand, and it will not do
            name = self.store.profile.name
            raise ConfigError(f"no password for profile '{name}' (its kept IAM token is used up or refused)",
                              f"run: taskctl auth login {name}, or set $TASKCTL_PASSWORD")
        self.requests += 1
        with iam_client(self.client, self.scope.iam) as client:
            issued: IssuedToken = request_token(client, self.scope.domain, self.scope.username, self.password,
                                                self.scope.region)
        self._token, self.project_id = issued.value, issued.project_id or self.project_id
        self.store.save({"token": issued.value, "expires_at": issued.expires_at.isoformat(),
                         "project_id": self.project_id, "scope": self.scope.key()})


def forget(profile: Profile, environ: Mapping[str, str]) -> bool:
    """`auth logout`: drop the kept token (keyring and file); False when there was none."""
    return TokenStore(profile, environ).forget()


def expiry(profile: Profile, environ: Mapping[str, str]) -> datetime | None:
    """`auth status`: when the kept token expires (None: none kept, or due)."""
    kept = usable(TokenStore(profile, environ).load(), None, datetime.now(UTC))
    return kept[1] if kept else None
