"""What every emulated API keeps: seeds by task key, a poll count per task, one lock; and the faults a gateway
in front of any of them produces."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Mapping
from typing import Generic, TypeVar

from taskctl.sandbox.server import Response, gateway_page, html_response

K = TypeVar("K", bound=Hashable)
R = TypeVar("R")


class SeedBook(Generic[K, R]):
    """Seeds by task key. A seed is an answer, or a function of the poll number (1 on the first poll) that gives
    one: a task that advances. Safe to use from the server's threads; ``lock`` guards an API's own state too."""

    def __init__(self, seeds: Mapping[K, R | Callable[[int], R]] | None = None) -> None:
        self._seeds: dict[K, R | Callable[[int], R]] = dict(seeds or {})
        self._polls: dict[K, int] = {}
        self.lock = threading.Lock()

    def put(self, key: K, seed: R | Callable[[int], R]) -> None:
        """Serve ``seed`` for ``key`` from now on (replacing any seed; its poll count restarts)."""
        with self.lock:
            self._seeds[key] = seed
            self._polls.pop(key, None)

    def poll(self, key: K) -> R | None:
        """The seed's answer for this poll (counted), or None for a key without a seed."""
        with self.lock:
            seed = self._seeds.get(key)
            if seed is None:
                return None
            poll = self._polls[key] = self._polls.get(key, 0) + 1
        return seed(poll) if callable(seed) else seed

    def peek(self, key: K) -> R | None:
        """The seed's answer as its last poll saw it (as the first will, before any), without counting a poll:
        what a listing shows of an advancing task."""
        with self.lock:
            seed = self._seeds.get(key)
            poll = max(1, self._polls.get(key, 0))
        if seed is None:
            return None
        return seed(poll) if callable(seed) else seed


def gateway_faults(redirect_target: str) -> dict[str, Response]:
    """A gateway's own answers: ``502``, ``503`` (with Retry-After: 1) and ``redirect`` (302 to another host)."""
    return {
        "502": html_response(502, gateway_page(502, "Bad Gateway")),
        "503": html_response(503, gateway_page(503, "Service Temporarily Unavailable"), (("Retry-After", "1"),)),
        "redirect": html_response(302, gateway_page(302, "Found"), (("Location", redirect_target),)),
    }
