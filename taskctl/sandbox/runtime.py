"""Starting and stopping the sandbox: in the background for one command, or in the foreground."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from types import TracebackType
from typing import Any

from taskctl.sandbox import registry
from taskctl.sandbox.server import Mount, ProviderApi, SandboxServer, SeenRequest


class _Apis:
    """Every provider's API, built (its module imported) on first use; shared by both servers."""

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


class _Mounts(Mapping[str, Mount]):
    """One server's mounts: the API server's (every provider and the mounts beside them), or the storage
    host's (``ProviderSpec.sandbox_storage_mounts``)."""

    def __init__(self, apis: _Apis, *, storage: bool) -> None:
        self._apis = apis
        self._storage = storage

    def _extra(self) -> dict[str, str]:
        return registry.storage_mounts() if self._storage else registry.extra_mounts()

    def _providers(self) -> tuple[str, ...]:
        return () if self._storage else registry.served()

    def __getitem__(self, mount: str) -> Mount:
        if mount in self._providers():
            return self._apis.api(mount)
        provider = self._extra()[mount]
        return self._apis.api(provider).extra_mounts()[mount]  # type: ignore[attr-defined]

    def __iter__(self) -> Iterator[str]:
        return iter((*self._providers(), *self._extra()))

    def __len__(self) -> int:
        return len(self._providers()) + len(self._extra())


class RunningSandbox:
    """A listening sandbox: its URLs, its request log, runtime seeding, and ``close()``."""

    def __init__(self, server: SandboxServer, storage: SandboxServer, apis: _Apis) -> None:
        self._server = server
        self._storage = storage
        self._apis = apis
        self._closed = False
        self._close_lock = threading.Lock()
        self.base_url: str = server.base_url
        self.requests_seen: list[SeenRequest] = server.seen
        self.storage_url: str = storage.base_url
        self.storage_requests_seen: list[SeenRequest] = storage.seen
        """What the storage host (a second server, on its own port) received: pre-signed links' requests."""

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
        """Run the serving loop in this thread until ``close()`` (the storage host's on a daemon thread)."""
        threading.Thread(target=self._storage.serve_forever, name="taskctl-sandbox-storage", daemon=True).start()
        self._server.serve_forever()

    def close(self) -> None:
        """Stop serving and close every socket; idempotent."""
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
        for server in (self._server, self._storage):
            server.shutdown()
            server.server_close()

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
    """Bind a listening server for every provider (each API is built on its first use), and its storage host
    on another free port of the same address: a host that must never receive a credential."""
    apis = _Apis()
    storage = SandboxServer(host, 0, _Mounts(apis, storage=True))
    try:
        server = SandboxServer(host, port, _Mounts(apis, storage=False), storage_url=storage.base_url)
    except BaseException:
        storage.server_close()
        raise
    return RunningSandbox(server, storage, apis)


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
