"""Where a request really goes: one reading of a URL that every parser on the way agrees with, and proxies.

requests picks the host to connect to with ``urllib.parse`` on the URL it prepared with urllib3's
``parse_url``; a URL that the two read differently (a backslash, an ``@`` in an odd place, a bad port, a
bracketed IPv4) could pass a check made with one and open a socket with the other. Such URLs are refused.
"""

from __future__ import annotations

import ipaddress
import re
from typing import NamedTuple
from urllib.parse import urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443}
# A host name (letters, digits, '-', '_', '.') or a bracketed IPv6 literal; nothing else reaches a socket.
_HOST_NAME = re.compile(r"[A-Za-z0-9_.-]+")


class UnusableURL(ValueError):
    """A URL taskctl will not send a request to; the message never quotes it (it may hold a signature)."""


class Origin(NamedTuple):
    scheme: str
    host: str  # lower case; an IPv6 literal without brackets
    port: int

    @property
    def loopback(self) -> bool:
        return is_loopback(self.host)

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == DEFAULT_PORTS.get(self.scheme) else f"{host}:{self.port}"


def is_loopback(host: str | None) -> bool:
    """localhost, 127/8 however the socket reads it (127.1, 2130706433), ::1 and IPv4-mapped loopback.

    Strict on purpose: it decides that credentials may go over plain http. `localhost.` and `x.localhost` are
    left to the resolver, which may ask DNS."""
    name = (host or "").strip("[]").lower()
    if not name:
        return False
    if name == "localhost":
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return _short_ipv4_loopback(name)
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or bool(mapped and mapped.is_loopback)


def _short_ipv4_loopback(name: str) -> bool:
    """127.1 or 2130706433: what inet_aton, and so the socket, reads as an IPv4 address."""
    import socket

    if not all(part.isascii() and part.isalnum() for part in name.split(".")):
        return False
    try:
        return socket.inet_aton(name)[0] == 127
    except OSError:
        return False


def judge(url: str) -> Origin:
    """The origin a request to ``url`` connects to, or UnusableURL when parsers could disagree about it."""
    from urllib3.exceptions import LocationParseError
    from urllib3.util import parse_url

    check_characters(url)
    try:
        split = urlsplit(url)
        split_port = split.port
        parsed = parse_url(url)
    except (ValueError, LocationParseError) as exc:
        raise UnusableURL(_why_unparsable(exc)) from None
    scheme = (split.scheme or "").lower()
    if scheme not in DEFAULT_PORTS:
        raise UnusableURL(f"its scheme is {scheme or 'missing'}, not http or https")
    if "@" in split.netloc or parsed.auth:
        raise UnusableURL("it carries a user name or password (an '@' before the host)")
    host = _ascii_host((split.hostname or "").lower())
    if not host or not (_HOST_NAME.fullmatch(host) or _is_ipv6(host)):
        raise UnusableURL("its host is empty or not a host name")
    port = split_port or DEFAULT_PORTS[scheme]
    their_host = (parsed.host or "").lower().strip("[]")
    if (parsed.scheme or "").lower() != scheme or their_host != host or (parsed.port or DEFAULT_PORTS[scheme]) != port:
        raise UnusableURL("URL parsers read its host differently")
    return Origin(scheme, host, port)


def host_port(url: str) -> str:
    """host[:port] of a URL for messages (the port only when not the scheme's default), or "the service"."""
    try:
        return str(judge(url))
    except UnusableURL:
        return "the service"


def byte_count(text: str) -> int | None:
    """A header's byte count (Content-Length, Content-Range): ASCII digits only, below 10**18 (``²`` is a digit to
    Python, not to HTTP); None for anything else."""
    return int(text) if len(text) <= 18 and text.isascii() and text.isdigit() else None


def check_characters(url: str) -> None:
    """Backslashes, blanks and control characters: parsers drop, keep or reinterpret them differently."""
    if not url.isprintable() or any(char.isspace() or char == "\\" for char in url):
        raise UnusableURL("it holds a backslash, a blank or a control character")


def _ascii_host(host: str) -> str:
    """An internationalized host name as it goes on the wire (punycode); '' when it cannot be encoded."""
    if host.isascii():
        return host
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return ""


def _is_ipv6(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).version == 6
    except ValueError:
        return False


def _why_unparsable(exc: Exception) -> str:
    text = str(exc)
    if "Port" in text or "port" in text:
        return "its port is not a number from 0 to 65535"
    if "bracket" in text or "IPv6" in text or "valid host" in text:
        return "its host in brackets is not an IPv6 address"
    return "it is not a valid URL"


def proxies_for(origin: Origin, url: str) -> dict[str, str]:
    """The proxies a request to ``url`` goes through: none for loopback, else the standard variables.

    HTTP_PROXY, HTTPS_PROXY and ALL_PROXY (either case), minus NO_PROXY. A loopback endpoint (the sandbox,
    a tunnel, tests) never goes through a proxy, whatever the environment says.
    """
    if origin.loopback:
        return {}
    from requests.utils import get_environ_proxies

    return dict(get_environ_proxies(url))
