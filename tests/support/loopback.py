"""The one scripted server of the tests: a real socket on a loopback address and an ephemeral port.

Two ways to script it:

- HTTP: ``LoopbackServer(script)`` speaks HTTP/1.1 (keep-alive) and answers the n-th request with
  ``script(seen, n)``, a :class:`Reply` (or one ``Reply`` for every request). A reply can be JSON, HTML or
  any bytes, wait before answering, stall in the middle of its body, announce another length, close, reset
  or hold the connection after its body, or drop the connection unanswered.
- Raw: ``LoopbackServer(handler=fn)`` hands each connection to ``fn(conn, server)`` in its own thread:
  anything a broken server, a proxy or a host that must receive nothing does (see :func:`read_request`,
  :func:`send_after_request`, :func:`drip`, :func:`hang`, :func:`read_until_closed`).

Either way the server records what it received: every request (``requests``, a :class:`Seen` each), every byte
(``received``) and how many connections it accepted (``connections``). It is a context manager; the ``serve``
and ``raw`` fixtures of conftest.py start servers that are closed after the test. Closing wakes every
connection that waits, drips or hangs, and closes it.
"""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import struct
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

PREFIX = "/prefix"  # the path below which ``endpoint`` puts the API: tests see that a prefix is kept
TIMEOUT = 10.0  # a connection that sends nothing for this long is given up on (no test waits that long)


@dataclass
class Seen:
    """One request as the server received it."""

    method: str
    path: str
    headers: dict[str, str]  # names lower-cased
    body: bytes
    client_port: int
    raw_headers: list[tuple[str, str]] = field(default_factory=list)  # as sent: case and order kept

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Reply:
    """An HTTP answer. ``body`` is sent as JSON when a dict or list, UTF-8 when a str; an iterable of bytes is a
    stream, each piece written and flushed as it comes (a generator may wait between pieces: a drip)."""

    status: int = 200
    body: bytes | str | dict | list | Iterable[bytes] = b""
    headers: dict[str, str] = field(default_factory=dict)  # over the defaults (Content-Type, Content-Length)
    delay: float = 0.0  # wait this long before answering
    drop: bool = False  # close the connection without answering
    stall: float = 0.0  # pause this long after the headers and the first 5 bytes of the body
    length: int | None = None  # the Content-Length to announce when not the body's own (a stream has none)
    after: str = "keep"  # after the body: "keep" (alive), "close", "reset" (RST), "hang" (until the server closes)
    raw: bytes | None = None  # instead of all the above: these bytes verbatim (status line and all), then close

    def pieces(self) -> Iterable[bytes]:
        body = self.body
        if isinstance(body, dict | list):
            body = json.dumps(body)
        if isinstance(body, str):
            body = body.encode()
        return [body] if isinstance(body, bytes) else body

    def default_headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json"}
        if self.length is not None:
            headers["Content-Length"] = str(self.length)
        elif isinstance(self.body, bytes | str | dict | list):
            headers["Content-Length"] = str(sum(len(piece) for piece in self.pieces()))
        return headers


Script = Callable[[Seen, int], Reply]
Handler = Callable[[socket.socket, "LoopbackServer"], None]


def replies(*sequence: Reply) -> Script:
    """Answer the n-th request with sequence[n]; the last reply repeats."""
    return lambda _seen, index: sequence[min(index, len(sequence) - 1)]


def redirect(location: str, status: int = 302, **headers: str) -> Reply:
    return Reply(status, "", {"Location": location, **headers})


