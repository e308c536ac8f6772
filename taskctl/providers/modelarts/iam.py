"""Huawei Cloud IAM, as ModelArts needs it: a project-scoped token for a password, a region's project id.

Every request goes through its own ``HttpClient`` bound to the IAM endpoint (so the password and the tokens reach
that host and no other: no redirect elsewhere, no proxy for loopback), with the ModelArts client's redactor and
trace. IAM's answers are untrusted: a missing or unusable ``X-Subject-Token``, an ``expires_at`` that is missing,
unreadable or past, HTML or any other body are errors with exit codes, never a traceback.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from taskctl.config import Profile
from taskctl.errors import ConfigError, ResponseError, TaskctlError
from taskctl.headers import is_header_text
from taskctl.http import HttpClient
from taskctl.jsonio import describe_value, json_type
from taskctl.providers.base import decode_json, mapped_error

IAM_RULES = "taskctl.providers.modelarts.iam_errors"
Signer = Callable[[str, str, dict[str, str], bytes], dict[str, str]]


@dataclass(frozen=True)
class IssuedToken:
    value: str
    expires_at: datetime
    project_id: str | None  # the project the token is scoped to, as IAM says


@contextmanager
def iam_client(base: HttpClient, iam_endpoint: str) -> Iterator[HttpClient]:
    """A client for the IAM endpoint with the profile's policy, redactor and trace."""
    profile = base.profile._replace(endpoint=iam_endpoint)
    client = HttpClient(profile, redact=base.redact, trace=base.trace, warn=base.warn, sleep=base.sleep)
    try:
        yield client
    finally:
        client.close()


def request_token(client: HttpClient, domain: str, username: str, password: str, project: str) -> IssuedToken:
    """``POST {iam}/v3/auth/tokens?nocatalog=true``: a token scoped to the project named ``project`` (a region)."""
    what = f"IAM token for user {username} of account {domain}"
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": username, "password": password, "domain": {"name": domain}}}},
        "scope": {"project": {"name": project}}}}
    response = client.request("POST", f"{client.profile.endpoint}/v3/auth/tokens?nocatalog=true",
                              headers={"Accept": "application/json"}, json_body=body)
    answer = _answer(response, what, client.profile, expect=201)
    token = response.headers.get("X-Subject-Token", "")
    if not token or len(token) > 64 * 1024 or not is_header_text(token):
        raise ResponseError(f"{what}: IAM answered {response.status_code} without a usable X-Subject-Token header",
                            "check `iam_endpoint:`; --debug shows the answer")
    client.redact.add(token)
    found = answer.get("token")
    details: dict[str, Any] = found if isinstance(found, dict) else {}
    expires_at = _expiry(details.get("expires_at"), what)
    project_info = details.get("project")
    project_id = project_info.get("id") if isinstance(project_info, dict) else None
    return IssuedToken(token, expires_at, project_id if isinstance(project_id, str) and project_id else None)


def _expiry(value: Any, what: str) -> datetime:
    """``expires_at`` (ISO 8601 UTC, with or without fractions), which must lie in the future."""
    when = None
    if isinstance(value, str):
        try:
            when = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            when = None
    if when is not None and when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    if when is None:
        shown = "has none" if value is None else f"sent {json_type(value)} taskctl cannot read"
        raise ResponseError(f"{what}: IAM's answer {shown} as the token's expires_at",
                            "check `iam_endpoint:` (is it Huawei Cloud IAM?); --debug shows the answer")
    if when <= datetime.now(UTC):
        raise ResponseError(f"{what}: IAM issued a token that expired already ({when.isoformat()})",
                            "check this machine's clock, or retry")
    return when


def find_project(client: HttpClient, region: str, *, token: str | None = None, sign: Signer | None = None,
                 absent_ok: bool = False) -> str | None:
    """``GET {iam}/v3/projects?name={region}``: the one project of that name (signed, or with a token); None
    when ``absent_ok`` and the host does not serve this API (404: some regional IAM hosts serve a subset)."""
    what = f"IAM project lookup for region {region}"
    headers = {"Accept": "application/json"} | ({"X-Auth-Token": token} if token else {})
    response = client.request("GET", f"{client.profile.endpoint}/v3/projects?name={quote(region, safe='')}",
                              headers=headers, sign=sign)
    if response.status_code == 404 and absent_ok:
        return None
    answer = _answer(response, what, client.profile, expect=200)
    listed = answer.get("projects")
    if not isinstance(listed, list):
        raise ResponseError(f"{what}: IAM's answer has no list of projects", "--debug shows the answer")
    ids = [describe_value(p.get("id")) for p in listed if isinstance(p, dict) and p.get("name") == region]
    ids = [i for i in ids if i]
    if len(ids) == 1:
        return ids[0]
    if not ids:
        raise ConfigError(f"{what}: IAM knows no project named {region} in this account",
                          "check `region:`, or set `project_id:` (or --project-id)")
    raise ConfigError(f"{what}: several projects are named {region}: {', '.join(ids[:10])}",
                      "pick one with `project_id:` in the profile, or --project-id")


def _answer(response: Any, what: str, profile: Profile, *, expect: int) -> dict[str, Any]:
    request_id = response.headers.get("X-Request-Id")
    body = decode_json(response, what, profile, rules=IAM_RULES, request_id=request_id)
    if response.status_code == expect and isinstance(body, dict):
        return body
    if response.status_code == expect:
        raise ResponseError(f"{what}: IAM's answer is {json_type(body)}, not an object", "--debug shows it")
    raise _refusal(what, response.status_code, body, request_id, profile)


def _refusal(what: str, status: int, body: Any, request_id: str | None, profile: Profile) -> TaskctlError:
    """IAM's own error: ``error_code``/``error_msg``, ``errorCode``/``errorMsg``, ``code``/``message``, also nested
    one level (``{"error": {"code": 401, "message": ...}}``), as Huawei's SDK reads them."""
    code, text = None, ""
    candidates = [body] + ([v for v in body.values() if isinstance(v, dict)] if isinstance(body, dict) else [])
    for item in candidates:
        if not isinstance(item, dict):
            continue
        for code_key, text_key in (("error_code", "error_msg"), ("errorCode", "errorMsg"), ("code", "message")):
            if item.get(code_key) is not None or item.get(text_key) is not None:
                code, text = item.get(code_key), describe_value(item.get(text_key))[:300]
                break
        if code is not None or text:
            break
    return mapped_error(IAM_RULES, what, status, profile, code=code, text=text, request_id=request_id)
