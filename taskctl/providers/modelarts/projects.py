"""A region's project id, looked up once in IAM and cached per IAM endpoint, account and region
(``$XDG_CACHE_HOME/taskctl/modelarts-projects.json``, 0600: not a secret, but nobody else's business)."""

from __future__ import annotations

from collections.abc import Mapping

from taskctl.http import HttpClient
from taskctl.providers.modelarts.cached import read_json, write_json
from taskctl.providers.modelarts.iam import Signer, find_project, iam_client
from taskctl.user_cache import user_cache_dir as cache_dir


def lookup(client: HttpClient, environ: Mapping[str, str], iam: str, account: str, region: str, *,
           token: str | None, sign: Signer | None, fallback: str | None = None) -> str:
    """The cached id, else IAM's answer (cached); a 404 from ``iam`` asks ``fallback`` (the global IAM host), as
    the API sheet advises for regional hosts that do not serve the project list."""
    path = cache_dir(environ) / "modelarts-projects.json"
    key = f"{iam} {account} {region}"
    cached = read_json(path)
    known = cached.get(key)
    if isinstance(known, str) and known and known.isprintable():
        return known
    project_id = None
    for host in (iam, fallback) if fallback and fallback != iam else (iam,):
        with iam_client(client, host) as iam_http:
            project_id = find_project(iam_http, region, token=token, sign=sign, absent_ok=host != (fallback or iam))
        if project_id is not None:
            break
    assert project_id is not None  # the last host answers or raises
    write_json(path, {**cached, key: project_id})
    return project_id
