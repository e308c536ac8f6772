"""One HTTP policy for every provider: destinations, deadlines, size caps, retries, redirects, --debug trace.

requests is imported only when a client is built.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import urljoin

from taskctl.config import Profile
from taskctl.errors import ConfigError, NetworkError, ResponseError, TaskctlError
from taskctl.headers import HEADER_NAME, is_header_text
from taskctl.http import failures
from taskctl.http.deadline import Deadline, Watchdog, budget_end
from taskctl.http.destination import Origin, UnusableURL, byte_count, check_characters, judge, proxies_for
from taskctl.http.destination import host_port as _host_port
from taskctl.http.reach import AnywhereReach, EndpointReach, Reach
from taskctl.http.redact import Redactor, redact_query, redact_signature_params, secret_query_values
from taskctl.http.session import POOL_SIZE as POOL_SIZE

if TYPE_CHECKING:
    import requests

Signer = Callable[[str, str, dict[str, str], bytes], dict[str, str]]
RETRY_STATUSES = frozenset({429, 502, 503, 504})
_LAST = threading.local()  # per thread: how many retries the last request of this thread made


def retries_of_last_request() -> int:
    """How many times this thread's last request was retried: an error about its answer says so."""
    return getattr(_LAST, "retries", 0)


def retried(error: TaskctlError, retries: int) -> TaskctlError:
    """The error, saying it stood after ``retries`` retries (none: as it is)."""
    if not retries:
        return error
    return error.revised(message=f"{error.message} (after {retries} {'retry' if retries == 1 else 'retries'})")
# Each provider adds the headers that carry its secrets (ProviderSpec.secret_header_names).
SECRET_HEADERS = frozenset({"authorization", "x-api-key", "proxy-authorization"})
MAX_REDIRECTS = 5
MAX_RETRY_AFTER = 60.0
MAX_ANSWER_BYTES = 16 * 1024 * 1024  # decoded; no task object or page of them comes near
LAST_REQUEST_ALLOWANCE = 5.0  # seconds a request gets when a time budget (watch --timeout) is already spent
STALL_RATE = 1024  # bytes per second: a streamed body slower than this over a read timeout has stalled
TRACE_BODY_LIMIT = 4000
DOWNLOAD_CHUNK = 64 * 1024
ANSWER_CHUNK = 64 * 1024


