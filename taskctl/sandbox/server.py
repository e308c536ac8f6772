"""The generic half of the sandbox: HTTP server, request log, routing and response helpers.

Providers plug in as a ``ProviderApi`` (a list of ``Route``s plus ``add_task``) mounted under
``/<provider>``; a provider may mount more (``extra_mounts``: e.g. ``/downloads``, the
stand-in for a pre-signed storage URL). This module knows nothing about any one provider.
HTTP/1.1 with Content-Length on every answer, so one client connection serves many requests; no
access log on stderr.
"""

from __future__ import annotations

import contextlib
import json
import selectors
import socket
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple, Protocol
from urllib.parse import urlsplit


@dataclass(frozen=True)
class SeenRequest:
    """One request as the sandbox received it (full path with query, headers as sent)."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


# Request, Response and Route are NamedTuples rather than frozen dataclasses: creating a dataclass
# costs ~1 ms at import, and the CLI imports this module on the way to its first request.


class Request(NamedTuple):
    """What a route handler sees: ``path`` is relative to the provider's mount (``/<name>``) and still
    percent-encoded, as are ``params``; ``full_path`` is the request target as received (mount and
    query included: what a client signs); ``base_url`` is the sandbox's own, for absolute links;
    ``storage_url`` its storage host's, a second server, for pre-signed links to files."""

    method: str
    path: str
    query: str
    headers: Mapping[str, str]
    body: bytes
    params: Mapping[str, str]
    full_path: str = ""
    base_url: str = ""
    storage_url: str = ""  # the sandbox's storage host (another port): where pre-signed links point

    def header(self, name: str) -> str | None:
        """The value of header ``name`` (case-insensitive), or None."""
        wanted = name.lower()
        return next((value for key, value in self.headers.items() if key.lower() == wanted), None)


class Response(NamedTuple):
    """An answer to send as is; Content-Length is added on the way out."""

    status: int
    body: bytes = b""
    content_type: str | None = "application/json"
    headers: tuple[tuple[str, str], ...] = ()


def json_response(status: int, obj: Any) -> Response:
    """Compact UTF-8 JSON, as Java services send it (non-ASCII raw, control characters escaped)."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    return Response(status, text.encode("utf-8"))


def html_response(status: int, html: str, headers: tuple[tuple[str, str], ...] = ()) -> Response:
    """An HTML page, e.g. a gateway's error page."""
    return Response(status, html.encode("utf-8"), "text/html", headers)


def gateway_page(status: int, reason: str) -> str:
    """An nginx error page, as a gateway in front of a service answers."""
    title = f"{status} {reason}"
    return (f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
            f"<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")


def json_object(body: bytes) -> dict[str, Any] | None:
    """``body`` parsed as a JSON object, or None when it is not one."""
    try:
        parsed = json.loads(body)
    except ValueError:  # JSONDecodeError and UnicodeDecodeError
        return None
    return parsed if isinstance(parsed, dict) else None


def text_response(status: int, text: str) -> Response:
    """A ``text/plain`` body."""
    return Response(status, text.encode("utf-8"), "text/plain")


Handler = Callable[[Request], Response]


class Route(NamedTuple):
    """``method`` + ``pattern`` relative to the mount; ``{name}`` segments become ``Request.params``."""

    method: str
    pattern: str
    handler: Handler

    def match(self, path: str) -> dict[str, str] | None:
        """The path parameters when ``path`` fits the pattern (method aside), else None."""
        want, got = self.pattern.split("/"), path.split("/")
        if len(want) != len(got):
            return None
        params: dict[str, str] = {}
        for pattern_part, part in zip(want, got, strict=True):
            if pattern_part.startswith("{") and pattern_part.endswith("}") and part:
                params[pattern_part[1:-1]] = part
            elif pattern_part != part:
                return None
        return params


class Mount(Protocol):
    """Anything served under a first path segment: a list of routes relative to it."""

    def routes(self) -> Sequence[Route]:
        """The routes, relative to ``/<mount>``."""
        ...


class ProviderApi(Mount, Protocol):
    """One provider's emulated API: its routes and a way to seed tasks at runtime.

    It may also define ``extra_mounts() -> Mapping[str, Mount]``: more first path segments it serves
    (outside ``/<provider>``), mounted beside the providers (``ProviderSpec.sandbox_mounts``) or on the
    storage host, a second server on its own port (``ProviderSpec.sandbox_storage_mounts``).
    """

    def add_task(self, task_id: Any, seed: Any) -> None:
        """Serve ``seed`` for ``task_id`` from now on (see the provider module for seed types)."""
        ...


def _spring_error(status: int, error: str, path: str) -> Response:
    """What a Spring Boot service answers for a path or method it does not serve."""
    return json_response(status, {"status": status, "error": error, "path": path})


