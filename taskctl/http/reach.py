"""Where a client may send: the two policies of ``HttpClient``.

``EndpointReach`` carries the profile's credentials, so it only ever talks to the endpoint's own origin: no
plain http to another machine unless the profile allows it, never plain http through a proxy, no redirect to
another host. ``AnywhereReach`` fetches pre-signed links (a package on a storage host): it carries nothing
secret, so it may go anywhere and follow redirects, and it refuses to be handed a secret header.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import Protocol

from taskctl.config import Profile
from taskctl.errors import ConfigError, ResponseError
from taskctl.http.destination import Origin, UnusableURL, host_port, judge


class Reach(Protocol):
    def check_first(self, url: str, origin: Origin | None, problem: UnusableURL | None) -> None:
        """Before anything is sent to ``url`` (``origin`` is None when it cannot be read: ``problem``)."""

    def check_origin(self, origin: Origin) -> None:
        """Each attempt, on the origin the socket will open to."""

    def check_proxy(self, origin: Origin, proxied: bool) -> None:
        """Each attempt, knowing whether a proxy will carry it."""

    def check_redirect(self, origin: Origin, previous: Origin) -> None:
        """A redirect to ``origin`` from ``previous``."""

    def check_headers(self, headers: Mapping[str, str], secret_headers: frozenset[str]) -> None:
        """The headers the caller gave."""

    def name(self, url: str) -> str:
        """How messages name where the requests went."""


class EndpointReach:
    def __init__(self, profile: Profile) -> None:
        self.profile = profile

    @cached_property
    def endpoint(self) -> Origin:
        """The one origin this client sends to (judged once)."""
        try:
            return judge(self.profile.endpoint)
        except UnusableURL as exc:
            raise ConfigError(f"profile '{self.profile.name}': the endpoint is not a usable URL: {exc}",
                              f"fix `endpoint:` in {self.profile.source}") from None

    def check_first(self, url: str, origin: Origin | None, problem: UnusableURL | None) -> None:
        if origin is None:
            self.endpoint  # noqa: B018 - raises the ConfigError of a bad endpoint
            raise ResponseError(f"taskctl does not send requests to this URL: {problem}") from None
        if origin.scheme == "http" and not origin.loopback and not self.profile.allow_http:
            raise ConfigError(f"refusing to send credentials over plain http to {origin.host}",
                              f"use an https:// endpoint, or set `allow_http: true` in profile "
                              f"'{self.profile.name}' if you accept the risk")

    def check_origin(self, origin: Origin) -> None:
        if origin != self.endpoint:
            raise ResponseError(f"refusing to send credentials to {origin}, which is not the endpoint's host",
                                "if that host is the real API, use it as the profile's endpoint")

    def check_proxy(self, origin: Origin, proxied: bool) -> None:
        # A plain-http proxy would read credentials sent over plain http.
        if proxied and origin.scheme == "http":
            raise ConfigError(f"refusing to send credentials over plain http through a proxy (from $HTTP_PROXY or "
                              f"$ALL_PROXY) to {origin}",
                              f"use an https:// endpoint, or add {origin.host} to $NO_PROXY")

    def check_redirect(self, origin: Origin, previous: Origin) -> None:
        if origin == previous:
            return
        if origin.host != previous.host:
            raise ResponseError(f"the service redirected to another host ({origin}); "
                                "taskctl does not send credentials there",
                                "if that host is the real API, use it as the profile's endpoint")
        there, here = f"{origin.scheme}://{origin}", f"{previous.scheme}://{previous}"
        raise ResponseError(f"the service redirected from {here} to {there}; taskctl sends credentials only to the "
                            "endpoint's own scheme and port", f"if that is the real API, use {there} in the "
                            f"profile's endpoint")

    def check_headers(self, headers: Mapping[str, str], secret_headers: frozenset[str]) -> None:
        return None

    def name(self, url: str) -> str:
        return self.profile.endpoint


class AnywhereReach:
    def check_first(self, url: str, origin: Origin | None, problem: UnusableURL | None) -> None:
        if origin is None:
            raise ResponseError(f"taskctl does not send requests to this URL: {problem}") from None
        # Nothing secret travels: plain http is the storage host's choice.

    def check_origin(self, origin: Origin) -> None:
        return None

    def check_proxy(self, origin: Origin, proxied: bool) -> None:
        return None

    def check_redirect(self, origin: Origin, previous: Origin) -> None:
        return None

    def check_headers(self, headers: Mapping[str, str], secret_headers: frozenset[str]) -> None:
        secret = sorted(name for name in headers if name.lower() in secret_headers)
        if secret:  # a bug, not a user error: this client may send requests anywhere
            raise ValueError(f"a client without credentials may not send {', '.join(secret)}")

    def name(self, url: str) -> str:
        return host_port(url)
