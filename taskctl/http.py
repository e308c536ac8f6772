"""One HTTP policy for every provider: timeouts, retries, redirects, secret safety, --debug trace.

requests is imported here and nowhere else, and only when a client is built.
"""

from __future__ import annotations

import ipaddress
import json
import random
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, quote_plus, unquote_plus, urljoin, urlsplit

from taskctl.config import Profile
from taskctl.errors import ConfigError, NetworkError, ResponseError, TaskctlError

if TYPE_CHECKING:
    import requests

Signer = Callable[[str, str, dict[str, str], bytes], dict[str, str]]
RETRY_STATUSES = frozenset({429, 502, 503, 504})
SECRET_HEADERS = frozenset({"authorization", "x-api-key", "x-auth-token", "x-security-token", "proxy-authorization"})
MAX_REDIRECTS = 5
MAX_RETRY_AFTER = 60.0
TRACE_BODY_LIMIT = 4000
POOL_SIZE = 8
USER_AGENT = "taskctl/0.1"
DOWNLOAD_CHUNK = 64 * 1024
# Query parameters that carry a signature or a token: pre-signed storage URLs (S3 `X-Amz-Signature`, OBS
# `Signature`, Azure SAS `sig`, GCS `X-Goog-Signature`) and their temporary-credential tokens.
SECRET_QUERY_PARAMS = frozenset({"sig", "signature", "x-amz-signature", "x-amz-security-token", "x-goog-signature",
                                 "x-obs-security-token", "security-token", "token", "access_token", "kdstoken"})


# The same parameters inside any traced text (a task object holding a pre-signed link), also as JSON
# encoders that escape & and = (Gson: \u0026, \u003d) write them.
_SECRET_QUERY_IN_TEXT = re.compile(
    r"((?:[?&;]|\\u0026)(?:" + "|".join(re.escape(name) for name in sorted(SECRET_QUERY_PARAMS)) +
    r")(?:=|\\u003[dD]))[^&#\s\"'<>\\]+", re.IGNORECASE)


class TruncatedBodyError(ResponseError):
    """The server closed the connection before sending all the bytes it announced (Content-Length)."""


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


def _is_secret_param(pair: str) -> bool:
    return unquote_plus(pair.split("=", 1)[0]).lower() in SECRET_QUERY_PARAMS


def secret_query_values(url: str) -> list[str]:
    """The values of a URL's signature/token query parameters, as written in it and percent-decoded."""
    values: list[str] = []
    for pair in urlsplit(url).query.split("&"):
        if "=" in pair and _is_secret_param(pair):
            value = pair.split("=", 1)[1]
            values += [value, unquote_plus(value)]
    return [value for value in values if value]


def redact_query(url: str) -> str:
    """The URL with the values of its signature/token query parameters shown as ***."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    pairs = [pair.split("=", 1)[0] + "=***" if "=" in pair and _is_secret_param(pair) else pair
             for pair in parts.query.split("&")]
    return parts._replace(query="&".join(pairs)).geturl()


# JSON body fields that hold a secret whatever its length (traced request bodies).
_SECRET_FIELDS = re.compile(r'("(?:kdstoken|access_token|password|secret_key)"\s*:\s*)"(?:[^"\\]|\\.)*"')


class Redactor:
    """Replaces every known secret value in text with ***."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: set[str] = set()
        self.add(*secrets)

    def add(self, *secrets: str) -> None:
        # Very short values would redact innocent text; real tokens are long.
        for secret in secrets:
            if secret and len(secret) >= 4:
                # Also the forms a server may echo it in: JSON-escaped (\/, \uXXXX) and percent-encoded.
                self._secrets.update({secret, json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1],
                                      secret.replace("/", "\\/"), quote(secret, safe=""), quote_plus(secret)})

    def __call__(self, text: str) -> str:
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, "***")
        return _SECRET_FIELDS.sub(r'\1"***"', text)


