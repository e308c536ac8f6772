"""A total deadline per request: connect, headers and body, however slowly a server drips them.

urllib3's timeouts bound each socket read, not the whole answer: a server sending one byte a second never
trips them. A watchdog thread shuts the socket of a request whose deadline has passed; the blocked read
then ends and the request fails with ``expired`` set. The pools of our session hand each connection they
give out to the deadline of the request running on that thread.
"""

from __future__ import annotations

import contextlib
import contextvars
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

RECHECK = 0.05  # a deadline that passed while the socket was still connecting: shut it as soon as it exists

_current = threading.local()


class Deadline:
    """One request's end. ``expired`` tells, after a failure, that the watchdog ended it."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds
        self.expired = False
        self._connections: list[Any] = []
        self._lock = threading.Lock()

    def remaining(self) -> float:
        return self.at - time.monotonic()

    def attach(self, connection: Any) -> None:
        with self._lock:
            self._connections.append(connection)
        if self.expired:
            self.expire()

    def expire(self) -> None:
        """Shut every socket of this request (from the watchdog thread)."""
        self.expired = True
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            # http.client drops ``sock`` as soon as an answer says "Connection: close", while that answer's
            # body is still read from it: the socket recorded at connect time is shut then.
            sock = getattr(connection, "sock", None) or getattr(connection, "taskctl_socket", None)
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


class Watchdog:
    """One daemon thread that ends the requests whose deadline has passed."""

    def __init__(self) -> None:
        self._active: set[Deadline] = set()
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None

    @contextlib.contextmanager
    def guard(self, deadline: Deadline) -> Iterator[Deadline]:
        """Watch ``deadline`` and make it the one this thread's connections attach to."""
        with self._wake:
            self._active.add(deadline)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="taskctl-deadline", daemon=True)
                self._thread.start()
            self._wake.notify()
        previous = getattr(_current, "deadline", None)
        _current.deadline = deadline
        try:
            yield deadline
        finally:
            _current.deadline = previous
            with self._wake:
                self._active.discard(deadline)

    def _run(self) -> None:
        with self._wake:
            while True:
                now = time.monotonic()
                for deadline in [d for d in self._active if d.at <= now]:
                    deadline.expire()
                    deadline.at = now + RECHECK
                soonest = min((d.at for d in self._active), default=None)
                self._wake.wait(None if soonest is None else max(0.0, soonest - now))


def current_deadline() -> Deadline | None:
    return getattr(_current, "deadline", None)


# --- a budget above single requests (watch --timeout) -----------------------------------------------------

_budget_end: contextvars.ContextVar[float | None] = contextvars.ContextVar("taskctl_http_budget", default=None)


@contextlib.contextmanager
def time_budget(seconds: float | None) -> Iterator[None]:
    """Requests made inside end, retries and Retry-After waits included, by ``seconds`` from now (None: no bound).

    A request that starts after the budget is spent still gets ``LAST_REQUEST_ALLOWANCE`` seconds (the watch's
    last poll happens when its timeout passes). Inside another budget, the sooner end holds.
    """
    if seconds is None:
        yield
        return
    outer = _budget_end.get()
    end = time.monotonic() + seconds
    token = _budget_end.set(end if outer is None else min(end, outer))
    try:
        yield
    finally:
        _budget_end.reset(token)


def budget_end() -> float | None:
    return _budget_end.get()


# --- urllib3 pools whose connections attach to the running request's deadline ----------------------------


class _AttachingPool:
    def _get_conn(self, timeout: float | None = None) -> Any:
        connection = super()._get_conn(timeout)  # type: ignore[misc]
        deadline = current_deadline()
        if deadline is not None:
            deadline.attach(connection)
        return connection


class _RecordingConnection:
    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        self.taskctl_socket = self.sock  # type: ignore[attr-defined]


_attaching_classes: dict[type, type] = {}


def attaching(pool_class: type) -> type:
    """``pool_class`` whose connections attach to the deadline of the request using them, and remember their
    socket (see ``Deadline.expire``)."""
    if issubclass(pool_class, _AttachingPool):
        return pool_class
    if pool_class not in _attaching_classes:
        connection_class = pool_class.ConnectionCls  # type: ignore[attr-defined]
        recording = type(f"Recording{connection_class.__name__}", (_RecordingConnection, connection_class), {})
        _attaching_classes[pool_class] = type(f"Attaching{pool_class.__name__}", (_AttachingPool, pool_class),
                                              {"ConnectionCls": recording})
    return _attaching_classes[pool_class]


def make_attaching(manager: Any) -> Any:
    """Make a urllib3 PoolManager (or ProxyManager, SOCKSProxyManager) build attaching pools."""
    manager.pool_classes_by_scheme = {scheme: attaching(cls) for scheme, cls in manager.pool_classes_by_scheme.items()}
    return manager
