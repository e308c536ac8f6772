"""The one HTTP policy (taskctl.http), end to end over real loopback sockets.

Each test starts small purpose-built HTTP servers on 127.0.0.1 (port 0, daemon threads), points an `eo`
profile at them, runs the real Typer app and checks what the user sees (exit code, stderr, stdout) and
what every server received. Nothing here mocks or patches `requests`.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import time
import warnings
from email.utils import formatdate
from pathlib import Path
from typing import Any

import pytest
from support.eo_http import DETAIL, TOKEN, assert_clean_error, error_lines, html, json_documents, ok, task
from support.loopback import PREFIX, LoopbackServer, Reply, Seen, replies

from taskctl.config import Profile, Timeouts
from taskctl.errors import ConfigError, NetworkError, ResponseError
from taskctl.http import POOL_SIZE, HttpClient, Redactor


def client_for(server: LoopbackServer, *, retries: int = 1, sleeps: list[float] | None = None,
               **profile: Any) -> HttpClient:
    record = sleeps.append if sleeps is not None else (lambda _seconds: None)
    return HttpClient(Profile(name="direct", provider="eo", endpoint=server.endpoint, retries=retries,
                              timeouts=Timeouts(connect=1, read=3), **profile),
                      redact=Redactor([TOKEN]), sleep=record)


def post(client: HttpClient, server: LoopbackServer, task_id: int = 1, header: str = "Authorization") -> Any:
    return client.request("POST", server.endpoint + DETAIL, headers={header: TOKEN},
                          json_body={"taskId": task_id})


# --- 1. retries ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [502, 503, 504])
def test_gateway_error_then_success_is_retried(cli, serve, use, status: int) -> None:
    server = serve(replies(Reply(status, {"code": status, "message": "busy"}, {"Retry-After": "0"}), ok(1)))
    use(server.endpoint, retries=2)

    result = cli("eo", "get", "1", "--json")

    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == task(1)
    assert result.stderr == ""
    assert len(server.requests) == 2
    for seen in server.requests:
        assert (seen.method, seen.path) == ("POST", PREFIX + DETAIL)
        assert seen.headers["authorization"] == TOKEN
        assert seen.json() == {"taskId": 1}


def test_429_retry_after_seconds_is_honoured(serve) -> None:
    server = serve(replies(Reply(429, {"code": 429}, {"Retry-After": "1"}), ok(1)))
    sleeps: list[float] = []

    response = post(client_for(server, sleeps=sleeps), server)

    assert response.status_code == 200
    assert sleeps == [1.0]
    assert len(server.requests) == 2


def test_retry_after_http_date_is_honoured(serve) -> None:
    server = serve(replies(Reply(503, "", {"Retry-After": formatdate(time.time() + 3, usegmt=True)}), ok(1)))
    sleeps: list[float] = []

    response = post(client_for(server, sleeps=sleeps), server)

    assert response.status_code == 200
    assert len(sleeps) == 1 and 1.0 <= sleeps[0] <= 3.5, sleeps
    assert len(server.requests) == 2


def test_retry_after_zero_means_now_not_backoff(serve) -> None:
    server = serve(replies(Reply(503, "", {"Retry-After": "0"}), ok(1)))
    sleeps: list[float] = []

    post(client_for(server, sleeps=sleeps), server)

    assert sleeps == [0.0]


def test_huge_retry_after_is_capped(serve) -> None:
    server = serve(replies(Reply(503, "", {"Retry-After": "86400"}), ok(1)))
    sleeps: list[float] = []

    post(client_for(server, sleeps=sleeps), server)

    assert len(sleeps) == 1 and sleeps[0] <= 60


def test_backoff_without_retry_after_grows_and_is_bounded(serve) -> None:
    server = serve(Reply(503, ""))
    sleeps: list[float] = []

    response = post(client_for(server, retries=4, sleeps=sleeps), server)

    assert response.status_code == 503  # the caller turns it into an error
    assert len(server.requests) == 5
    assert len(sleeps) == 4
    assert all(0 < delay <= 8 for delay in sleeps)
    assert sleeps[0] <= 0.5


def test_persistent_503_with_html_exhausts_retries(cli, serve, use) -> None:
    server = serve(html(503, "Service Unavailable", **{"Retry-After": "0"}))
    use(server.endpoint, retries=2)

    result = cli("eo", "get", "1")

    text = assert_clean_error(result, 1, "503", "html")
    assert "retry later" in text
    assert len(server.requests) == 3


def test_500_is_not_retried(cli, serve, use) -> None:
    server = serve(Reply(500, {"code": 500, "message": "internal failure", "data": None}))
    use(server.endpoint, retries=2)

    result = cli("eo", "get", "1")

    assert_clean_error(result, 1, "500", "internal failure")
    assert len(server.requests) == 1


def test_4xx_is_not_retried(cli, serve, use) -> None:
    server = serve(Reply(401, {"code": 401, "message": "token expired", "data": None}))
    use(server.endpoint, retries=2)

    result = cli("eo", "get", "1")

    assert_clean_error(result, 4, "token expired")
    assert len(server.requests) == 1


# --- 2. network failures -------------------------------------------------------------------------------


def test_connection_refused_is_exit_5(cli, use, closed_port) -> None:
    port = closed_port
    use(f"http://127.0.0.1:{port}/prefix", retries=1)

    result = cli("eo", "get", "1")

    assert_clean_error(result, 5, "cannot connect", f"127.0.0.1:{port}", "connection refused")


def test_read_timeout_is_exit_5_and_retried(cli, serve, use) -> None:
    server = serve(Reply(200, {"code": 200, "data": task(1)}, delay=1.2))
    use(server.endpoint, retries=1, timeout="{connect: 1, read: 0.3}")

    started = time.monotonic()
    result = cli("eo", "get", "1")
    elapsed = time.monotonic() - started

    assert_clean_error(result, 5, "did not answer within 0.3 s")
    assert len(server.requests) == 2
    assert elapsed < 2.0


def test_stall_in_the_middle_of_the_body_is_a_read_timeout(cli, serve, use) -> None:
    server = serve(Reply(200, {"code": 200, "data": task(1)}, stall=1.2))
    use(server.endpoint, retries=0, timeout="{connect: 1, read: 0.3}")

    result = cli("eo", "get", "1")

    text = assert_clean_error(result, 5, "did not answer within 0.3 s")
    assert "cannot connect" not in text


def test_dropped_connection_is_retried(cli, serve, use) -> None:
    server = serve(replies(Reply(drop=True), ok(1)))
    use(server.endpoint, retries=1)

    result = cli("eo", "get", "1", "--json")

    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["id"] == 1
    assert len(server.requests) == 2
    assert len(server.client_ports) == 2


def test_dropped_connections_exhaust_retries(cli, serve, use) -> None:
    server = serve(Reply(drop=True))
    use(server.endpoint, retries=1)

    result = cli("eo", "get", "1")

    assert_clean_error(result, 5, "127.0.0.1")
    assert len(server.requests) == 2


def test_zero_retries_means_one_attempt(cli, serve, use) -> None:
    server = serve(Reply(drop=True))
    use(server.endpoint, retries=0)

    result = cli("eo", "get", "1")

    assert result.exit_code == 5
    assert len(server.requests) == 1


# --- 3. redirects --------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
@pytest.mark.parametrize("auth_header", ["Authorization", "X-API-Key"])
def test_redirect_to_another_port_is_refused(cli, serve, use, status: int, auth_header: str) -> None:
    other = serve(ok(1))
    server = serve(Reply(status, "", {"Location": other.endpoint + DETAIL}))
    use(server.endpoint, extra=f"auth_header: {auth_header}")

    result = cli("eo", "get", "1")

    assert_clean_error(result, 1, f"redirected from http://127.0.0.1:{server.port} to http://127.0.0.1:{other.port}",
                       "only to the endpoint's own scheme and port")
    assert other.requests == []
    assert len(server.requests) == 1
    assert server.requests[0].headers[auth_header.lower()] == TOKEN


def test_redirect_from_127_0_0_1_to_localhost_is_refused(cli, serve, use) -> None:
    server = serve(ok(1))
    server.script = replies(Reply(307, "", {"Location": f"http://localhost:{server.port}/elsewhere"}), ok(1))
    use(server.endpoint)

    result = cli("eo", "get", "1")

    assert_clean_error(result, 1, "redirected to another host", "localhost")
    assert len(server.requests) == 1  # the token did not follow to "localhost", though it is the same socket


def test_redirect_to_https_of_same_host_is_refused(cli, serve, use, closed_port) -> None:
    server = serve(Reply(301, "", {"Location": f"https://127.0.0.1:{closed_port}/prefix" + DETAIL}))
    use(server.endpoint)

    result = cli("eo", "get", "1")

    assert_clean_error(result, 1, f"redirected from http://127.0.0.1:{server.port} to https://127.0.0.1:{closed_port}",
                       f"use https://127.0.0.1:{closed_port} in the profile's endpoint")
    assert len(server.requests) == 1


def test_redirect_message_does_not_echo_userinfo(cli, serve, use) -> None:
    other = serve(ok(1))
    server = serve(Reply(302, "", {"Location": f"http://admin:hunter2-pass@127.0.0.1:{other.port}/x"}))
    use(server.endpoint)

    result = cli("eo", "get", "1")

    assert_clean_error(result, 1, "redirected to a URL taskctl does not follow", "user name or password")
    assert "hunter2-pass" not in result.stderr
    assert other.requests == []


@pytest.mark.parametrize("auth_header", ["Authorization", "X-API-Key"])
def test_same_origin_307_is_followed_with_method_body_and_token(cli, serve, use, auth_header: str) -> None:
    server = serve(lambda seen, _i: ok(1) if seen.path.startswith("/v2/") else
                   Reply(307, "", {"Location": "/v2" + DETAIL}))
    use(server.endpoint, extra=f"auth_header: {auth_header}")

    result = cli("eo", "get", "1", "--json")

    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["id"] == 1
    assert [seen.path for seen in server.requests] == [PREFIX + DETAIL, "/v2" + DETAIL]
    second = server.requests[1]
    assert second.method == "POST"
    assert second.json() == {"taskId": 1}
    assert second.headers[auth_header.lower()] == TOKEN
    if auth_header != "Authorization":
        assert "authorization" not in second.headers


def test_redirect_loop_stops(cli, serve, use) -> None:
    server = serve(Reply(307, "", {"Location": PREFIX + DETAIL}))
    use(server.endpoint)

    result = cli("eo", "get", "1")

    assert_clean_error(result, 1, "too many redirects")
    assert 2 <= len(server.requests) <= 10


def test_redirect_without_location_is_a_bad_response(cli, serve, use) -> None:
    server = serve(Reply(302, "", {"Content-Type": "text/plain"}))
    use(server.endpoint)

    result = cli("eo", "get", "1")

    assert_clean_error(result, 1, "302")
    assert len(server.requests) == 1


# --- 4. plain http to a non-loopback host ---------------------------------------------------------------


def test_plain_http_to_remote_host_is_refused_before_any_network(cli, use) -> None:
    use("http://eo.example.invalid/api")

    started = time.monotonic()
    result = cli("eo", "get", "1")

    assert_clean_error(result, 6, "plain http", "eo.example.invalid", "allow_http")
    assert time.monotonic() - started < 1.0


def test_allow_http_lifts_the_refusal(cli, use) -> None:
    use("http://eo.example.invalid/api", retries=0, extra="allow_http: true")

    result = cli("eo", "get", "1")

    text = assert_clean_error(result, 5, "eo.example.invalid")
    assert "allow_http" not in text


@pytest.mark.parametrize("endpoint", ["http://localhost:{port}/prefix", "http://[::1]:{port}/prefix"])
def test_plain_http_to_loopback_names_is_allowed(cli, use, closed_port, endpoint: str) -> None:
    use(endpoint.format(port=closed_port), retries=0)

    result = cli("eo", "get", "1")

    assert result.exit_code == 5  # tried to connect: no refusal for loopback
    assert "allow_http" not in result.stderr


# --- 5. --debug traces, never a secret -------------------------------------------------------------------


def test_debug_traces_request_and_response(cli, serve, use) -> None:
    server = serve(ok(1))
    use(server.endpoint)

    result = cli("eo", "get", "1", "--json", "--debug")

    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["id"] == 1  # the trace goes to stderr only
    assert f"> POST {server.endpoint}{DETAIL}" in result.stderr
    assert "> Authorization: <redacted>" in result.stderr
    assert '> {"taskId": 1}' in result.stderr
    assert "< HTTP 200" in result.stderr
    assert '"taskName": "task 1"' in result.stderr
    assert TOKEN not in result.stdout + result.stderr


def test_debug_never_shows_token_echoed_by_the_server(cli, serve, use) -> None:
    echo = {"code": 401, "message": f"token {TOKEN} is not valid", "data": None}
    server = serve(Reply(401, echo, {"X-Echo-Token": TOKEN, "Set-Cookie": f"session={TOKEN}",
                                     "Authorization": TOKEN}))
    use(server.endpoint, extra="auth_header: X-API-Key")

    result = cli("eo", "get", "1", "--debug")

    assert result.exit_code == 4
    assert "< HTTP 401" in result.stderr
    assert "> X-API-Key: <redacted>" in result.stderr
    assert "is not valid" in result.stderr
    assert TOKEN not in result.stdout + result.stderr
    assert "SECRET" not in result.stdout + result.stderr


def test_debug_never_shows_token_echoed_escaped_or_percent_encoded(cli, serve, use) -> None:
    from urllib.parse import quote

    token = "tok/SECRET+päss=1234567890"
    body = ('{"code": 401, "message": "bad token ' + token.replace("/", "\\/") + " " +
            json.dumps(token)[1:-1] + '", "data": null}')
    server = serve(Reply(401, body, {"X-Echo": quote(token, safe="")}))
    use(server.endpoint, token=json.dumps(token))

    result = cli("eo", "get", "1", "--debug")

    assert result.exit_code == 4
    assert server.requests[0].headers["authorization"] == token
    assert "SECRET" not in result.stdout + result.stderr


def test_error_message_never_shows_token_echoed_by_the_server(cli, serve, use) -> None:
    server = serve(Reply(200, {"code": 403, "message": f"{TOKEN} may not read task 1", "data": None}))
    use(server.endpoint)

    result = cli("eo", "get", "1")

    assert_clean_error(result, 4, "may not read task 1")


def test_debug_trace_does_not_leak_a_token_cut_by_the_body_limit(cli, serve, use) -> None:
    from taskctl.http import TRACE_BODY_LIMIT

    padding = "x" * (TRACE_BODY_LIMIT - len('{"message": "') - 10)  # the limit cuts the token in two
    server = serve(Reply(500, '{"message": "' + padding + TOKEN + '"}'))
    use(server.endpoint, retries=0)

    result = cli("eo", "get", "1", "--debug")

    assert result.exit_code == 1
    assert "SECRET" not in result.stdout + result.stderr


def test_debug_redacts_a_custom_auth_header_even_without_a_redactor(serve) -> None:
    server = serve(ok(1))
    lines: list[str] = []
    profile = Profile(name="p", provider="eo", endpoint=server.endpoint, settings={"auth_header": "X-Tenant-Key"})
    client = HttpClient(profile, trace=lines.append)

    post(client, server, header="X-Tenant-Key")

    assert "> X-Tenant-Key: <redacted>" in lines
    assert not any(TOKEN in line for line in lines)


def test_debug_traces_retries_and_redirects(cli, serve, use) -> None:
    server = serve(lambda seen, i: ok(1) if seen.path.startswith("/v2/") else
                   Reply(503, "", {"Retry-After": "0"}) if i == 0 else Reply(307, "", {"Location": "/v2" + DETAIL}))
    use(server.endpoint)

    result = cli("eo", "get", "1", "--debug")

    assert result.exit_code == 0, result.stderr
    assert "< HTTP 503" in result.stderr
    assert "retry 1/1" in result.stderr
    assert f"redirect to {server.url}/v2{DETAIL}" in result.stderr
    assert TOKEN not in result.stderr


# --- 6. responses ----------------------------------------------------------------------------------------


def test_html_with_200_from_a_gateway(cli, serve, use) -> None:
    server = serve(html(200, "Please log in"))
    use(server.endpoint)

    result = cli("eo", "get", "1")

    assert_clean_error(result, 1, "http 200", "html")
    assert len(server.requests) == 1


def test_html_with_502_is_retried_then_reported(cli, serve, use) -> None:
    server = serve(html(502, **{"Retry-After": "0"}))
    use(server.endpoint, retries=1)

    result = cli("eo", "get", "1")

    assert_clean_error(result, 1, "http 502", "html")
    assert len(server.requests) == 2


def test_truncated_json(cli, serve, use) -> None:
    server = serve(Reply(200, '{"code": 200, "message": "success", "data": {"id": 1, "taskName": "ta'))
    use(server.endpoint)

    result = cli("eo", "get", "1")

    assert_clean_error(result, 1, "truncated json")


def test_body_shorter_than_content_length_is_a_network_failure(cli, serve, use) -> None:
    server = serve(Reply(200, '{"code": 200', {"Content-Length": "500", "Connection": "close"}))
    use(server.endpoint, retries=1)

    result = cli("eo", "get", "1")

    assert_clean_error(result, 5, "broke before a full answer arrived")
    assert len(server.requests) == 2


def test_invalid_json(cli, serve, use) -> None:
    server = serve(Reply(200, '{"code": 200, "data": {"id": 1,,}}'))
    use(server.endpoint)

    result = cli("eo", "get", "1")

    assert_clean_error(result, 1, "invalid json")


def test_empty_body(cli, serve, use) -> None:
    server = serve(Reply(200, ""))
    use(server.endpoint)

    result = cli("eo", "get", "1")

    assert_clean_error(result, 1, "empty body")


@pytest.mark.parametrize("body", [
    {"code": 200, "message": "success", "data": [task(1)]},
    {"code": 200, "message": "success", "data": None},
    {"message": "success", "data": task(1)},
    [task(1)],
    "a string",
    42,
])
def test_json_of_the_wrong_shape(cli, serve, use, body: Any) -> None:
    server = serve(Reply(200, json.dumps(body)))
    use(server.endpoint)

    result = cli("eo", "get", "1")

    assert_clean_error(result, 1)


@pytest.mark.parametrize("code", [401, 403])
def test_body_auth_code_with_http_200_is_exit_4(cli, serve, use, code: int) -> None:
    server = serve(Reply(200, {"code": code, "message": "no permission for this task", "data": None}))
    use(server.endpoint)

    result = cli("eo", "get", "1")

    assert_clean_error(result, 4, "no permission for this task")


def test_body_404_is_exit_3(cli, serve, use) -> None:
    server = serve(Reply(200, {"code": 404, "message": "task not found", "data": None}))
    use(server.endpoint)

    result = cli("eo", "get", "1")

    assert_clean_error(result, 3, "task not found")


def test_http_404_with_html_hints_at_the_endpoint(cli, serve, use) -> None:
    server = serve(html(404, "Not Found"))
    use(server.endpoint)

    result = cli("eo", "get", "1")

    assert_clean_error(result, 6, "404", "endpoint looks wrong", server.endpoint)  # not the API: a config error
    assert len(server.requests) == 1


@pytest.mark.parametrize("status", [401, 403])
def test_http_auth_refusal_with_html_is_exit_4(cli, serve, use, status: int) -> None:
    server = serve(html(status, "Forbidden"))
    use(server.endpoint)

    result = cli("eo", "get", "1")

    assert_clean_error(result, 4, str(status))


@pytest.mark.parametrize("body", ["[" * 100_000, '{"a":' * 100_000, "[" * 100_000 + "]" * 100_000])
def test_deeply_nested_json_does_not_crash(cli, serve, use, body: str) -> None:
    server = serve(Reply(200, body))
    use(server.endpoint)

    result = cli("eo", "get", "1")

    assert_clean_error(result, 1, "nested")


@pytest.mark.parametrize("output", ["json", "table", "yaml", "tree"])
def test_moderately_nested_json_in_a_task_does_not_crash(cli, serve, use, output: str) -> None:
    deep = "[" * 600 + "]" * 600
    server = serve(Reply(200, '{"code": 200, "data": {"id": 1, "status": 7, "extra": ' + deep + "}}"))
    use(server.endpoint)

    result = cli("eo", "get", "1", "-o", output)

    assert "Traceback" not in result.stderr
    assert "internal error" not in result.stderr
    assert TOKEN not in result.stderr
    assert result.exit_code in (0, 1), result.stderr


def test_integer_too_long_to_parse_does_not_crash(cli, serve, use) -> None:
    server = serve(Reply(200, '{"code": 200, "data": {"id": ' + "9" * 5000 + "}}"))
    use(server.endpoint)

    result = cli("eo", "get", "1")

    assert_clean_error(result, 1)


def test_unknown_charset_is_read_as_utf8(cli, serve, use) -> None:
    server = serve(Reply(200, json.dumps({"code": 200, "data": task(1, taskName="Übersicht")}, ensure_ascii=False),
                         {"Content-Type": "application/json; charset=no-such-charset"}))
    use(server.endpoint)

    result = cli("eo", "get", "1", "--json")

    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["taskName"] == "Übersicht"


def test_json_sent_as_text_plain_without_charset_is_utf8(cli, serve, use) -> None:
    server = serve(Reply(200, json.dumps({"code": 200, "data": task(1, taskName="Übersicht")}, ensure_ascii=False),
                         {"Content-Type": "text/plain"}))
    use(server.endpoint)

    result = cli("eo", "get", "1", "--json")

    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["taskName"] == "Übersicht"


def test_json_with_a_byte_order_mark_is_accepted(cli, serve, use) -> None:
    server = serve(Reply(200, b"\xef\xbb\xbf" + json.dumps({"code": 200, "data": task(1)}).encode()))
    use(server.endpoint)

    result = cli("eo", "get", "1", "--json")

    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == task(1)


# --- 7. TLS ---------------------------------------------------------------------------------------------


def test_https_endpoint_served_by_plain_http_is_exit_5(cli, serve, use) -> None:
    server = serve(ok(1))
    use(f"https://127.0.0.1:{server.port}/prefix", retries=1)

    result = cli("eo", "get", "1")

    text = assert_clean_error(result, 5, "tls", f"127.0.0.1:{server.port}", "http://")
    assert "ca_bundle" not in text  # not a certificate problem: the port does not speak TLS
    assert len(server.requests) <= 1  # not retried (the server may log the handshake bytes as one request)


@pytest.fixture(scope="module")
def self_signed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-days", "2", "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    return cert, key


@pytest.fixture
def tls_server(serve, self_signed) -> LoopbackServer:
    import ssl

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*self_signed)
    return serve(ok(1), tls=context)


def test_self_signed_certificate_is_refused_with_a_hint(cli, tls_server, use) -> None:
    use(f"https://127.0.0.1:{tls_server.port}/prefix", retries=2)

    result = cli("eo", "get", "1")

    assert_clean_error(result, 5, "tls", "ca_bundle")
    assert tls_server.requests == []  # not retried, and nothing sent


def test_ca_bundle_trusts_a_private_certificate(cli, tls_server, use, self_signed) -> None:
    use(f"https://127.0.0.1:{tls_server.port}/prefix", extra=f"ca_bundle: {self_signed[0]}")

    result = cli("eo", "get", "1", "--json")

    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["id"] == 1
    assert tls_server.requests[0].headers["authorization"] == TOKEN


def test_tls_verify_false_warns_and_connects(cli, tls_server, use) -> None:
    use(f"https://127.0.0.1:{tls_server.port}/prefix", extra="tls_verify: false")

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = cli("eo", "get", "1", "2", "--json")

    assert result.exit_code == 0, result.stderr
    assert [line for line in error_lines(result.stderr)] == [
        "taskctl: warning: TLS verification is off for profile 'test' (tls_verify: false)"]
    assert not [w for w in caught if "Unverified HTTPS" in str(w.message)]  # warned once, by us


# --- 8. keep-alive and order --------------------------------------------------------------------------------


def test_many_ids_reuse_connections_and_print_in_argument_order(cli, serve, use) -> None:
    count = POOL_SIZE + 8
    # Later ids are answered sooner, so answers arrive out of argument order.
    server = serve(lambda seen, _i: Reply(200, {"code": 200, "data": task(seen.json()["taskId"])},
                                          delay=(count - seen.json()["taskId"]) * 0.01))
    use(server.endpoint)
    ids = [str(n) for n in range(1, count + 1)]

    result = cli("eo", "get", *ids, "--json")

    assert result.exit_code == 0, result.stderr
    assert [doc["id"] for doc in json_documents(result.stdout)] == list(range(1, count + 1))
    assert len(server.requests) == count
    assert len(server.client_ports) <= POOL_SIZE < count


def test_five_ids_answered_out_of_order_print_in_order(cli, serve, use) -> None:
    server = serve(lambda seen, _i: Reply(200, {"code": 200, "data": task(seen.json()["taskId"])},
                                          delay=(6 - seen.json()["taskId"]) * 0.05))
    use(server.endpoint)

    result = cli("eo", "get", "1", "2", "3", "4", "5", "--json")

    assert result.exit_code == 0, result.stderr
    assert [doc["id"] for doc in json_documents(result.stdout)] == [1, 2, 3, 4, 5]
    assert sorted(seen.json()["taskId"] for seen in server.requests) == [1, 2, 3, 4, 5]
    assert len(server.client_ports) <= 5


def test_sequential_requests_share_one_connection(serve) -> None:
    server = serve(ok(1))
    client = client_for(server)

    for task_id in (1, 2, 3):
        post(client, server, task_id)
    client.close()

    assert len(server.requests) == 3
    assert len(server.client_ports) == 1


def test_concurrent_bursts_share_one_connection_pool(serve) -> None:
    server = serve(Reply(200, {"code": 200, "data": task(1)}, delay=0.02))
    client = client_for(server)

    def burst() -> None:
        barrier = threading.Barrier(6)

        def first_use() -> None:
            barrier.wait()
            post(client, server)

        threads = [threading.Thread(target=first_use) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    burst()  # six threads race to build the session
    burst()  # one shared pool: the six connections of the first burst serve the second
    client.close()

    assert len(server.requests) == 12
    assert len(server.client_ports) <= 6


def test_mixed_results_keep_order_and_first_failure_sets_exit_code(cli, serve, use) -> None:
    def script(seen: Seen, _index: int) -> Reply:
        task_id = seen.json()["taskId"]
        if task_id == 2:
            return Reply(200, {"code": 404, "message": "no task 2", "data": None})
        if task_id == 3:
            return Reply(200, {"code": 403, "message": "not yours", "data": None})
        return Reply(200, {"code": 200, "data": task(task_id)}, delay=0.05 if task_id == 1 else 0)

    server = serve(script)
    use(server.endpoint)

    result = cli("eo", "get", "1", "2", "3", "4", "--json")

    assert result.exit_code == 3
    assert [doc["id"] for doc in json_documents(result.stdout)] == [1, 4]
    lines = error_lines(result.stderr)
    assert any("no task 2" in line for line in lines)
    assert any("not yours" in line for line in lines)
    assert "Traceback" not in result.stderr


# --- secrets in headers: never sent malformed, never echoed -------------------------------------------------


@pytest.mark.parametrize("token", ["tok-SECRET-1234567890\nX-Injected: yes", "tok-SECRET-12345678\u2019"])
def test_token_that_cannot_be_a_header_value_is_a_config_error(serve, token: str) -> None:
    server = serve(ok(1))
    client = client_for(server)

    with pytest.raises(ConfigError) as caught:
        client.request("POST", server.endpoint + DETAIL, headers={"Authorization": token}, json_body={"taskId": 1})

    assert "SECRET" not in caught.value.message + (caught.value.hint or "")
    assert "Authorization" in caught.value.message
    assert server.requests == []


def test_token_with_a_line_break_from_the_environment_is_exit_6(cli, serve, use) -> None:
    server = serve(ok(1))
    use(server.endpoint)

    result = cli("eo", "get", "1", env={"TASKCTL_TOKEN": "tok-SECRET-1234567890\r\nX-Injected: yes"})

    assert_clean_error(result, 6, "authorization header cannot be sent")
    assert "SECRET" not in result.stderr
    assert server.requests == []


def test_invalid_auth_header_name_is_exit_6(cli, serve, use) -> None:
    server = serve(ok(1))
    use(server.endpoint, extra='auth_header: "X API Key"')

    result = cli("eo", "get", "1")

    assert_clean_error(result, 6, "'X API Key' is not a valid HTTP header name", "auth_header")
    assert server.requests == []


def test_direct_client_errors_are_taskctl_errors(serve, closed_port) -> None:
    server = serve(Reply(307, "", {"Location": "http://127.0.0.2:1/"}))
    with pytest.raises(ResponseError):
        post(client_for(server), server)
    with pytest.raises(NetworkError):
        closed = f"http://127.0.0.1:{closed_port}"
        HttpClient(Profile(name="direct", provider="eo", endpoint=closed, retries=0)).request(
            "POST", closed + "/x", headers={}, json_body={})
