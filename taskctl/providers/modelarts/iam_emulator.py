"""The Huawei Cloud IAM API the ModelArts sandbox needs, mounted at ``/iam`` beside ``/modelarts``.

* ``POST /iam/v3/auth/tokens[?nocatalog=...]``: a project-scoped user token from a name and password (body as in
  the API sheet; the scope names the project by ``name`` or ``id``). ``201``, the token in ``X-Subject-Token``,
  ``{"token": {"expires_at": ..., "project": ..., ...}}`` in the body (no catalog with ``nocatalog``).
* ``GET /iam/v3/projects?name={region}``: the account's projects of that name, with ``X-Auth-Token`` (a token
  issued here) or an AK/SK signature (the sandbox AKs, checked by ``signing.verify_request``).

Account (domain) ``sandbox-account``; every user's password is ``sandbox-password``:

==================  ============================================================================================
user                answer to a token request
==================  ============================================================================================
sandbox-user        201; the token lives 24 h
sandbox-short       201; the token lives 200 s (less than a client's 5-minute margin: never reused)
sandbox-mfa         401 ``IAM.0101``: login protection (virtual MFA) is on
sandbox-locked      403 ``IAM.0102``: the user is locked
any, bad password   401 ``{"error": {"code": 401, "message": "The username or password is wrong.", ...}}``
==================  ============================================================================================

Projects: ``cn-north-4`` -> ``sandbox-project`` (the one ModelArts serves), ``ap-southeast-1`` ->
``sandbox-project-ap1``, ``cn-east-3`` -> two projects (a name that is not unique); other names: none.
``expire_tokens()`` makes every token issued so far expired (ModelArts then answers 401 to it).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

from taskctl.providers.modelarts import SANDBOX_PROJECT_ID
from taskctl.sandbox.server import Request, Response, Route, json_object, json_response

SANDBOX_DOMAIN = "sandbox-account"
SANDBOX_DOMAIN_ID = "d0sandbox0account0000000000000001"
SANDBOX_PASSWORD = "sandbox-password"
LIFETIMES = {"sandbox-user": timedelta(hours=24), "sandbox-short": timedelta(seconds=200)}
REFUSED = {
    "sandbox-mfa": (401, "IAM.0101", "Login protection is enabled for this user: verify with a virtual MFA code."),
    "sandbox-locked": (403, "IAM.0102", "The user is locked. Try again in 15 minutes."),
}
PROJECTS = {"cn-north-4": [SANDBOX_PROJECT_ID], "ap-southeast-1": ["sandbox-project-ap1"],
            "cn-east-3": ["sandbox-project-e3a", "sandbox-project-e3b"]}


def _error(status: int, code: str, message: str) -> Response:
    return json_response(status, {"error_code": code, "error_msg": message})


def _wrong_password() -> Response:
    return json_response(401, {"error": {"code": 401, "message": "The username or password is wrong.",
                                         "title": "Unauthorized"}})


def _stamp(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z"


def _project(name: str, project_id: str) -> dict[str, object]:
    return {"id": project_id, "name": name, "enabled": True, "domain_id": SANDBOX_DOMAIN_ID,
            "parent_id": SANDBOX_DOMAIN_ID, "is_domain": False, "description": ""}


def _credentials(body: dict[str, object]) -> tuple[str, str, str, str] | None:
    """User name, password, domain name and the scope's project name (or id) of a token request."""
    try:
        auth = body["auth"]
        user = auth["identity"]["password"]["user"]  # type: ignore[index]
        project = auth["scope"]["project"]  # type: ignore[index]
        values = (user["name"], user["password"], user["domain"]["name"], project.get("name") or project.get("id"))
    except (KeyError, TypeError, AttributeError):
        return None
    return values if all(isinstance(value, str) for value in values) else None  # type: ignore[return-value]


class IamApi:
    """One sandbox's IAM: the tokens it issued (value -> expiry) and the requests it answered."""

    def __init__(self, secret_for: Callable[[str], str | None]) -> None:
        self._secret_for = secret_for  # an access key's secret key (the ModelArts sandbox's AKs)
        self._tokens: dict[str, datetime] = {}
        self._lock = threading.Lock()

    def routes(self) -> list[Route]:
        return [Route("POST", "/v3/auth/tokens", self.create_token), Route("GET", "/v3/projects", self.projects)]

    def token_state(self, token: str) -> str:
        """"valid", "expired" or "unknown" for a token presented to ModelArts."""
        with self._lock:
            expires = self._tokens.get(token)
        if expires is None:
            return "unknown"
        return "valid" if datetime.now(UTC) < expires else "expired"

    def expire_tokens(self) -> None:
        with self._lock:
            past = datetime.now(UTC) - timedelta(seconds=1)
            self._tokens = dict.fromkeys(self._tokens, past)

    def create_token(self, request: Request) -> Response:
        body = json_object(request.body)
        given = _credentials(body) if body is not None else None
        if given is None:
            return _error(400, "IAM.0007", "The request body is invalid.")
        user, password, domain, scope = given
        if domain != SANDBOX_DOMAIN or password != SANDBOX_PASSWORD or user not in {*LIFETIMES, *REFUSED}:
            return _wrong_password()
        if user in REFUSED:
            return _error(*REFUSED[user])
        project = next(((name, ids[0]) for name, ids in PROJECTS.items() if scope in (name, *ids) and len(ids) == 1),
                       None)
        if project is None:
            return _error(400, "IAM.0011", f"The project {scope} does not exist or is not unique.")
        return self._issue(user, project, with_catalog="nocatalog" not in parse_qs(request.query))

    def _issue(self, user: str, project: tuple[str, str], with_catalog: bool) -> Response:
        now = datetime.now(UTC)
        token = "MIIsandbox" + os.urandom(48).hex()
        with self._lock:
            self._tokens[token] = now + LIFETIMES[user]
        domain = {"id": SANDBOX_DOMAIN_ID, "name": SANDBOX_DOMAIN}
        answer = {"expires_at": _stamp(now + LIFETIMES[user]), "issued_at": _stamp(now), "methods": ["password"],
                  **({"catalog": []} if with_catalog else {}),
                  "project": {"id": project[1], "name": project[0], "domain": domain},
                  "roles": [{"id": "0", "name": "te_admin"}],
                  "user": {"id": "u" + os.urandom(8).hex(), "name": user, "domain": domain,
                           "password_expires_at": ""}}
        response = json_response(201, {"token": answer})
        return response._replace(headers=(("X-Subject-Token", token), ("X-Request-Id", os.urandom(16).hex())))

    def projects(self, request: Request) -> Response:
        refused = self._authenticate(request)
        if refused is not None:
            return refused
        names = parse_qs(request.query).get("name")
        listed = [(name, ids) for name, ids in PROJECTS.items() if names is None or name in names]
        found = [_project(name, project_id) for name, ids in listed for project_id in ids]
        link = f"{request.base_url}{request.full_path}"
        return json_response(200, {"links": {"self": link, "previous": None, "next": None}, "projects": found})

    def _authenticate(self, request: Request) -> Response | None:
        from taskctl.providers.modelarts.signing import verify_request

        token = request.header("X-Auth-Token")
        if token is not None:
            state = self.token_state(token)
            return None if state == "valid" else _error(401, "IAM.0003", f"The token is {state}.")
        if request.header("Authorization") is None:
            return _error(401, "IAM.0001", "Missing X-Auth-Token or AK/SK signature.")
        reason = verify_request(request.method, request.full_path, request.headers, request.body, self._secret_for)
        return None if reason is None else _error(401, "IAM.0002", f"Authentication failed: {reason}")