class HttpClient:
    """A requests.Session bound to one profile's endpoint and policy.

    ``credentials=False`` makes a client for pre-signed URLs (a package on a storage host): it refuses to
    send any secret header, so it may follow redirects to other hosts and use plain http anywhere; its
    timeouts, retries, TLS settings and trace are the profile's, like every other request.
    """

    def __init__(self, profile: Profile, redact: Redactor | None = None, trace: Callable[[str], None] | None = None,
                 warn: Callable[[str], None] = lambda _message: None, sleep: Callable[[float], None] = time.sleep,
                 credentials: bool = True) -> None:
        self.profile = profile
        self.redact = redact if redact is not None else Redactor()
        self.trace = trace
        self.warn = warn
        self.sleep = sleep
        self.credentials = credentials
        self._session: requests.Session | None = None
        self._lock = threading.Lock()
        self._watchdog = Watchdog()
        self._proxies_by_origin: dict[Origin, dict[str, str]] = {}
        if not profile.tls_verify and profile.endpoint.startswith("https:"):
            warn(f"TLS verification is off for profile '{profile.name}' (tls_verify: false)")
        # The header that carries the profile's secret is never traced, whatever its name.
        from taskctl import providers

        spec = providers.get(profile.provider)
        self._secret_headers = SECRET_HEADERS | spec.secret_header_names(profile.settings)
        self._reach: Reach = EndpointReach(profile) if credentials else AnywhereReach()
        _import_http_stack()

    @property
    def session(self) -> requests.Session:
        # Several fetch threads may ask first at once: one session (one connection pool) for all.
        with self._lock:
            if self._session is None:
                from taskctl.http.session import new_session

                self._session = new_session(quiet_insecure=not self.profile.tls_verify)
            return self._session

    def close(self) -> None:
        if self._session is not None:
            self._session.close()

    def request(self, method: str, url: str, *, headers: Mapping[str, str], json_body: Any = None,
                data: bytes | None = None, sign: Signer | None = None) -> requests.Response:
        """Send with retries and same-origin redirects; the body is read (capped). Raises TaskctlError.

        ``sign`` (method, url, headers, body) -> headers signs every attempt afresh (new date, the redirected path).
        """
        if json_body is not None:
            data = json.dumps(json_body).encode()
            headers = {**headers, "Content-Type": "application/json"}
        return self._exchange(method, url, headers, data, sign)

    def stream(self, url: str, *, headers: Mapping[str, str]) -> requests.Response:
        """GET whose body is left unread: read it with ``iter_body``, then close the response.

        Same retries and redirects as ``request``; the deadline covers the answer's headers; the trace shows the
        headers, not the body.
        """
        return self._exchange("GET", url, headers, None, None, stream=True)

    def iter_body(self, response: requests.Response, chunk_size: int = DOWNLOAD_CHUNK) -> Iterator[bytes]:
        """A streamed body as sent, chunk by chunk as it arrives (no content decoding: Content-Length and
        byte ranges count these bytes). Raises TruncatedBodyError when the server closes before sending what
        it announced, NetworkError when the connection breaks, or brings less than STALL_RATE over a read timeout."""
        from urllib3.exceptions import HTTPError as Urllib3Error

        raw = response.raw
        window = self.profile.timeouts.read
        started, received = time.monotonic(), 0
        try:
            while chunk := raw.read1(chunk_size, decode_content=False):
                yield chunk
                received += len(chunk)
                elapsed = time.monotonic() - started
                if elapsed >= window:
                    if received < STALL_RATE * elapsed:
                        raise NetworkError(f"{_host_port(response.url)} sent {received} bytes in {elapsed:.0f} s, "
                                           f"less than {STALL_RATE // 1024} KiB/s", "the host is stalling; retry later")
                    started, received = time.monotonic(), 0
        except (Urllib3Error, OSError) as exc:
            raise failures.body_error(self.profile, _host_port(response.url), exc) from None

    def wait_before_retry(self, attempt: int, what: str) -> None:
        """Sleep the backoff of retry ``attempt`` (0 first) of something other than a request, e.g. a body."""
        delay = self._backoff(attempt)
        self._trace(f"! {what}; retry {attempt + 1}/{self.profile.retries} in {delay:.1f} s")
        self.sleep(delay)

    # --- one exchange: hops and attempts ----------------------------------------------------------------

    def _exchange(self, method: str, url: str, headers: Mapping[str, str], data: bytes | None,
                  sign: Signer | None, *, stream: bool = False) -> requests.Response:
        self._reach.check_headers(headers, self._secret_headers)
        self._note_url_secrets(url)
        self._check_first_destination(url)
        end = self._end_of_request()
        allowed = round(end - time.monotonic(), 1)
        for _hop in range(MAX_REDIRECTS + 1):
            response = self._send_with_retries(_Send(method, url, headers, data, sign, stream, end, allowed))
            if not response.is_redirect:
                return response
            url = self._redirect_target(url, response)
        raise ResponseError(f"too many redirects from {self._reach.name(url)}")

    def _end_of_request(self) -> float:
        """When this request must be over: the profile's deadline, or sooner within a time budget."""
        now = time.monotonic()
        end = now + self.profile.timeouts.deadline
        budget = budget_end()
        if budget is not None:
            end = min(end, max(budget, now + LAST_REQUEST_ALLOWANCE))
        return end

    def _send_with_retries(self, send: _Send) -> requests.Response:
        attempt = _LAST.retries = 0
        while True:
            outcome = self._attempt(send)
            if isinstance(outcome, _Failed):
                if not outcome.retryable or attempt >= self.profile.retries:
                    raise retried(outcome.error, attempt)
                delay = self._backoff(attempt)
                what = outcome.error.message
            else:
                response = outcome
                if response.status_code not in RETRY_STATUSES or attempt >= self.profile.retries:
                    return response
                retry_after = self._retry_after(response)
                # Retry-After: 0 means now, not "use the backoff"
                delay = self._backoff(attempt) if retry_after is None else retry_after
                what = f"HTTP {response.status_code}"
            if time.monotonic() + delay >= send.end:  # no time left for another attempt: this one stands
                left = max(0.0, send.end - time.monotonic())
                self._trace(f"! {what}; no retry: the request's deadline is {left:.1f} s away")
                if isinstance(outcome, _Failed):
                    raise retried(outcome.error, attempt)
                return outcome
            self._trace(f"! {what}; retry {attempt + 1}/{self.profile.retries} in {delay:.1f} s")
            if not isinstance(outcome, _Failed):
                outcome.close()
            self.sleep(delay)
            attempt = _LAST.retries = attempt + 1

    def _attempt(self, send: _Send) -> requests.Response | _Failed:
        """One attempt: the response (its body read unless streamed), or the error it ended in."""
        import requests

        sent = send.sign(send.method, send.url, dict(send.headers), send.data or b"") if send.sign else \
            dict(send.headers)
        self._redact_secret_headers(sent)
        _check_headers(sent, self._secret_headers)  # what the signer added too (X-Security-Token)
        try:
            prepared = self.session.prepare_request(
                requests.Request(send.method, send.url, headers=sent, data=send.data))
        except (ValueError, requests.RequestException) as exc:  # their messages quote the URL or a header value
            raise ResponseError(f"taskctl cannot prepare a request to this URL ({type(exc).__name__})") from None
        origin = self._check_prepared(send.url, prepared.url or "")
        self._trace_request(send.method, prepared.url or send.url, sent, send.data)
        deadline = Deadline(max(0.001, send.end - time.monotonic()))
        started = time.monotonic()
        try:
            with self._watchdog.guard(deadline):
                response = self._send_prepared(prepared, origin, deadline)
                if not send.stream and not response.is_redirect:
                    self._read_answer(response, str(origin))
        except requests.RequestException as exc:
            return self._failure(exc, str(origin), deadline, send.allowed)
        if deadline.expired:  # the shut socket may read as a short but complete answer
            response.close()
            return self._failure(None, str(origin), deadline, send.allowed)
        self._note_url_secrets(response.headers.get("Location"))
        self._redact_secret_headers(response.headers)  # a token handed out (X-Subject-Token): hidden from the trace on
        self._trace_response(response, time.monotonic() - started, streamed=send.stream)
        return response

    def _send_prepared(self, prepared: requests.PreparedRequest, origin: Origin,
                       deadline: Deadline) -> requests.Response:
        """Straight to the adapter: Session.send would also parse a redirect's Location (and may crash on it)."""
        from requests.cookies import extract_cookies_to_jar

        url = prepared.url or ""
        proxies = self._proxies(origin, url)
        response = self.session.get_adapter(url).send(
            prepared, stream=True, verify=self._verify(), proxies=proxies,
            timeout=(min(self.profile.timeouts.connect, deadline.seconds),
                     min(self.profile.timeouts.read, deadline.seconds)))
        extract_cookies_to_jar(self.session.cookies, prepared, response.raw)
        return response

    def _proxies(self, origin: Origin, url: str) -> dict[str, str]:
        """The proxies for ``url``. A plain-http proxy would read credentials sent over plain http: refused.

        Looked up once per origin and client (the environment does not change under a command; requests would
        scan it twice per request)."""
        from requests.utils import select_proxy

        proxies = self._proxies_by_origin.get(origin)
        if proxies is None:
            proxies = self._proxies_by_origin[origin] = proxies_for(origin, url)
        self._reach.check_proxy(origin, bool(select_proxy(url, proxies)))
        return proxies

    def _failure(self, exc: requests.RequestException | None, host: str, deadline: Deadline,
                 allowed: float) -> _Failed:
        if deadline.expired or exc is None:
            return _Failed(failures.deadline_error(host, allowed), retryable=False)
        return _Failed(failures.network_error(self.profile, host, exc), retryable=failures.transient(exc))

    def _read_answer(self, response: requests.Response, host: str) -> None:
        """Read the whole (decoded) body into ``response.content``, refusing more than MAX_ANSWER_BYTES."""
        declared = _content_length(response)
        if declared is not None and declared > MAX_ANSWER_BYTES:
            response.close()
            raise _too_large(host)
        body = bytearray()
        for chunk in response.iter_content(ANSWER_CHUNK):
            body += chunk
            if len(body) > MAX_ANSWER_BYTES:
                response.close()
                raise _too_large(host)
        response._content = bytes(body)  # what response.content returns from now on

    # --- destinations -----------------------------------------------------------------------------------

    def _check_first_destination(self, url: str) -> None:
        try:
            origin = judge(url)
        except UnusableURL as exc:
            self._reach.check_first(url, None, exc)
            return
        self._reach.check_first(url, origin, None)

    def _check_prepared(self, url: str, prepared_url: str) -> Origin:
        """The origin the socket will open to: the same for the URL we judged and the one requests prepared,
        and for a client with credentials, the endpoint's own."""
        try:
            origin = judge(prepared_url)
        except UnusableURL as exc:
            raise ResponseError(f"taskctl does not send requests to this URL: {exc}") from None
        if origin != judge(url):
            raise ResponseError("taskctl does not send requests to this URL: URL parsers read its host differently")
        self._reach.check_origin(origin)
        return origin

    def _redirect_target(self, url: str, response: requests.Response) -> str:
        location = response.headers.get("Location")
        response.close()
        if not location:
            raise ResponseError(f"{_host_port(url)} answered HTTP {response.status_code} (a redirect) without a "
                                "Location")
        try:
            check_characters(location)  # before urljoin, which silently drops tabs and line breaks
            target = urljoin(url, location)
            origin = judge(target)
        except (ValueError, UnusableURL) as exc:
            raise ResponseError(f"{_host_port(url)} redirected to a URL taskctl does not follow: {exc}") from None
        self._note_url_secrets(target)
        self._trace(f"< redirect to {redact_query(target)}")
        self._reach.check_redirect(origin, judge(url))
        return target

    def _note_url_secrets(self, url: str | None) -> None:
        """A pre-signed URL's signature is a secret: hide it wherever it shows up (traces, errors)."""
        if url:
            self.redact.add(*secret_query_values(url))

    def _redact_secret_headers(self, headers: Mapping[str, str]) -> None:
        """A secret header's value (a token, a signature; sent, or handed out by a server) is hidden wherever it
        shows up, the traced body of the answer that carried it included."""
        for name, value in headers.items():
            if name.lower() in self._secret_headers:
                self.redact.add(value, *(part.split("=", 1)[1] for part in value.split(", ")
                                         if part.startswith("Signature=")))

    def _verify(self) -> bool | str:
        import os

        if self.profile.ca_bundle:
            if not os.path.isfile(self.profile.ca_bundle):
                raise ConfigError(f"profile '{self.profile.name}': ca_bundle {self.profile.ca_bundle} is not a file",
                                  f"fix `ca_bundle:` in {self.profile.source}")
            return self.profile.ca_bundle
        if self.profile.tls_verify:  # as requests does when it reads the environment
            return os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
        return False

    @staticmethod
    def _backoff(attempt: int) -> float:
        """Exponential backoff with full jitter: 0.5 s, 1 s, 2 s ... ceilings, capped at 8 s."""
        return random.uniform(0.1, min(8.0, 0.5 * 2**attempt))

    @staticmethod
    def _retry_after(response: requests.Response) -> float | None:
        value = response.headers.get("Retry-After", "").strip()
        if not value:
            return None
        if value.isascii() and value.isdigit():
            seconds = float(value)
        else:
            from email.utils import parsedate_to_datetime

            try:
                seconds = parsedate_to_datetime(value).timestamp() - time.time()
            except (TypeError, ValueError, IndexError, OverflowError):
                return None
        return max(0.0, min(seconds, MAX_RETRY_AFTER))

    # --- --debug trace ----------------------------------------------------------------------------------

    def _trace(self, *lines: str) -> None:
        """Write trace lines as one block: concurrent requests must not interleave inside it."""
        if self.trace:
            with _TRACE_LOCK:
                for line in lines:
                    self.trace(redact_signature_params(self.redact(line)))

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