@dataclass
class HttpClient:
    """A requests.Session bound to one profile's endpoint and policy.

    ``credentials=False`` makes a client for pre-signed URLs (a package on a storage host): it refuses to
    send any secret header, so it may follow redirects to other hosts and use plain http anywhere; its
    timeouts, retries, TLS settings and trace are the profile's, like every other request.
    """

    profile: Profile
    redact: Redactor = field(default_factory=Redactor)
    trace: Callable[[str], None] | None = None
    warn: Callable[[str], None] = lambda _message: None
    sleep: Callable[[float], None] = time.sleep
    credentials: bool = True
    _session: requests.Session | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        if not self.profile.tls_verify and urlsplit(self.profile.endpoint).scheme == "https":
            self.warn(f"TLS verification is off for profile '{self.profile.name}' (tls_verify: false)")
        # The header that carries the profile's secret is never traced, whatever its name.
        self._secret_headers = SECRET_HEADERS | {self.profile.auth_header.lower()}

    @property
    def session(self) -> requests.Session:
        # Several fetch threads may ask first at once: one session (one connection pool) for all.
        with self._lock:
            if self._session is None:
                self._session = _new_session(quiet_insecure=not self.profile.tls_verify)
            return self._session

    def close(self) -> None:
        if self._session is not None:
            self._session.close()

    def request(self, method: str, url: str, *, headers: Mapping[str, str], json_body: Any = None,
                data: bytes | None = None, sign: Signer | None = None) -> requests.Response:
        """Send with retries and same-origin redirects. Raises NetworkError/ConfigError/ResponseError.

        ``sign`` (method, url, headers, body) -> headers signs every attempt afresh (new date, the redirected path).
        """
        if json_body is not None:
            data = json.dumps(json_body).encode()
            headers = {**headers, "Content-Type": "application/json"}
        return self._exchange(method, url, headers, data, sign)

    def stream(self, url: str, *, headers: Mapping[str, str]) -> requests.Response:
        """GET whose body is left unread: read it with ``iter_body``, then close the response.

        Same retries and redirects as ``request``; the trace shows the headers, not the body.
        """
        return self._exchange("GET", url, headers, None, None, stream=True)

    def iter_body(self, response: requests.Response, chunk_size: int = DOWNLOAD_CHUNK) -> Iterator[bytes]:
        """A streamed body as sent, chunk by chunk as it arrives (no content decoding: Content-Length and
        byte ranges count these bytes). Raises TruncatedBodyError when the server closes before sending what
        it announced, NetworkError when the connection breaks or stalls for the read timeout."""
        from urllib3.exceptions import HTTPError as Urllib3Error

        raw = response.raw
        read1 = getattr(raw, "read1", None)  # urllib3 >= 2.1: what has arrived, up to chunk_size
        try:
            if read1 is None:
                yield from raw.stream(chunk_size, decode_content=False)
                return
            while chunk := read1(chunk_size, decode_content=False):
                yield chunk
        except (Urllib3Error, OSError) as exc:
            raise self._body_error(response.url, exc) from None

    def wait_before_retry(self, attempt: int, what: str) -> None:
        """Sleep the backoff of retry ``attempt`` (0 first) of something other than a request, e.g. a body."""
        delay = self._backoff(attempt)
        self._trace(f"! {what}; retry {attempt + 1}/{self.profile.retries} in {delay:.1f} s")
        self.sleep(delay)

    def _exchange(self, method: str, url: str, headers: Mapping[str, str], data: bytes | None,
                  sign: Signer | None, *, stream: bool = False) -> requests.Response:
        self._check_destination(url)
        self._check_headers(headers)
        self._note_url_secrets(url)
        for _hop in range(MAX_REDIRECTS + 1):
            response = self._send_with_retries(method, url, headers, data, sign, stream=stream)
            if not response.is_redirect:
                return response
            url = self._redirect_target(url, response)
        raise ResponseError(f"too many redirects from {self.profile.endpoint if self.credentials else _host_port(url)}")

    def _check_headers(self, headers: Mapping[str, str]) -> None:
        _check_headers(headers, self._secret_headers)
        if not self.credentials:
            secret = sorted(name for name in headers if name.lower() in self._secret_headers)
            if secret:  # a bug, not a user error: this client may send requests anywhere
                raise ValueError(f"a client without credentials may not send {', '.join(secret)}")

    def _note_url_secrets(self, url: str | None) -> None:
        """A pre-signed URL's signature is a secret: hide it wherever it shows up (traces, errors)."""
        if url:
            self.redact.add(*secret_query_values(url))

    def _check_destination(self, url: str) -> None:
        if not self.credentials:
            return  # nothing secret travels: plain http is the storage host's choice
        scheme, host, _port = origin(url)
        if scheme == "http" and not is_loopback(host) and not self.profile.allow_http:
            raise ConfigError(f"refusing to send credentials over plain http to {host}",
                              f"use an https:// endpoint, or set `allow_http: true` in profile "
                              f"'{self.profile.name}' if you accept the risk")

    def _redirect_target(self, url: str, response: requests.Response) -> str:
        target = urljoin(url, response.headers.get("Location", ""))
        response.close()
        self._note_url_secrets(target)
        self._trace(f"< redirect to {redact_query(_without_userinfo(target))}")
        if not self.credentials:
            scheme = urlsplit(target).scheme
            if scheme not in ("http", "https"):
                raise ResponseError(f"{_host_port(url)} redirected to a {scheme}: URL, which taskctl does not follow")
            return target
        if origin(target) != origin(url):
            host = _host_port(target)
            raise ResponseError(f"the service redirected to another host ({host}); "
                                "taskctl does not send credentials there",
                                "if that host is the real API, use it as the profile's endpoint")
        return target

    def _send_with_retries(self, method: str, url: str, headers: Mapping[str, str],
                           data: bytes | None, sign: Signer | None = None, *,
                           stream: bool = False) -> requests.Response:
        import requests

        attempt = 0
        while True:
            sent = sign(method, url, dict(headers), data or b"") if sign else dict(headers)
            self._redact_secret_headers(sent)
            self._trace_request(method, url, sent, data)
            started = time.monotonic()
            try:
                response = self.session.request(
                    method, url, headers=sent, data=data, allow_redirects=False, stream=stream,
                    timeout=(self.profile.timeouts.connect, self.profile.timeouts.read),
                    verify=self._verify(), proxies=self._proxies(url))
            except requests.RequestException as exc:
                error = self._network_error(url, exc)
                if attempt >= self.profile.retries or not _transient(exc):
                    raise error from None
                delay = self._backoff(attempt)
                self._trace(f"! {error.message}; retry {attempt + 1}/{self.profile.retries} in {delay:.1f} s")
            else:
                self._note_url_secrets(response.headers.get("Location"))
                self._trace_response(response, time.monotonic() - started, streamed=stream)
                if response.status_code not in RETRY_STATUSES or attempt >= self.profile.retries:
                    return response
                retry_after = self._retry_after(response)
                # Retry-After: 0 means now, not "use the backoff"
                delay = self._backoff(attempt) if retry_after is None else retry_after
                self._trace(f"! HTTP {response.status_code}; retry {attempt + 1}/{self.profile.retries} "
                            f"in {delay:.1f} s")
                response.close()
            self.sleep(delay)
            attempt += 1

    def _redact_secret_headers(self, headers: Mapping[str, str]) -> None:
        """A secret header's value (a token, a signature) is hidden wherever a server echoes it back."""
        for name, value in headers.items():
            if name.lower() in self._secret_headers:
                self.redact.add(value, *(part.split("=", 1)[1] for part in value.split(", ")
                                         if part.startswith("Signature=")))

    def _verify(self) -> bool | str:
        if self.profile.ca_bundle:
            import os

            if not os.path.isfile(self.profile.ca_bundle):
                raise ConfigError(f"profile '{self.profile.name}': ca_bundle {self.profile.ca_bundle} is not a file",
                                  f"fix `ca_bundle:` in {self.profile.source}")
            return self.profile.ca_bundle
        return self.profile.tls_verify

    @staticmethod
    def _proxies(url: str) -> Any:  # None values remove a proxy taken from the environment
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
        from urllib3.exceptions import ReadTimeoutError

        host = _host_port(url)
        chain = list(_chain(exc))
        if isinstance(exc, requests.exceptions.SSLError):
            reason = _root_cause(exc)
            if "CERTIFICATE_VERIFY_FAILED" in str(exc) or "certificate" in reason.lower():
                return NetworkError(f"TLS verification failed for {host}: {reason}",
                                    "if the service uses a private CA, set `ca_bundle:` in the profile")
            return NetworkError(f"TLS handshake with {host} failed: {reason}",
                                "check that the endpoint really speaks https (or is it http://?) and its port")
        if isinstance(exc, requests.exceptions.ConnectTimeout):
            return NetworkError(f"timed out connecting to {host} after {self.profile.timeouts.connect:g} s",
                                "check the endpoint and your network, or raise `timeout:` in the profile")
        if isinstance(exc, requests.exceptions.Timeout) or any(isinstance(e, ReadTimeoutError) for e in chain):
            # A stall in the middle of the body surfaces as a ConnectionError wrapping ReadTimeoutError.
            return NetworkError(f"{host} did not answer within {self.profile.timeouts.read:g} s",
                                "the service may be overloaded; retry later or raise `timeout:` in the profile")
        if isinstance(exc, requests.exceptions.ConnectionError) and not _broke_after_connect(chain):
            return NetworkError(f"cannot connect to {host}: {_root_cause(exc)}",
                                "check the profile's endpoint and your network")
        if isinstance(exc, requests.exceptions.ConnectionError | requests.exceptions.ChunkedEncodingError):
            return NetworkError(f"the connection to {host} broke before a full answer arrived: {_root_cause(exc)}",
                                "retry; if it persists, check the profile's endpoint and any proxy in between")
        # InvalidURL, InvalidHeader, ...: the message may quote a header value, so name only the kind.
        return NetworkError(f"request to {host} failed: {type(exc).__name__}")

    def _body_error(self, url: str, exc: BaseException) -> TaskctlError:
        """What broke while a streamed body was arriving."""
        from http.client import IncompleteRead

        from urllib3.exceptions import ReadTimeoutError

        host = _host_port(url)
        chain = list(_chain(exc))
        if any(isinstance(e, ReadTimeoutError | TimeoutError) for e in chain):
            return NetworkError(f"{host} stopped sending for {self.profile.timeouts.read:g} s",
                                "the service may be overloaded; retry later or raise `timeout:` in the profile")
        if any(isinstance(e, IncompleteRead) for e in chain):
            return TruncatedBodyError(f"{host} closed the connection before sending all it announced")
        return NetworkError(f"the connection to {host} broke: {_root_cause(exc)}")

    def _trace(self, *lines: str) -> None:
        """Write trace lines as one block: concurrent requests must not interleave inside it."""
        if self.trace:
            with _TRACE_LOCK:
                for line in lines:
                    self.trace(_SECRET_QUERY_IN_TEXT.sub(r"\1***", self.redact(line)))

    def _body_lines(self, prefix: str, data: bytes) -> list[str]:
        # Redact the whole text first: cutting first could leave the head of a secret behind.
        text = self.redact(data.decode("utf-8", "replace"))
        if len(text) > TRACE_BODY_LIMIT:
            text = text[:TRACE_BODY_LIMIT] + f"... ({len(data)} bytes)"
        return [prefix + line for line in text.splitlines()]

    def _header_lines(self, prefix: str, headers: Mapping[str, str]) -> list[str]:
        return [f"{prefix}{name}: {'<redacted>' if name.lower() in self._secret_headers else value}"
                for name, value in headers.items()]

    def _trace_request(self, method: str, url: str, headers: Mapping[str, str], data: bytes | None) -> None:
        if self.trace:
            body = self._body_lines("> ", data) if data else []
            self._trace(f"> {method} {redact_query(url)}", *self._header_lines("> ", headers), *body)

    def _trace_response(self, response: requests.Response, elapsed: float, streamed: bool = False) -> None:
        if self.trace:
            body = [] if response.is_redirect or streamed else self._body_lines("< ", response.content)
            request = response.request
            sent = request.body if isinstance(request.body, bytes) and len(request.body) <= 120 else b""
            about = f"{request.method} {redact_query(request.url or '')} {sent.decode('utf-8', 'replace')}".rstrip()
            self._trace(f"< HTTP {response.status_code} {response.reason} ({elapsed * 1000:.0f} ms) for {about}",
                        *self._header_lines("< ", response.headers), *body)


