"""What went wrong on the wire, in words a user can act on (never quoting a header value or a secret)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from taskctl.config import Profile
from taskctl.errors import ConfigError, NetworkError, ResponseError, TaskctlError


class TruncatedBodyError(ResponseError):
    """The server closed the connection before sending all the bytes it announced (Content-Length)."""


def network_error(profile: Profile, host: str, exc: Exception) -> TaskctlError:
    """The TaskctlError for a requests exception raised while sending to ``host``."""
    return _setup_error(host, exc) or _wire_error(profile, host, exc)


def _setup_error(host: str, exc: Exception) -> TaskctlError | None:
    """TLS and proxy problems: what stands between taskctl and the host."""
    import requests

    if isinstance(exc, requests.exceptions.SSLError):
        reason = root_cause(exc)
        if "CERTIFICATE_VERIFY_FAILED" in str(exc) or "certificate" in reason.lower():
            return NetworkError(f"TLS verification failed for {host}: {reason}",
                                "if the service uses a private CA, set `ca_bundle:` in the profile")
        return NetworkError(f"TLS handshake with {host} failed: {reason}",
                            "check that the endpoint really speaks https (or is it http://?) and its port")
    if isinstance(exc, requests.exceptions.InvalidSchema) and "SOCKS" in str(exc):
        return ConfigError(f"the proxy for {host} (from $ALL_PROXY or $HTTPS_PROXY) is a SOCKS proxy, which needs "
                           "PySocks", "pip install 'requests[socks]', or set $NO_PROXY for this host")
    if isinstance(exc, requests.exceptions.InvalidProxyURL):
        return ConfigError(f"the proxy for {host} (from $HTTPS_PROXY, $HTTP_PROXY or $ALL_PROXY) is not a valid URL",
                           "fix the proxy variable, or set $NO_PROXY for this host")
    if isinstance(exc, requests.exceptions.ProxyError):
        return NetworkError(f"cannot reach {host} through the proxy (from $HTTPS_PROXY, $HTTP_PROXY or "
                            f"$ALL_PROXY): {root_cause(exc)}", "check the proxy, or set $NO_PROXY for this host")
    return None


def _wire_error(profile: Profile, host: str, exc: Exception) -> TaskctlError:
    """Timeouts, broken or malformed answers, refused connections."""
    import requests
    from urllib3.exceptions import ReadTimeoutError

    chain = list(chain_of(exc))
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return NetworkError(f"timed out connecting to {host} after {profile.timeouts.connect:g} s",
                            "check the endpoint and your network, or raise `timeout:` in the profile")
    if isinstance(exc, requests.exceptions.Timeout) or any(isinstance(e, ReadTimeoutError) for e in chain):
        # A stall in the middle of the body surfaces as a ConnectionError wrapping ReadTimeoutError.
        return NetworkError(f"{host} did not answer within {profile.timeouts.read:g} s",
                            "the service may be overloaded; retry later or raise `timeout:` in the profile")
    if isinstance(exc, requests.exceptions.ContentDecodingError):
        return ResponseError(f"{host} sent an answer whose compression is broken")
    malformed = malformed_http(chain)
    if malformed:
        return ResponseError(f"{host} sent a malformed HTTP answer ({malformed})",
                             "check the endpoint, and any proxy in between")
    if isinstance(exc, requests.exceptions.ConnectionError) and not broke_after_connect(chain):
        return NetworkError(f"cannot connect to {host}: {root_cause(exc)}",
                            "check the profile's endpoint and your network")
    if isinstance(exc, requests.exceptions.ConnectionError | requests.exceptions.ChunkedEncodingError):
        return NetworkError(f"the connection to {host} broke before a full answer arrived: {root_cause(exc)}",
                            "retry; if it persists, check the profile's endpoint and any proxy in between")
    # InvalidURL, InvalidHeader, ...: the message may quote a header value, so name only the kind.
    return NetworkError(f"request to {host} failed: {type(exc).__name__}")


def deadline_error(host: str, seconds: float) -> NetworkError:
    return NetworkError(f"{host} did not finish answering within {seconds:g} s (the request's deadline)",
                        "the service is too slow; retry later, or raise `timeout: {total: S}` in the profile")


def body_error(profile: Profile, host: str, exc: BaseException) -> TaskctlError:
    """What broke while a streamed body was arriving."""
    from http.client import IncompleteRead

    from urllib3.exceptions import ReadTimeoutError

    chain = list(chain_of(exc))
    if any(isinstance(e, ReadTimeoutError | TimeoutError) for e in chain):
        return NetworkError(f"{host} stopped sending for {profile.timeouts.read:g} s",
                            "the service may be overloaded; retry later or raise `timeout:` in the profile")
    if any(isinstance(e, IncompleteRead) for e in chain):
        return TruncatedBodyError(f"{host} closed the connection before sending all it announced")
    return NetworkError(f"the connection to {host} broke: {root_cause(exc)}")


def malformed_http(chain: list[BaseException]) -> str | None:
    """What was wrong with an answer that is not well-formed HTTP, or None when nothing was."""
    from http.client import BadStatusLine, HTTPException, IncompleteRead, LineTooLong, RemoteDisconnected

    from urllib3.exceptions import InvalidChunkLength, InvalidHeader

    for error in chain:
        if isinstance(error, InvalidChunkLength):  # before IncompleteRead: it is one
            return "a broken chunked encoding"
        if isinstance(error, RemoteDisconnected | IncompleteRead):
            return None  # the connection broke: worth a retry
        if isinstance(error, LineTooLong):
            return "a line too long"
        if isinstance(error, BadStatusLine):
            return "no valid status line"
        if isinstance(error, InvalidHeader) or type(error).__name__ == "InvalidHeader":
            return "a malformed or contradictory header"
        if isinstance(error, HTTPException):
            return "too many headers" if "headers" in str(error) else "not HTTP/1.1"
    return None


def transient(exc: Exception) -> bool:
    """Worth another attempt: connection failures and timeouts, not TLS, proxies' setup or malformed requests."""
    import requests

    if isinstance(exc, requests.exceptions.SSLError | requests.exceptions.InvalidProxyURL |
                  requests.exceptions.ContentDecodingError) or malformed_http(list(chain_of(exc))):
        return False
    return isinstance(exc, requests.exceptions.ConnectionError | requests.exceptions.Timeout |
                      requests.exceptions.ChunkedEncodingError)


def chain_of(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        reason = getattr(current, "reason", None)
        current = current.__cause__ or current.__context__ or (reason if isinstance(reason, BaseException)
                                                               else None)


def broke_after_connect(chain: list[BaseException]) -> bool:
    """The socket was open and the peer closed or reset it (not a failure to connect)."""
    from http.client import IncompleteRead, RemoteDisconnected

    from urllib3.exceptions import ProtocolError

    return any(isinstance(e, RemoteDisconnected | IncompleteRead | ProtocolError | ConnectionResetError)
               for e in chain)


def root_cause(exc: BaseException) -> str:
    """The innermost reason, e.g. 'connection refused' instead of urllib3's nested repr."""
    innermost = list(chain_of(exc))[-1]
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
