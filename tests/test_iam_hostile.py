"""IAM answers are untrusted: a lying IAM (redirects elsewhere, echoes, drips, inflates, leaves out the token or its
expiry, HTML) ends in a clean error with SPEC's exit code, in bounded time, and the password and the token reach
no host but the IAM endpoint and no output."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import pytest
from support import write_profiles
from support.loopback import LoopbackServer, Reply, drip, redirect, replies

from taskctl.http.client import MAX_ANSWER_BYTES

PASSWORD = "hunter2-Pa55word-of-the-iam-user"
TOKEN = "MIIhostile" + "t0ken" * 40
PROJECT = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"


def issued(expires_at: object = "2099-01-01T00:00:00.000000Z", headers: dict | None = None) -> Reply:
    body: dict = {"token": {"project": {"id": PROJECT, "name": "cn-north-4"}, "methods": ["password"]}}
    if expires_at is not None:
        body["token"]["expires_at"] = expires_at
    return Reply(201, body, {"X-Subject-Token": TOKEN} if headers is None else headers)


@pytest.fixture
def setup(profiles_file, monkeypatch, serve, raw) -> Callable[..., tuple[LoopbackServer, LoopbackServer]]:
    """setup(iam_script, **profile) -> (iam, modelarts): a password profile whose IAM answers by the script and
    whose ModelArts endpoint answers the task (and records what it got)."""
    monkeypatch.setenv("TASKCTL_PASSWORD", PASSWORD)

    def start(script, timeout: str = "{connect: 1, read: 2, total: 3}") -> tuple[LoopbackServer, LoopbackServer]:
        iam = script if isinstance(script, LoopbackServer) else serve(script)
        modelarts = serve(Reply(200, {"task_id": "t1", "status": 2}))
        write_profiles(profiles_file, "profiles:\n  ma:\n    provider: modelarts\n"
                                      f"    endpoint: {modelarts.url}\n    region: cn-north-4\n"
                                      f"    iam_endpoint: {iam.url}\n    auth: password\n    domain: acme\n"
                                      f"    username: bot\n    retries: 1\n    timeout: {timeout}\n")
        return iam, modelarts

    return start


def assert_clean(result, code: int, *texts: str) -> None:
    assert result.exit_code == code, (result.exit_code, result.stderr)
    assert result.stdout == "" and "Traceback" not in result.stderr and "internal error" not in result.stderr
    for text in texts:
        assert text in result.stderr, result.stderr
    assert PASSWORD not in result.stderr and TOKEN not in result.stderr and TOKEN[-20:] not in result.stderr


def test_a_good_iam_token_goes_to_modelarts_and_the_password_only_to_iam(cli, setup) -> None:
    iam, modelarts = setup(issued())
    result = cli("modelarts", "get", "t1", "--json", "--debug")
    assert result.exit_code == 0, result.stderr
    assert modelarts.requests[0].headers["x-auth-token"] == TOKEN
    assert modelarts.requests[0].path == f"/v2/{PROJECT}/processor-tasks/t1"  # the token's own project
    assert PASSWORD.encode() not in bytes(modelarts.received) and PASSWORD.encode() in bytes(iam.received)
    assert PASSWORD not in result.stderr and TOKEN not in result.stderr


def test_a_redirect_to_another_host_sends_it_nothing(cli, setup, raw) -> None:
    try:
        other = raw("127.0.0.2")
    except OSError:
        pytest.skip("127.0.0.2 is not a loopback address here")
    iam, modelarts = setup(redirect(f"http://127.0.0.2:{other.port}/v3/auth/tokens", 307))
    result = cli("modelarts", "get", "t1")
    assert_clean(result, 1, "redirected")
    assert other.connections == 0 and bytes(other.received) == b""
    assert modelarts.requests == []


@pytest.mark.parametrize(("reply", "code", "text"), [
    (Reply(401, {"error_msg": f"wrong password {PASSWORD}", "error_code": "IAM.0001"}), 4, "wrong password ***"),
    (Reply(401, {"error": {"code": 401, "message": f"password {json.dumps(PASSWORD)[1:-1]} rejected"}}), 4,
     "password *** rejected"),
    (Reply(401, "<html><body>401 Authorization Required</body></html>", {"Content-Type": "text/html"}), 4,
     "refused the credentials"),
    (Reply(201, "<html>maintenance</html>", {"Content-Type": "text/html", "X-Subject-Token": TOKEN}), 1, "HTML"),
    (issued(expires_at=None), 1, "has none as the token's expires_at"),
    (issued(expires_at="2001-01-01T00:00:00Z"), 1, "expired already"),
    (issued(expires_at="tomorrow"), 1, "cannot read as the token's expires_at"),
    (issued(headers={}), 1, "without a usable X-Subject-Token"),
    (issued(headers={"X-Subject-Token": "bad\x1btoken"}), 1, "without a usable X-Subject-Token"),
    (Reply(500, {"error_msg": "IAM is down"}), 1, "IAM is down"),
])
def test_lying_answers_are_clean_errors(cli, setup, reply: Reply, code: int, text: str) -> None:
    iam, modelarts = setup(reply)
    assert_clean(cli("modelarts", "get", "t1"), code, text)
    assert modelarts.requests == []


def test_a_token_echoed_by_modelarts_is_hidden(cli, setup, serve, profiles_file) -> None:
    iam, _ = setup(issued())
    echo = serve(Reply(403, {"error_code": "ModelArts.0201", "error_msg": f"token {TOKEN} may not"}))
    text = profiles_file.read_text().replace(_.url, echo.url)
    write_profiles(profiles_file, text)
    assert_clean(cli("modelarts", "get", "t1"), 4, "may not")


def test_a_dripping_iam_is_cut_at_the_deadline(cli, setup, raw) -> None:
    head = b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n"
    iam = raw(handler=drip(head + b'{"token": ' + b" " * 99000, 0.05))
    setup(iam, timeout="{connect: 1, read: 2, total: 1.5}")
    started = time.monotonic()
    result = cli("modelarts", "get", "t1")
    assert_clean(result, 5, "1.5 s")
    assert time.monotonic() - started < 15


def test_a_huge_iam_answer_is_refused_before_reading(cli, setup) -> None:
    setup(Reply(201, b"{}", {"Content-Length": str(MAX_ANSWER_BYTES + 1), "X-Subject-Token": TOKEN}))
    assert_clean(cli("modelarts", "get", "t1"), 1, "larger than 16 MiB")


def test_a_401_from_modelarts_gets_one_new_token_then_stops(cli, setup, serve, profiles_file) -> None:
    iam, first = setup(issued())
    refusing = serve(Reply(401, {"error_code": "APIGW.0301", "error_msg": "The token must be updated."}))
    write_profiles(profiles_file, profiles_file.read_text().replace(first.url, refusing.url))
    assert_clean(cli("modelarts", "get", "t1"), 4, "The token must be updated.")
    assert len(iam.requests) == 2 and len(refusing.requests) == 2


def test_an_iam_project_lookup_that_lies_is_a_clean_error(cli, serve, profiles_file, monkeypatch) -> None:
    monkeypatch.setenv("TASKCTL_SECRET_KEY", "sk-" + PASSWORD)
    iam = serve(replies(Reply(200, {"projects": "all of them"})))
    write_profiles(profiles_file, "profiles:\n  ma:\n    provider: modelarts\n    endpoint: http://127.0.0.1:9\n"
                                  f"    region: cn-north-4\n    iam_endpoint: {iam.url}\n    access_key: AK1\n"
                                  "    retries: 0\n")
    result = cli("modelarts", "get", "t1")
    assert_clean(result, 1, "no list of projects")
    assert json.loads(json.dumps(iam.requests[0].path)) == "/v3/projects?name=cn-north-4"


def test_a_regional_iam_without_the_project_list_hands_over_to_the_fallback(serve, isolated_env) -> None:
    from taskctl.config import Profile
    from taskctl.http import HttpClient
    from taskctl.providers.modelarts.projects import lookup

    regional = serve(Reply(404, {"error_code": "APIGW.0101", "error_msg": "The API does not exist."}))
    global_iam = serve(Reply(200, {"projects": [{"id": PROJECT, "name": "cn-north-4"}]}))
    client = HttpClient(Profile(name="ma", provider="modelarts", endpoint="http://127.0.0.1:9", retries=0))
    environ = {"HOME": str(isolated_env), "XDG_CACHE_HOME": str(isolated_env / ".cache")}
    found = lookup(client, environ, regional.url, "AK1", "cn-north-4", token="tok-" + TOKEN, sign=None,
                   fallback=global_iam.url)
    assert found == PROJECT and len(regional.requests) == len(global_iam.requests) == 1
    again = lookup(client, environ, regional.url, "AK1", "cn-north-4", token=None, sign=None, fallback=global_iam.url)
    assert again == PROJECT and len(global_iam.requests) == 1  # cached
    from taskctl.errors import ConfigError

    with pytest.raises(ConfigError, match="APIGW.0101 \\(HTTP 404\\)") as caught:  # no fallback: the 404 stands
        lookup(client, environ, regional.url, "AK2", "cn-north-4", token=None, sign=None)
    assert "check `iam_endpoint:`" in (caught.value.hint or "")


def test_a_token_iam_also_writes_into_its_answer_is_hidden_from_the_trace(cli, setup) -> None:
    """The token IAM hands out in X-Subject-Token is a secret from that moment: echoed in the same answer's body,
    plainly or in base64, the --debug trace shows neither."""
    import base64

    body = {"token": {"project": {"id": PROJECT, "name": "cn-north-4"}, "methods": ["password"],
                      "expires_at": "2099-01-01T00:00:00.000000Z"},
            "echo": TOKEN, "b64": base64.b64encode(TOKEN.encode()).decode()}
    setup(Reply(201, body, {"X-Subject-Token": TOKEN}))
    result = cli("modelarts", "get", "t1", "--json", "--debug")
    assert result.exit_code == 0, result.stderr
    assert '"echo": "***"' in result.stderr or '"echo":"***"' in result.stderr
    assert TOKEN not in result.stderr and TOKEN[-20:] not in result.stderr
    assert body["b64"] not in result.stderr and body["b64"][8:40] not in result.stderr


@pytest.mark.parametrize("tasks", [("t1",), ("t1", "t2")])
def test_watch_timeout_bounds_the_iam_request_made_while_connecting(cli, setup, raw, tasks) -> None:
    """The profile would let a request take 60 s; `watch --timeout 1` ends the dripping token request within its
    budget (a first request still gets its few seconds), for one task and for several."""
    head = b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n"
    iam = raw(handler=drip(head + b'{"token": ' + b" " * 99000, 0.05))
    setup(iam, timeout="{connect: 5, read: 60, total: 60}")
    started = time.monotonic()
    result = cli("modelarts", "watch", *tasks, "--timeout", "1")
    assert_clean(result, 5)
    assert time.monotonic() - started < 20


def test_auth_check_of_a_dripping_iam_ends_within_its_budget(cli, setup, raw) -> None:
    from taskctl.commands.auth_check import CHECK_SECONDS

    head = b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n"
    iam = raw(handler=drip(head + b'{"token": ' + b" " * 99000, 0.05))
    setup(iam, timeout="{connect: 5, read: 60, total: 60}")
    started = time.monotonic()
    result = cli("auth", "status", "ma", "--check")
    assert result.exit_code == 5, result.stderr
    assert "unreachable" in result.stdout
    assert time.monotonic() - started < CHECK_SECONDS + 10


@pytest.mark.parametrize("secret", ["token", "access_key"])
def test_a_refused_project_lookup_of_a_profile_without_password_does_not_speak_of_one(cli, serve, profiles_file,
                                                                                     monkeypatch, secret) -> None:
    iam = serve(Reply(401, {"error": {"code": 401, "message": "The request you have made requires authentication."}}))
    keys = "    token: tok-1234567890abc\n" if secret == "token" else "    access_key: AKEXAMPLE0001\n"
    monkeypatch.setenv("TASKCTL_SECRET_KEY", "sk-1234567890abcdef")
    write_profiles(profiles_file, f"profiles:\n  ma:\n    provider: modelarts\n    endpoint: http://127.0.0.1:9/m\n"
                   f"    region: cn-north-4\n    iam_endpoint: {iam.url}\n    retries: 0\n{keys}")
    result = cli("modelarts", "get", "t1")
    assert result.exit_code == 4, result.stderr
    assert "credentials of profile 'ma'" in result.stderr
    assert "password" not in result.stderr and "username" not in result.stderr