_TRACE_LOCK = threading.Lock()
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


def _check_headers(headers: Mapping[str, str], secret_headers: frozenset[str]) -> None:
    """Headers http.client would reject (or worse, split): say which one, never its value."""
    for name, value in headers.items():
        if not _HEADER_NAME.fullmatch(name):
            raise ConfigError(f"{name!r} is not a valid HTTP header name",
                              "fix `auth_header:` in the profile (e.g. Authorization or X-API-Key)")
        try:
            value.encode("latin-1")
            bad = any(c in value for c in "\r\n\0")
        except UnicodeEncodeError:
            bad = True
        if bad:
            secret = name.lower() in secret_headers
            raise ConfigError(f"the {name} header cannot be sent: its value holds a line break or a character "
                              "outside Latin-1",
                              "set the token again (taskctl auth login NAME, or $TASKCTL_TOKEN) without them"
                              if secret else None)


def _transient(exc: Exception) -> bool:
    """Worth another attempt: connection failures and timeouts, not TLS or malformed requests."""
    import requests

    if isinstance(exc, requests.exceptions.SSLError):
        return False
    return isinstance(exc, requests.exceptions.ConnectionError | requests.exceptions.Timeout |
                      requests.exceptions.ChunkedEncodingError)


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        reason = getattr(current, "reason", None)
        current = current.__cause__ or current.__context__ or (reason if isinstance(reason, BaseException)
                                                               else None)


