"""Starting and stopping the sandbox: in the background for one command, or in the foreground."""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any

from taskctl.sandbox.registry import FACTORIES
from taskctl.sandbox.server import ProviderApi, SandboxServer, SeenRequest


class RunningSandbox:
    """A listening sandbox: its URLs, its request log, runtime seeding, and ``close()``."""

    def __init__(self, server: SandboxServer, apis: dict[str, ProviderApi]) -> None:
        self._server = server
        self._apis = apis
        self._closed = False
        self._close_lock = threading.Lock()
        host = server.server_name
        self.base_url: str = f"http://{f'[{host}]' if ':' in host else host}:{server.server_port}"
        self.requests_seen: list[SeenRequest] = server.seen

    @property
    def connections_opened(self) -> int:
        """How many client connections the server has accepted (keep-alive reuses one)."""
        return self._server.connections_opened

    def endpoint(self, provider: str) -> str:
        """The endpoint a profile of ``provider`` uses: ``base_url + "/" + provider``."""
        self._api(provider)
        return f"{self.base_url}/{provider}"

    def add_task(self, provider: str, task_id: Any, seed: Any) -> None:
        """Serve ``seed`` for ``task_id`` of ``provider`` from now on (seed types: see its module)."""
        self._api(provider).add_task(task_id, seed)

    def _serve(self) -> None:
        """Run the serving loop in this thread until ``close()``."""
        self._server.serve_forever()

    def close(self) -> None:
        """Stop serving and close every socket; idempotent."""
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> RunningSandbox:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

    def _api(self, provider: str) -> ProviderApi:
        """The API of ``provider``, or ValueError naming those served."""
        try:
            return self._apis[provider]
        except KeyError:
            served = ", ".join(self._apis)
            raise ValueError(f"the sandbox serves no provider {provider!r} (it serves: {served})") from None


def _create(host: str, port: int) -> RunningSandbox:
    """Build every provider's API and bind a listening server for them."""
    apis = {name: factory() for name, factory in FACTORIES.items()}
    return RunningSandbox(SandboxServer(host, port, apis), apis)


def start(host: str = "127.0.0.1", port: int = 0) -> RunningSandbox:
    """Serve on a daemon thread; returns once listening (``port=0``: a free port)."""
    sandbox = _create(host, port)
    threading.Thread(target=sandbox._serve, name="taskctl-sandbox", daemon=True).start()
    return sandbox


def serve_forever(host: str, port: int, on_ready: Callable[[RunningSandbox], None] | None = None) -> None:
    """Serve in this thread until Ctrl-C (or ``close()`` from elsewhere); returns cleanly."""
    sandbox = _create(host, port)
    try:
        if on_ready is not None:
            on_ready(sandbox)
        sandbox._serve()
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.close()
