"""The error mapper: a failed answer's facts and rule tables in, one finished error out (no network), and one
command-line case per provider that shows the whole two lines a user reads."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from taskctl.config import Profile
from taskctl.errors import (
    AuthError,
    ConfigError,
    ExitCode,
    NotFoundError,
    RateLimitError,
    ResponseError,
    ServiceError,
    UsageError,
)
from taskctl.providers.eo.errors import RULES as EO
from taskctl.providers.error_rules import DEFAULTS, NO_RULES, Failure, Rule, Rules, error_for
from taskctl.providers.koodrive.errors import RULES as KOODRIVE
from taskctl.providers.modelarts.errors import RULES as MODELARTS

ENDPOINT = "https://api.example.com/base"


def profile(provider: str = "eo", name: str = "prod", **settings: str) -> Profile:
    return Profile(name=name, provider=provider, endpoint=ENDPOINT, settings=settings)


def failure(status: int, code: object = None, *, provider: str = "eo", text: str = "", **facts: object) -> Failure:
    facts.setdefault("profile", profile(provider))
    return Failure(f"{provider} task 7", status, code=code, text=text, **facts)  # type: ignore[arg-type]


# --- the table semantics ------------------------------------------------------------------------------------


def test_the_first_matching_row_wins() -> None:
    rules = Rules((Rule(UsageError, "first", status=418), Rule(AuthError, "second", status=418)))

    error = error_for(failure(418), rules)

    assert type(error) is UsageError and error.hint == "first"


def test_provider_rows_come_before_the_defaults() -> None:
    rules = Rules((Rule(ServiceError, "ours", status=404),))

    assert type(error_for(failure(404), NO_RULES)) is NotFoundError
    ours = error_for(failure(404), rules)
    assert type(ours) is ServiceError and ours.hint == "ours"


def test_a_row_matches_only_when_every_condition_holds() -> None:
    row = Rule(NotFoundError, status=(400, 404), code=13000309, when=lambda f: f.text == "gone")

    assert row.matches(failure(400, "13000309", text="gone"))  # a string of digits is that number
    assert row.matches(failure(404, 13000309.0, text="gone"))  # so is an integral float
    assert not row.matches(failure(500, 13000309, text="gone"))
    assert not row.matches(failure(404, 13000308, text="gone"))
    assert not row.matches(failure(404, 13000309, text="here"))
    assert Rule(UsageError, code_prefix="apigw").matches(failure(400, "APIGW.0101"))  # letter case aside
    assert not Rule(UsageError, code_prefix="APIGW").matches(failure(400, 401))


@pytest.mark.parametrize(("status", "code", "expected", "hint"), [
    (401, None, AuthError, "check the credentials of profile 'prod': taskctl auth status"),
    (403, None, AuthError, "the credentials of profile 'prod' were accepted but may not see this task; check its "
                           "project and your permissions"),
    (404, "NOT_FOUND", NotFoundError, f"check the id, and that profile 'prod' points at the right service "
                                      f"({ENDPOINT})"),
    (404, "APIGW.0101", ConfigError, f"check `endpoint:` of profile 'prod' ({ENDPOINT})"),  # a gateway's, not the API's
    (400, None, UsageError, "check the task id and options"),
    (429, None, RateLimitError, "wait a minute and try again; fetch fewer ids at once"),
    (502, "APIGW.0201", ServiceError, "retry later; if it persists, contact the service's support"),
    (500, None, ServiceError, "retry later; if it persists, contact the service's support"),
    (200, "E17", ServiceError, "retry later; if it persists, contact the service's support"),
])
def test_the_defaults_serve_a_provider_without_rows(status: int, code: object, expected: type, hint: str) -> None:
    error = error_for(failure(status, code, text="said so"), NO_RULES)

    assert type(error) is expected and error.hint == hint


def test_a_message_quotes_the_service() -> None:
    assert error_for(failure(503, "E17", text="down for maintenance")).message == (
        "eo task 7: error E17 (HTTP 503): down for maintenance")
    assert error_for(failure(503, 17)).message == "eo task 7: error 17 (HTTP 503)"


def test_the_gateway_404_names_the_code_and_the_endpoint() -> None:
    error = error_for(failure(404, "APIGW.0101"), NO_RULES)

    assert error.message == ("eo task 7: HTTP 404 with the API gateway's error APIGW.0101, not the eo API's own answer:"
                             " the endpoint looks wrong")
    assert error.exit_code == ExitCode.CONFIG


@pytest.mark.parametrize(("status", "expected", "message", "hint"), [
    (404, ConfigError, "eo task 7: HTTP 404 with an HTML page, not the eo API's own answer: the endpoint looks wrong",
     f"check `endpoint:` of profile 'prod' ({ENDPOINT})"),
    (401, AuthError, "proxy.example refused the credentials (HTTP 401) for eo task 7",
     "check the token: taskctl auth status"),
    (403, AuthError, "proxy.example refused the credentials (HTTP 403) for eo task 7",
     "check the token: taskctl auth status"),
    (429, RateLimitError, "eo task 7: proxy.example is rate limiting requests (HTTP 429), still after retries",
     "wait a minute and try again; fetch fewer ids at once"),
    (502, ResponseError, "eo task 7: HTTP 502 from proxy.example with an HTML page, not the API's JSON",
     "retry later; if it persists, check the profile's endpoint"),
])
def test_an_answer_that_is_not_the_apis_own(status: int, expected: type, message: str, hint: str) -> None:
    rules = Rules((Rule(UsageError, "never", status=status),))  # a row about the API's own answers: not asked
    error = error_for(failure(status, host="proxy.example", got="an HTML page"), rules)

    assert (type(error), error.message, error.hint) == (expected, message, hint)


def test_a_request_id_is_in_the_message_from_the_start() -> None:
    own = error_for(failure(500, "Svc.0010", text="boom", request_id="r-1"), Rules(code_label="{code}"))
    assert own.message == "eo task 7: Svc.0010 (HTTP 500, request id r-1): boom"
    assert own.hint == "retry later; if it persists, contact the service's support"

    foreign = error_for(failure(503, host="h", got="an empty body", request_id="r-2"))
    assert foreign.message == "eo task 7: HTTP 503 from h with an empty body, not the API's JSON (request id r-2)"
    assert foreign.hint == "retry later; if it persists, give the request id to support"  # what support can trace


def test_server_text_is_never_read_as_a_template() -> None:
    error = error_for(failure(404, "{profile}", text="{endpoint} {what!r} {0}"), NO_RULES)

    assert error.message == "eo task 7: error {profile} (HTTP 404): {endpoint} {what!r} {0}"


@pytest.mark.parametrize("rules", [NO_RULES, EO, KOODRIVE, MODELARTS], ids=["defaults", "eo", "koodrive", "modelarts"])
def test_every_answer_gets_an_error(rules: Rules) -> None:
    for status in range(100, 600):
        for code in (None, 0, 400, 401, 403, 404, 13000309, "APIGW.0101", "x"):
            assert isinstance(error_for(failure(status, code), rules), Exception)
        assert isinstance(error_for(failure(status, got="an empty body"), rules), Exception)
    assert any(row.foreign and row.status is None and row.when is None for row in DEFAULTS)
    assert any(not row.foreign and row.status is None and row.code is None and row.when is None for row in DEFAULTS)


# --- each provider's documented codes -----------------------------------------------------------------------


@pytest.mark.parametrize(("status", "code", "exit_code", "hint"), [
    (200, 400, 2, "check the task id and options"),
    (200, 401, 4, "check the credentials of profile 'prod': taskctl auth status"),
    (200, 403, 4, "the credentials of profile 'prod' were accepted but may not see this task; check its project "
                  "and your permissions"),
    (200, 404, 3, f"check the id, and that profile 'prod' points at the right service ({ENDPOINT})"),
    (200, 500, 1, "retry later; if it persists, contact the service's support"),
    (401, 500, 1, "retry later; if it persists, contact the service's support"),  # the body's code decides
    (500, 404, 3, f"check the id, and that profile 'prod' points at the right service ({ENDPOINT})"),
    (429, 401, 1, "wait a minute and try again; fetch fewer ids at once"),  # except after the HTTP layer's retries
    (404, "APIGW.0101", 3, f"check the id, and that profile 'prod' points at the right service ({ENDPOINT})"),
])
def test_eo_codes(status: int, code: object, exit_code: int, hint: str) -> None:
    error = error_for(failure(status, code, text="m"), EO)

    assert (error.exit_code, error.hint) == (exit_code, hint)
    assert error.message == f"eo task 7: error {code} (HTTP {status}): m"


@pytest.mark.parametrize(("status", "code", "exit_code", "hint"), [
    (400, 13000102, 2, "check the task id, --share-id and --kdstoken"),  # Verify parameters failed.
    (400, 13000301, 3, "check the task id and the share id"),  # Space does not exist or is abnormal.
    (400, "13000309", 3, "check the task id and the share id"),  # Resource does not exist.
    (400, 13000410, 4, "this share may need a (valid) --kdstoken"),  # no permission for the space: its lock
    (403, 13000410, 4, "check the token of profile 'prod' (taskctl auth status)"),  # ... or the token
    (401, "KD.00000401", 4, "check the token of profile 'prod' (taskctl auth status)"),
    (401, 13000102, 2, "check the task id, --share-id and --kdstoken"),  # a documented code decides
    (400, 13000999, 2, "check the task id, --share-id and --kdstoken"),
    (200, 401, 1, "retry later; if it persists, contact KooDrive support"),  # codes are not HTTP statuses here
    (404, 13000999, 1, "retry later; if it persists, contact KooDrive support"),
    (500, 13000999, 1, "retry later; if it persists, contact KooDrive support"),
])
def test_koodrive_codes(status: int, code: object, exit_code: int, hint: str) -> None:
    error = error_for(failure(status, code, provider="koodrive", text="m"), KOODRIVE)

    assert (error.exit_code, error.hint) == (exit_code, hint)
    assert error.message == f"koodrive task 7: error {code} (HTTP {status}): m"


@pytest.mark.parametrize(("status", "settings", "exit_code", "hint"), [
    (401, {}, 4, "the IAM token may have expired (they last 24 h): get a new one into $TASKCTL_TOKEN or run: "
                 "taskctl auth login prod"),
    (401, {"access_key": "AK"}, 4, "check the access key and secret key (taskctl auth status)"),
    (403, {}, 4, "the credentials were accepted but lack permission for this task or project; ask the project's "
                 "administrator"),
    (404, {}, 3, "check the task id and the project id"),
    (400, {}, 2, "check the task id and the project id"),
    (429, {}, 1, "wait a minute and try again; fetch fewer ids at once"),
    (500, {}, 1, "retry later; if it persists, give the request id to support"),
    (200, {}, 1, "retry later; if it persists, give the request id to support"),
])
def test_modelarts_codes(status: int, settings: dict[str, str], exit_code: int, hint: str) -> None:
    facts = failure(status, "ModelArts.4352", provider="modelarts", text="m", request_id="abc",
                    profile=profile("modelarts", **settings))
    error = error_for(facts, MODELARTS)

    assert (error.exit_code, error.hint) == (exit_code, hint)
    assert error.message == f"modelarts task 7: ModelArts.4352 (HTTP {status}, request id abc): m"


def test_modelarts_without_a_code_or_a_request_id() -> None:
    error = error_for(failure(500, provider="modelarts", profile=profile("modelarts")), MODELARTS)

    assert error.message == "modelarts task 7: error (HTTP 500)"
    assert error.hint == "retry later; if it persists, contact the service's support"  # no request id to give


def test_the_builtin_sandbox_has_no_token_to_renew() -> None:
    sandbox = Profile(name="sandbox", provider="modelarts", endpoint=ENDPOINT, builtin_sandbox=True)

    assert error_for(failure(401, provider="modelarts", profile=sandbox), MODELARTS).hint is None


@pytest.mark.parametrize(("rules", "provider", "status", "code"), [
    (EO, "eo", 200, 401), (EO, "eo", 200, 403), (EO, "eo", 404, 404),
    (KOODRIVE, "koodrive", 401, None), (KOODRIVE, "koodrive", 403, 13000410),
    (MODELARTS, "modelarts", 401, None), (NO_RULES, "eo", 401, None), (NO_RULES, "eo", 404, "x"),
])
def test_the_hint_names_the_profile(rules: Rules, provider: str, status: int, code: object) -> None:
    facts = failure(status, code, provider=provider, profile=profile(provider, name="team-prod"))

    assert "team-prod" in (error_for(facts, rules).hint or "")


# --- through the command line: each provider's two lines ----------------------------------------------------


def _profiles(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    os.chmod(path, 0o600)


def _lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.strip()]


def test_eo_a_body_400_under_http_200_is_a_usage_error(cli, sandbox, profiles_file) -> None:
    from taskctl.sandbox import SANDBOX_TOKEN
    from taskctl.sandbox.server import json_response

    sandbox.add_task("eo", 4400, json_response(200, {"code": 400, "message": "taskId is invalid", "data": None}))
    _profiles(profiles_file, f"profiles:\n  lab:\n    provider: eo\n    endpoint: {sandbox.endpoint('eo')}\n"
                             f"    token: {SANDBOX_TOKEN}\n    retries: 0\n")

    result = cli("eo", "get", "4400")

    assert result.exit_code == 2 and result.stdout == ""
    assert _lines(result.stderr) == ["taskctl: error: eo task 4400: error 400 (HTTP 200): taskId is invalid",
                                     "taskctl: check the task id and options"]


def test_koodrive_a_missing_space_is_not_found(cli, sandbox, profiles_file) -> None:
    from taskctl.providers.koodrive import SANDBOX_SHARE_ID
    from taskctl.providers.koodrive.emulator import error
    from taskctl.sandbox import SANDBOX_TOKEN

    sandbox.add_task("koodrive", "task-space", error(13000301, "Space does not exist or is abnormal."))
    _profiles(profiles_file, f"profiles:\n  lab:\n    provider: koodrive\n    endpoint: {sandbox.endpoint('koodrive')}"
                             f"\n    token: {SANDBOX_TOKEN}\n    retries: 0\n")

    result = cli("koodrive", "get", "task-space", "--share-id", SANDBOX_SHARE_ID)

    assert result.exit_code == 3 and result.stdout == ""
    assert _lines(result.stderr) == [
        "taskctl: error: koodrive task task-space: error 13000301 (HTTP 400): Space does not exist or is abnormal.",
        "taskctl: check the task id and the share id"]


def test_modelarts_a_bad_request_names_its_code_and_request_id(cli, sandbox, profiles_file) -> None:
    from taskctl.providers.modelarts import SANDBOX_PROJECT_ID
    from taskctl.providers.modelarts.emulator import error
    from taskctl.sandbox import SANDBOX_TOKEN

    sandbox.add_task("modelarts", "task-bad", error(400, "ModelArts.4353", "The task id is invalid."))
    _profiles(profiles_file, f"profiles:\n  lab:\n    provider: modelarts\n"
                             f"    endpoint: {sandbox.endpoint('modelarts')}\n    project_id: {SANDBOX_PROJECT_ID}\n"
                             f"    token: {SANDBOX_TOKEN}\n    retries: 0\n")

    result = cli("modelarts", "get", "task-bad")

    assert result.exit_code == 2 and result.stdout == ""
    message, hint = _lines(result.stderr)
    assert re.fullmatch(r"taskctl: error: modelarts task task-bad: ModelArts\.4353 "
                        r"\(HTTP 400, request id [0-9a-f]{32}\): The task id is invalid\.", message), message
    assert hint == "taskctl: check the task id and the project id"