def _broke_after_connect(chain: list[BaseException]) -> bool:
    """The socket was open and the peer closed or reset it (not a failure to connect)."""
    from http.client import IncompleteRead, RemoteDisconnected

    from urllib3.exceptions import ProtocolError

    return any(isinstance(e, RemoteDisconnected | IncompleteRead | ProtocolError | ConnectionResetError)
               for e in chain)


def _host_port(url: str) -> str:
    """host[:port] of a URL, without any user:password@ part."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    return f"{host}:{port}" if port else host


def _without_userinfo(url: str) -> str:
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]).geturl()


def _new_session(quiet_insecure: bool = False) -> requests.Session:
    import requests
    from requests.adapters import HTTPAdapter

    if quiet_insecure:
        # The profile chose tls_verify: false and we warned once; urllib3 would repeat it on every request.
        import warnings

        from urllib3.exceptions import InsecureRequestWarning

        warnings.filterwarnings("ignore", category=InsecureRequestWarning)

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
    """The innermost reason, e.g. 'connection refused' instead of urllib3's nested repr."""
    innermost = list(_chain(exc))[-1]
    text = str(innermost)
    for marker in ("Connection refused", "Name or service not known", "No route to host",
                   "Temporary failure in name resolution", "Network is unreachable", "Connection reset",
                   "No address associated with hostname"):
        if marker.lower() in text.lower():
            return marker.lower()
    if isinstance(innermost, OSError) and innermost.strerror:
        text = innermost.strerror
    text = text.split(": ", 1)[-1] if text.startswith(("HTTPConnectionPool", "HTTPSConnectionPool")) else text
    text = re.sub(r"\s*\(_ssl\.c:\d+\)$", "", text)  # "... wrong version number (_ssl.c:1006)"
    return text[:200] if text else type(innermost).__name__
