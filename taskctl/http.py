"""One HTTP policy for every provider: timeouts, retries, redirects, secret safety, --debug trace.

requests is imported here and nowhere else, and only when a client is built.
"""

from __future__ import annotations

import ipaddress
import random
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from taskctl.config import Profile
from taskctl.errors import ConfigError, NetworkError, ResponseError

if TYPE_CHECKING:
    import requests

RETRY_STATUSES = frozenset({429, 502, 503, 504})
SECRET_HEADERS = frozenset({"authorization", "x-api-key", "x-auth-token", "x-security-token", "proxy-authorization"})
MAX_REDIRECTS = 5
MAX_RETRY_AFTER = 60.0
TRACE_BODY_LIMIT = 4000
POOL_SIZE = 8
USER_AGENT = "taskctl/0.1"


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    default_port = {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), parts.port or default_port


class Redactor:
    """Replaces every known secret value in text with ***."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: set[str] = set()
        self.add(*secrets)

    def add(self, *secrets: str) -> None:
        # Very short values would redact innocent text; real tokens are long.
        self._secrets.update(s for s in secrets if s and len(s) >= 4)

    def __call__(self, text: str) -> str:
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, "***")
        return text


@dataclass
class HttpClient:
    """A requests.Session bound to one profile's endpoint and policy."""

    profile: Profile
    redact: Redactor = field(default_factory=Redactor)
    trace: Callable[[str], None] | None = None
    warn: Callable[[str], None] = lambda _message: None
    sleep: Callable[[float], None] = time.sleep
    _session: requests.Session | None = None

    def __post_init__(self) -> None:
        if not self.profile.tls_verify and urlsplit(self.profile.endpoint).scheme == "https":
            self.warn(f"TLS verification is off for profile '{self.profile.name}' (tls_verify: false)")

    @property
    def session(self) -> requests.Session:
        if self._session is None:
            self._session = _new_session()
        return self._session

    def close(self) -> None:
        if self._session is not None:
            self._session.close()

    def request(self, method: str, url: str, *, headers: Mapping[str, str],
                json_body: Any = None, data: bytes | None = None) -> requests.Response:
        """Send with retries and same-origin redirects. Raises NetworkError/ConfigError/ResponseError."""
        self._check_destination(url)
        if json_body is not None:
            import json

            data = json.dumps(json_body).encode()
            headers = {**headers, "Content-Type": "application/json"}
        for _hop in range(MAX_REDIRECTS + 1):
            response = self._send_with_retries(method, url, headers, data)
            if not response.is_redirect:
                return response
            url = self._redirect_target(url, response)
        raise ResponseError(f"too many redirects from {self.profile.endpoint}")

    def _check_destination(self, url: str) -> None:
        scheme, host, _port = origin(url)
        if scheme == "http" and not is_loopback(host) and not self.profile.allow_http:
            raise ConfigError(f"refusing to send credentials over plain http to {host}",
                              f"use an https:// endpoint, or set `allow_http: true` in profile "
                              f"'{self.profile.name}' if you accept the risk")

    def _redirect_target(self, url: str, response: requests.Response) -> str:
        target = urljoin(url, response.headers.get("Location", ""))
        response.close()
        self._trace(f"< redirect to {target}")
        if origin(target) != origin(url):
            host = urlsplit(target).netloc
            raise ResponseError(f"the service redirected to another host ({host}); "
                                "taskctl does not send credentials there",
                                "if that host is the real API, use it as the profile's endpoint")
        return target

    def _send_with_retries(self, method: str, url: str, headers: Mapping[str, str],
                           data: bytes | None) -> requests.Response:
        import requests

        attempt = 0
        while True:
            self._trace_request(method, url, headers, data)
            started = time.monotonic()
            try:
                response = self.session.request(
                    method, url, headers=dict(headers), data=data, allow_redirects=False,
                    timeout=(self.profile.timeouts.connect, self.profile.timeouts.read),
                    verify=self._verify(), proxies=self._proxies(url))
            except requests.RequestException as exc:
                error = self._network_error(url, exc)
                if attempt >= self.profile.retries or isinstance(exc, requests.exceptions.SSLError):
                    raise error from None
                delay = self._backoff(attempt)
                self._trace(f"! {error.message}; retry {attempt + 1}/{self.profile.retries} in {delay:.1f} s")
            else:
                self._trace_response(response, time.monotonic() - started)
                if response.status_code not in RETRY_STATUSES or attempt >= self.profile.retries:
                    return response
                delay = self._retry_after(response) or self._backoff(attempt)
                self._trace(f"! HTTP {response.status_code}; retry {attempt + 1}/{self.profile.retries} "
                            f"in {delay:.1f} s")
                response.close()
            self.sleep(delay)
            attempt += 1

    def _verify(self) -> bool | str:
        if self.profile.ca_bundle:
            return self.profile.ca_bundle
        return self.profile.tls_verify

    @staticmethod
    def _proxies(url: str) -> dict[str, str | None]:
        # A proxy from the environment must not see loopback traffic (the sandbox, tests).
        return {"http": None, "https": None} if is_loopback(urlsplit(url).hostname) else {}

    @staticmethod
    def _backoff(attempt: int) -> float:
        """Exponential backoff with full jitter: 0.5 s, 1 s, 2 s ... ceilings, capped at 8 s."""
        return random.uniform(0.1, min(8.0, 0.5 * 2**attempt))

    @staticmethod
    def _retry_after(response: requests.Response) -> float | None:
        value = response.headers.get("Retry-After", "").strip()
        if not value:
            return None
        try:
            seconds = float(value)
        except ValueError:
            from email.utils import parsedate_to_datetime

            try:
                seconds = parsedate_to_datetime(value).timestamp() - time.time()
            except (TypeError, ValueError):
                return None
        return max(0.0, min(seconds, MAX_RETRY_AFTER))

    def _network_error(self, url: str, exc: Exception) -> NetworkError:
        import requests

        host = urlsplit(url).netloc
        if isinstance(exc, requests.exceptions.SSLError):
            return NetworkError(f"TLS verification failed for {host}",
                                "if the service uses a private CA, set `ca_bundle:` in the profile")
        if isinstance(exc, requests.exceptions.ConnectTimeout):
            return NetworkError(f"timed out connecting to {host} after {self.profile.timeouts.connect:g} s",
                                "check the endpoint and your network, or raise `timeout:` in the profile")
        if isinstance(exc, requests.exceptions.Timeout):
            return NetworkError(f"{host} did not answer within {self.profile.timeouts.read:g} s",
                                "the service may be overloaded; retry later or raise `timeout:` in the profile")
        if isinstance(exc, requests.exceptions.ConnectionError):
            return NetworkError(f"cannot connect to {host}: {_root_cause(exc)}",
                                "check the profile's endpoint and your network")
        return NetworkError(f"request to {host} failed: {_root_cause(exc)}")

    def _trace(self, line: str) -> None:
        if self.trace:
            self.trace(self.redact(line))

    def _trace_request(self, method: str, url: str, headers: Mapping[str, str], data: bytes | None) -> None:
        if not self.trace:
            return
        self._trace(f"> {method} {url}")
        for name, value in headers.items():
            self._trace(f"> {name}: {'<redacted>' if name.lower() in SECRET_HEADERS else value}")
        if data:
            self._trace(f"> {data[:TRACE_BODY_LIMIT].decode('utf-8', 'replace')}")

    def _trace_response(self, response: requests.Response, elapsed: float) -> None:
        if not self.trace:
            return
        self._trace(f"< HTTP {response.status_code} {response.reason} ({elapsed * 1000:.0f} ms)")
        for name, value in response.headers.items():
            self._trace(f"< {name}: {'<redacted>' if name.lower() in SECRET_HEADERS else value}")
        if not response.is_redirect:
            body = response.content[:TRACE_BODY_LIMIT].decode("utf-8", "replace")
            self._trace(f"< {body}")


def _new_session() -> requests.Session:
    import requests
    from requests.adapters import HTTPAdapter

    session = requests.Session()
    adapter = HTTPAdapter(pool_connections=2, pool_maxsize=POOL_SIZE, max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = USER_AGENT
    session.auth = _no_netrc  # an explicit no-op auth stops requests from reading ~/.netrc
    return session


def _no_netrc(request: Any) -> Any:
    return request


def _root_cause(exc: BaseException) -> str:
    """The innermost reason, e.g. 'Connection refused' instead of urllib3's nested repr."""
    while exc.__cause__ is not None or exc.__context__ is not None:
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    reason = getattr(exc, "reason", None) or exc
    text = str(reason)
    for marker in ("Connection refused", "Name or service not known", "No route to host",
                   "Temporary failure in name resolution", "Network is unreachable", "Connection reset"):
        if marker in text:
            return marker.lower() if marker != "Connection refused" else "connection refused"
    return text.split(": ", 1)[-1][:200] if text else type(exc).__name__
