"""The requests.Session every client uses: no environment lookups, pools that honour request deadlines."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from taskctl.http.deadline import make_attaching

if TYPE_CHECKING:
    import requests

USER_AGENT = "taskctl/0.1"
# Connections kept open per host, and the fetch workers of a many-id `get`: 1,000 ids over a 20 ms link take
# latency x 1000 / POOL_SIZE at least (bench/batch.py).
POOL_SIZE = 24


def new_session(quiet_insecure: bool = False) -> requests.Session:
    import requests

    if quiet_insecure:
        # The profile chose tls_verify: false and we warned once; urllib3 would repeat it on every request.
        import warnings

        from urllib3.exceptions import InsecureRequestWarning

        warnings.filterwarnings("ignore", category=InsecureRequestWarning)

    session = requests.Session()
    # Proxies, CA bundle and .netrc are decided by taskctl per request (see destination.proxies_for).
    session.trust_env = False
    adapter = _adapter()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = USER_AGENT
    return session


def _adapter() -> Any:
    from requests.adapters import HTTPAdapter

    class DeadlineAdapter(HTTPAdapter):
        """Pools (direct and through proxies) whose connections attach to the running request's deadline."""

        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            super().init_poolmanager(*args, **kwargs)
            make_attaching(self.poolmanager)

        def proxy_manager_for(self, proxy: str, **kwargs: Any) -> Any:
            return make_attaching(super().proxy_manager_for(proxy, **kwargs))

    return DeadlineAdapter(pool_connections=2, pool_maxsize=POOL_SIZE, max_retries=0)