class _Send(NamedTuple):
    """What one exchange sends on each attempt of one hop, and when it must be over (monotonic)."""

    method: str
    url: str
    headers: Mapping[str, str]
    data: bytes | None
    sign: Signer | None
    stream: bool
    end: float
    allowed: float  # seconds from the start of the exchange to ``end``, for messages


class _Failed(NamedTuple):
    """An attempt that got no usable answer, and whether another attempt may help."""

    error: TaskctlError
    retryable: bool


_TRACE_LOCK = threading.Lock()


def _import_http_stack() -> None:
    """Import what sending needs now, in this thread: fetch threads importing a module for the first time at once
    can trip the import lock's deadlock detection (_DeadlockError)."""
    import http.client  # noqa: F401

    import requests.adapters  # noqa: F401
    import requests.cookies  # noqa: F401
    import requests.utils  # noqa: F401
    import urllib3.exceptions  # noqa: F401
    import urllib3.util  # noqa: F401


def _too_large(host: str) -> ResponseError:
    return ResponseError(f"the answer from {host} is larger than {MAX_ANSWER_BYTES // (1024 * 1024)} MiB; "
                         "taskctl stopped reading it", "check the profile's endpoint: no API answer is that large")


def _content_length(response: requests.Response) -> int | None:
    return byte_count(response.headers.get("Content-Length", "").strip())


def _check_headers(headers: Mapping[str, str], secret_headers: frozenset[str]) -> None:
    """Headers http.client would reject (or worse, split): say which one, never its value."""
    for name, value in headers.items():
        if not HEADER_NAME.fullmatch(name):
            raise ConfigError(f"{name!r} is not a valid HTTP header name",
                              "fix the header name in the profile (e.g. Authorization or X-API-Key)")
        if not _sendable(value):
            secret = name.lower() in secret_headers
            raise ConfigError(f"the {name} header cannot be sent: its value holds a line break, a control "
                              "character, surrounding blanks or a character outside Latin-1",
                              "set the secret again without them (taskctl auth login NAME, or the environment "
                              "variable it came from)"
                              if secret else None)


def _sendable(value: str) -> bool:
    """What requests and http.client send unchanged: header text without surrounding blanks (else requests raises
    an error that quotes the value, a secret)."""
    return is_header_text(value) and value == value.strip()

