"""Starting and stopping the sandbox: in the background for one command, or in the foreground."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from types import TracebackType
from typing import Any

from taskctl.sandbox import registry
from taskctl.sandbox.server import Mount, ProviderApi, SandboxServer, SeenRequest


class _Mounts(Mapping[str, Mount]):
    """The server's mounts: every provider's API, built (its module imported) on first use."""

    def __init__(self) -> None:
        self._built: dict[str, ProviderApi] = {}
        self._lock = threading.Lock()

    def api(self, provider: str) -> ProviderApi:
        """The API of ``provider``, built now if need be; KeyError for a provider not served."""
        if provider not in registry.served():
            raise KeyError(provider)
        with self._lock:
            api = self._built.get(provider)
            if api is None:
                api = self._built[provider] = registry.build(provider)
        return api

    def __getitem__(self, mount: str) -> Mount:
        if mount in registry.served():
            return self.api(mount)
        provider = registry.extra_mounts()[mount]
        return self.api(provider).extra_mounts()[mount]  # type: ignore[attr-defined]

    def __iter__(self) -> Iterator[str]:
        return iter((*registry.served(), *registry.extra_mounts()))

    def __len__(self) -> int:
        return len(registry.served()) + len(registry.extra_mounts())


class RunningSandbox:
    """A listening sandbox: its URLs, its request log, runtime seeding, and ``close()``."""

    def __init__(self, server: SandboxServer, apis: _Mounts) -> None:
        self._server = server
        self._apis = apis
        self._closed = False
        self._close_lock = threading.Lock()
        self.base_url: str = server.base_url
        self.requests_seen: list[SeenRequest] = server.seen

    @property
    def connections_opened(self) -> int:
        """How many client connections the server has accepted (keep-alive reuses one)."""
        return self._server.connections_opened

    def endpoint(self, provider: str) -> str:
        """The endpoint a profile of ``provider`` uses: ``base_url + "/" + provider``."""
        if provider not in registry.served():
            self._api(provider)  # raises
        return f"{self.base_url}/{provider}"

    def add_task(self, provider: str, task_id: Any, seed: Any) -> None:
        """Serve ``seed`` for ``task_id`` of ``provider`` from now on (seed types: see its module)."""
        self._api(provider).add_task(task_id, seed)

    def api(self, provider: str) -> Any:
        """The API object of ``provider``, for seeding beyond ``add_task`` (e.g. a download
        to serve); ValueError for a provider not served."""
        return self._api(provider)

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
            return self._apis.api(provider)
        except KeyError:
            served = ", ".join(registry.served())
            raise ValueError(f"the sandbox serves no provider {provider!r} (it serves: {served})") from None


def _create(host: str, port: int) -> RunningSandbox:
    """Bind a listening server for every provider (each API is built on its first use)."""
    mounts = _Mounts()
    return RunningSandbox(SandboxServer(host, port, mounts), mounts)


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
