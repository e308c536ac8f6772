"""The sandbox's IAM (``/iam``) over real sockets: password tokens, project lookup, refusals; ModelArts accepts
the tokens it issued and refuses them once expired."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import requests

from taskctl.providers.modelarts import SANDBOX_ACCESS_KEY, SANDBOX_PROJECT_ID, SANDBOX_SECRET_KEY
from taskctl.providers.modelarts.iam_emulator import SANDBOX_DOMAIN, SANDBOX_PASSWORD
from taskctl.providers.modelarts.signing import sign_request
from taskctl.sandbox import RunningSandbox, start


@pytest.fixture
def sandbox() -> Iterator[RunningSandbox]:
    with start() as running:
        yield running


def _token_body(user: str, password: str = SANDBOX_PASSWORD, project: str = "cn-north-4") -> dict:
    return {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": user, "password": password, "domain": {"name": SANDBOX_DOMAIN}}}},
        "scope": {"project": {"name": project}}}}


def _token(sandbox: RunningSandbox, user: str = "sandbox-user", **kwargs: str) -> requests.Response:
    return requests.post(f"{sandbox.base_url}/iam/v3/auth/tokens?nocatalog=true", json=_token_body(user, **kwargs),
                         timeout=5)


def _task(sandbox: RunningSandbox, token: str) -> requests.Response:
    return requests.get(f"{sandbox.endpoint('modelarts')}/v2/{SANDBOX_PROJECT_ID}/processor-tasks/task-running",
                        headers={"X-Auth-Token": token}, timeout=5)


def _expiry(response: requests.Response) -> datetime:
    return datetime.strptime(response.json()["token"]["expires_at"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def test_a_password_gives_a_project_scoped_token_that_modelarts_accepts(sandbox) -> None:
    answer = _token(sandbox)
    assert answer.status_code == 201
    token = answer.headers["X-Subject-Token"]
    body = answer.json()["token"]
    assert "catalog" not in body and body["project"]["id"] == SANDBOX_PROJECT_ID
    assert timedelta(hours=23) < _expiry(answer) - datetime.now(UTC) <= timedelta(hours=24)
    assert _task(sandbox, token).status_code == 200
    assert _task(sandbox, token + "x").status_code == 401


def test_short_tokens_and_expired_ones(sandbox) -> None:
    short = _token(sandbox, "sandbox-short")
    assert _expiry(short) - datetime.now(UTC) < timedelta(minutes=5)
    token = _token(sandbox).headers["X-Subject-Token"]
    sandbox.api("modelarts").iam.expire_tokens()
    refused = _task(sandbox, token)
    assert refused.status_code == 401 and refused.json() == {"error_code": "APIGW.0301",
                                                             "error_msg": "The token must be updated."}


@pytest.mark.parametrize(("user", "password", "status", "text"), [
    ("sandbox-user", "wrong", 401, "The username or password is wrong."),
    ("nobody", SANDBOX_PASSWORD, 401, "The username or password is wrong."),
    ("sandbox-mfa", SANDBOX_PASSWORD, 401, "virtual MFA"),
    ("sandbox-locked", SANDBOX_PASSWORD, 403, "locked"),
])
def test_refusals(sandbox, user: str, password: str, status: int, text: str) -> None:
    answer = _token(sandbox, user, password=password)
    assert answer.status_code == status and text in answer.text and "X-Subject-Token" not in answer.headers


def test_projects_by_name_with_a_token_or_a_signature(sandbox) -> None:
    url = f"{sandbox.base_url}/iam/v3/projects?name=cn-north-4"
    token = _token(sandbox).headers["X-Subject-Token"]
    by_token = requests.get(url, headers={"X-Auth-Token": token}, timeout=5).json()["projects"]
    signed = sign_request("GET", url, {}, b"", SANDBOX_ACCESS_KEY, SANDBOX_SECRET_KEY)
    by_signature = requests.get(url, headers=signed, timeout=5).json()["projects"]
    assert [p["id"] for p in by_token] == [p["id"] for p in by_signature] == [SANDBOX_PROJECT_ID]
    two = requests.get(url.replace("cn-north-4", "cn-east-3"), headers=signed_for(url.replace("cn-north-4",
                                                                                              "cn-east-3")), timeout=5)
    assert len(two.json()["projects"]) == 2
    bad = sign_request("GET", url, {}, b"", SANDBOX_ACCESS_KEY, "not-the-secret")
    assert requests.get(url, headers=bad, timeout=5).status_code == 401
    assert requests.get(url, timeout=5).status_code == 401


def signed_for(url: str) -> dict[str, str]:
    return sign_request("GET", url, {}, b"", SANDBOX_ACCESS_KEY, SANDBOX_SECRET_KEY)