def dispatch(mounts: Mapping[str, Mount], method: str, raw_path: str,
             headers: Mapping[str, str], body: bytes, base_url: str = "", storage_url: str = "") -> Response:
    """Route one request: the first path segment picks the provider, its routes the handler."""
    url = urlsplit(raw_path)
    _, _, rest = url.path.partition("/")
    mount, slash, sub_path = rest.partition("/")
    api = mounts.get(mount)
    if api is None:
        return _spring_error(404, "Not Found", url.path)
    matches = [(route, params) for route in api.routes()
               if (params := route.match(slash + sub_path)) is not None]
    for route, params in matches:
        if route.method == method:
            return route.handler(Request(method, slash + sub_path, url.query, headers, body, params,
                                         raw_path, base_url, storage_url))
    if matches:
        allow = ", ".join(sorted({route.method for route, _ in matches}))
        return _spring_error(405, "Method Not Allowed", url.path)._replace(headers=(("Allow", allow),))
    return _spring_error(404, "Not Found", url.path)


class SandboxServer(ThreadingHTTPServer):
    """A threading HTTP server that logs requests, tracks connections and stops at once."""

    daemon_threads = True

    def __init__(self, host: str, port: int, mounts: Mapping[str, Mount], storage_url: str = "") -> None:
        self.storage_url = storage_url
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.mounts = mounts
        self.seen: list[SeenRequest] = []
        self.connections_opened = 0
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._stop_requested = False
        self._serving = False
        self._loop_done = threading.Event()
        self._wake_r, self._wake_w = socket.socketpair()
        super().__init__((host, port), SandboxHandler)

    def server_bind(self) -> None:
        """Bind without HTTPServer's reverse-DNS lookup of the host (slow, and not needed)."""
        self.socket.bind(self.server_address)
        self.server_address = self.socket.getsockname()
        self.server_name = str(self.server_address[0])
        self.server_port = int(self.server_address[1])
        host = self.server_name
        self.base_url = f"http://{f'[{host}]' if ':' in host else host}:{self.server_port}"

    def serve_forever(self, poll_interval: float = 0.5) -> None:
        """Serve until ``shutdown()``, which wakes the loop at once (the stdlib one polls)."""
        with self._lock:
            if self._stop_requested:
                return
            self._serving = True
        try:
            with selectors.DefaultSelector() as selector:
                selector.register(self, selectors.EVENT_READ)
                selector.register(self._wake_r, selectors.EVENT_READ)
                while not self._stop_requested:
                    for key, _ in selector.select():
                        if key.fileobj is self and not self._stop_requested:
                            self.handle_request()  # ready: accepts without waiting
        finally:
            self._loop_done.set()

    def shutdown(self) -> None:
        """Stop the serving loop and wait for it; fine before it started. Not from the loop's thread."""
        with self._lock:
            self._stop_requested = True
            serving = self._serving
        if serving:
            try:
                self._wake_w.send(b"\0")
            except OSError:  # server_close() came first: nothing is left to stop
                return
            self._loop_done.wait()

    def server_close(self) -> None:
        """Close the listening socket and every open client connection."""
        super().server_close()
        self._wake_r.close()
        self._wake_w.close()
        with self._lock:
            connections = list(self._open)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def process_request(self, request: Any, client_address: Any) -> None:
        """Count and remember the connection, then serve it on its own thread."""
        with self._lock:
            self.connections_opened += 1
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        """Forget the connection and close it."""
        with self._lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet: a client hanging up is not worth a traceback on the CLI's stderr."""

    def record(self, seen: SeenRequest) -> None:
        """Append to the request log."""
        with self._lock:
            self.seen.append(seen)


class SandboxHandler(BaseHTTPRequestHandler):
    """Reads one request, logs it, dispatches it and writes the answer with Content-Length."""

    server: SandboxServer
    protocol_version = "HTTP/1.1"
    server_version = "taskctl-sandbox"
    sys_version = ""
    timeout = 30
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stall

    def log_message(self, format: str, *args: Any) -> None:
        """No access log."""

    def serve_request(self) -> None:
        """Serve the request just parsed (every method goes through here)."""
        body = self._read_body()
        if body is None:
            self.send_error(400, "Bad request body")
            return
        headers = dict(self.headers.items())
        self.server.record(SeenRequest(self.command, self.path, headers, body))
        try:
            response = dispatch(self.server.mounts, self.command, self.path, headers, body, self.server.base_url,
                                self.server.storage_url or self.server.base_url)
        except Exception as exc:  # a bug in a route must not hang or kill the connection
            response = json_response(500, {"status": 500, "error": "Sandbox bug", "message": repr(exc)})
        self._send(response)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = serve_request

    def _read_body(self) -> bytes | None:
        """The request body by Content-Length or chunked encoding; None when unreadable."""
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            return self._read_chunked()
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            return None
        return self.rfile.read(length) if length > 0 else b""

    def _read_chunked(self) -> bytes | None:
        """Decode a chunked body (trailers are skipped)."""
        chunks: list[bytes] = []
        while True:
            try:
                size = int(self.rfile.readline().split(b";")[0], 16)
            except ValueError:
                return None
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(chunks)
            chunks.append(self.rfile.read(size))
            self.rfile.readline()

    def _send(self, response: Response) -> None:
        """Write status, headers, Content-Length and body."""
        self.send_response(response.status)
        if response.content_type:
            self.send_header("Content-Type", response.content_type)
        for name, value in response.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)