class LoopbackServer:
    """A listening socket on ``host`` (port 0) answering by ``script`` (HTTP) or ``handler`` (raw)."""

    def __init__(self, script: Script | Reply | None = None, *, handler: Handler | None = None,
                 host: str = "127.0.0.1", tls: ssl.SSLContext | None = None) -> None:
        if (script is None) == (handler is None):
            raise TypeError("give a script (HTTP) or a handler (raw), not both")
        self.script: Script | None = replies(script) if isinstance(script, Reply) else script
        self.handler = handler
        self.tls = tls
        self.requests: list[Seen] = []
        self.received = bytearray()
        self.connections = 0
        self.errors: list[BaseException] = []  # what a script or handler raised, other than a socket error
        self.stop = threading.Event()
        self.lock = threading.Condition()
        self._open: set[socket.socket] = set()
        self.listener = socket.create_server((host, 0))
        self.host, self.port = host, self.listener.getsockname()[1]
        self._acceptor = threading.Thread(target=self._accept, daemon=True)
        self._acceptor.start()

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'https' if self.tls else 'http'}://{host}:{self.port}"

    @property
    def endpoint(self) -> str:
        return self.url + PREFIX

    @property
    def client_ports(self) -> set[int]:
        """The client ports the requests came from: one per connection that carried a request."""
        return {seen.client_port for seen in self.requests}

    def record(self, data: bytes) -> None:
        with self.lock:
            self.received += data
            self.lock.notify_all()

    def add(self, seen: Seen) -> int:
        """Record a request; its index among all requests."""
        with self.lock:
            self.requests.append(seen)
            self.lock.notify_all()
            return len(self.requests) - 1

    def wait_for_requests(self, count: int = 1, timeout: float = 30.0) -> list[Seen]:
        """Block until ``count`` requests have arrived (an AssertionError after ``timeout`` seconds)."""
        self.wait_until(lambda: len(self.requests) >= count, timeout, f"{count} requests")
        return list(self.requests)

    def wait_until(self, condition: Callable[[], bool], timeout: float = 30.0, what: str = "the condition") -> None:
        """Block until ``condition()`` holds, checked whenever a request or bytes arrive."""
        with self.lock:
            if not self.lock.wait_for(condition, timeout):
                raise AssertionError(f"{what} not reached within {timeout} s")

    def pause(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; True when the server is closing (stop what you are doing)."""
        return self.stop.wait(seconds)

    def close(self) -> None:
        self.stop.set()
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes accept(), which close() alone does not
        self.listener.close()
        self._acceptor.join(timeout=5)
        with self.lock:
            still_open = list(self._open)
        for conn in still_open:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> LoopbackServer:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                conn, address = self.listener.accept()
            except OSError:
                return
            with self.lock:
                self.connections += 1
                self._open.add(conn)
            threading.Thread(target=self._serve, args=(conn, address), daemon=True).start()

    def _serve(self, conn: socket.socket, address: Any) -> None:
        try:
            conn.settimeout(TIMEOUT)
            if self.tls:
                conn = self._swap(conn, self.tls.wrap_socket(conn, server_side=True))
            if self.handler is not None:
                self.handler(conn, self)
            else:
                _HttpHandler(conn, address, self)
        except OSError:
            pass  # the client hung up, or the TLS handshake failed: what many tests do on purpose
        except Exception as error:  # noqa: BLE001 - kept for the test to see, never printed (see errors)
            self.errors.append(error)
        finally:
            conn.close()  # after recording an error: a client that saw the close sees the error too
            with self.lock:
                self._open.discard(conn)

    def _swap(self, plain: socket.socket, wrapped: socket.socket) -> socket.socket:
        """Track the TLS socket instead of the plain one it took over."""
        with self.lock:
            self._open.discard(plain)
            self._open.add(wrapped)
        return wrapped


class _Recording:
    """A binary reader that records every byte it hands out in the server's ``received``."""

    def __init__(self, raw: Any, server: LoopbackServer) -> None:
        self.raw, self.server = raw, server

    def readline(self, limit: int = -1) -> bytes:
        data = self.raw.readline(limit)
        self.server.record(data)
        return data

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.server.record(data)
        return data

    def close(self) -> None:
        self.raw.close()


class _HttpHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: LoopbackServer  # type: ignore[assignment] - what it is given instead of a socketserver

    def setup(self) -> None:
        super().setup()
        self.rfile = _Recording(self.rfile, self.server)  # type: ignore[assignment]

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass  # http.server would write to the process's stderr, which the CLI runner is capturing

    def _handle(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        raw_headers = list(self.headers.items())
        seen = Seen(self.command, self.path, {k.lower(): v for k, v in raw_headers}, body,
                    self.client_address[1], raw_headers)
        index = self.server.add(seen)
        assert self.server.script is not None
        reply = self.server.script(seen, index)
        closing = bool(reply.delay) and self.server.pause(reply.delay)
        if reply.drop or closing:
            self.close_connection = True
            return
        self._answer(reply)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle

    def _answer(self, reply: Reply) -> None:
        if reply.raw is not None:
            self._write([reply.raw])
            self.close_connection = True
            return
        headers = {**reply.default_headers(), **reply.headers}
        sized = {name.lower() for name in headers} & {"content-length", "transfer-encoding"}
        after = reply.after if sized or reply.after != "keep" else "close"  # an unsized body ends at the close
        self.send_response(reply.status)
        for name, value in headers.items():
            self.send_header(name, value)
        if after == "close":
            self.send_header("Connection", "close")
        self.end_headers()
        self._write(reply.pieces(), reply.stall)
        self._after(after)

    def _write(self, pieces: Iterable[bytes], stall: float = 0.0) -> None:
        """Write and flush each piece, the first one ``stall``-ed after 5 bytes; stop when the server closes."""
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            for piece in pieces:
                if stall:
                    self.wfile.write(piece[:5])
                    self.wfile.flush()
                    self.server.pause(stall)
                    piece, stall = piece[5:], 0.0
                if self.server.stop.is_set():
                    return
                self.wfile.write(piece)
                self.wfile.flush()

    def _after(self, after: str) -> None:
        if after == "hang":
            self.server.stop.wait()
        if after == "reset":
            self.server.pause(0.2)  # let the client read what was sent, then reset the connection
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        if after != "keep":
            self.close_connection = True


# --- raw handlers ---------------------------------------------------------------------------------------


def read_request(conn: socket.socket, server: LoopbackServer) -> bytes:
    """Read one request (its head, and a body of Content-Length bytes), record it; its head."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
    server.record(data)
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    raw_headers = [_header(line) for line in lines[1:] if b":" in line]
    length = next((int(value) for name, value in raw_headers if name.lower() == "content-length"), 0)
    while len(rest) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        rest += chunk
        server.record(chunk)
    method, _, path = lines[0].decode("latin-1").partition(" ")
    server.add(Seen(method, path.rpartition(" ")[0] or path, {k.lower(): v for k, v in raw_headers}, rest,
                    conn.getpeername()[1], raw_headers))
    return head


def _header(line: bytes) -> tuple[str, str]:
    name, _, value = line.decode("latin-1").partition(":")
    return name.strip(), value.strip()


def read_until_closed(conn: socket.socket, server: LoopbackServer) -> None:
    """Take every byte until the client hangs up, answer nothing: a host or a proxy that must see nothing."""
    while data := conn.recv(65536):
        server.record(data)


def hang(conn: socket.socket, server: LoopbackServer) -> None:
    """Read the request and never answer, until the server closes."""
    read_request(conn, server)
    server.stop.wait()


def send_after_request(*parts: bytes | Iterable[bytes]) -> Handler:
    """Read the request, then send ``parts`` (bytes, or iterables of chunks) verbatim, then close."""

    def handler(conn: socket.socket, server: LoopbackServer) -> None:
        read_request(conn, server)
        for part in parts:
            for chunk in [part] if isinstance(part, bytes) else part:
                if server.stop.is_set():
                    return
                conn.sendall(chunk)

    return handler


def drip(payload: bytes, pause: float) -> Handler:
    """Read the request, then send ``payload`` one byte at a time, ``pause`` seconds apart."""

    def handler(conn: socket.socket, server: LoopbackServer) -> None:
        read_request(conn, server)
        for byte in payload:
            conn.sendall(bytes([byte]))
            if server.pause(pause):
                return

    return handler
