"""Hostile servers and proxies against the HTTP policy: where credentials may go, how long and how much.

Every server here is a real socket on a loopback address (127.0.0.2 stands for "another host"); what it
received is asserted byte for byte. Nothing mocks the network.
"""

from __future__ import annotations

import gzip
import json
import os
import socket
import struct
import subprocess
import sys
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from support import write_profiles
from support.eo_http import TOKEN, assert_clean_error, ok, profile_yaml, task
from support.loopback import LoopbackServer, Reply, drip, read_request, send_after_request

from taskctl.http import MAX_ANSWER_BYTES

SECRET_KEY = "hostile-secret-key-0123456789"
ACCESS_KEY = "HOSTILEACCESSKEY0001"
SECURITY_TOKEN = "hostile-security-token-9876543210"


def other_host(raw: Callable[..., LoopbackServer]) -> LoopbackServer:
    """A listener on 127.0.0.2: "another host" that must receive nothing."""
    try:
        return raw("127.0.0.2")
    except OSError:
        pytest.skip("127.0.0.2 is not a loopback address here")


# --- credentials of every kind ---------------------------------------------------------------------------

PROFILES = {
    "eo-authorization": ("eo", f"    token: {TOKEN}\n", "/processtask/query/task/detail"),
    "eo-x-api-key": ("eo", f"    token: {TOKEN}\n    auth_header: X-API-Key\n", "/processtask/query/task/detail"),
    "koodrive-bearer": ("koodrive", f"    token: {TOKEN}\n    share_id: s1\n", "/koodrive/ose/v1/share/taskDetail"),
    "modelarts-token": ("modelarts", f"    token: {TOKEN}\n    project_id: p1\n", "/v2/p1/processor-tasks/t1"),
    "modelarts-aksk": ("modelarts", f"    project_id: p1\n    access_key: {ACCESS_KEY}\n", "/v2/p1/processor-tasks/t1"),
}
SECRETS = (TOKEN, SECRET_KEY, SECURITY_TOKEN)


def write_provider_profile(profiles_file: Path, kind: str, endpoint: str, extra: str = "") -> str:
    provider, keys, _path = PROFILES[kind]
    text = (f"profiles:\n  test:\n    provider: {provider}\n    endpoint: {endpoint}\n    retries: 0\n"
            f"    timeout: {{connect: 2, read: 5, total: 10}}\n{keys}{extra}")
    write_profiles(profiles_file, text)
    return provider


def task_id_for(provider: str) -> str:
    return {"eo": "1", "koodrive": "t1", "modelarts": "t1"}[provider]


@pytest.fixture
def aksk_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TASKCTL_SECRET_KEY", SECRET_KEY)
    monkeypatch.setenv("TASKCTL_SECURITY_TOKEN", SECURITY_TOKEN)


def assert_no_secret(*texts: str | bytes) -> None:
    for text in texts:
        data = text.encode() if isinstance(text, str) else bytes(text)
        for secret in SECRETS:
            assert secret.encode() not in data, data[:2000]
        assert b"Signature=" not in data and b"signature=" not in data.lower(), data[:2000]


# --- 1. redirects judged by the parser that connects -----------------------------------------------------

CONFUSING_LOCATIONS = [
    "http://{other}\\@127.0.0.1:{port}/x",  # urllib.parse: 127.0.0.1; urllib3 and WHATWG: the other host
    "http://{other}\\\\@127.0.0.1:{port}/x",
    "http:\\\\{other}/x",
    "http://{other}#@127.0.0.1:{port}/x",
    "http://{other}?@127.0.0.1:{port}/x",
    "http://127.0.0.1:{port}@{other}/x",
    "http://u:p@127.0.0.1:{port}/x",
    "//{other}/x",
    "http://{other}%2f@127.0.0.1:{port}/x",
    "http://127.0.0.1:{port}:{port}/x",
    "http://[127.0.0.2]:{port}/x",
    "http://127.0.0.1:99999/x",
    "http://127.0.0.1:+{port}/x",
    "http://127.0.0.1: {port}/x",
    "http://127.0.0.1:{port}\t/x",
    "http://[::ffff:127.0.0.2]:{port}/x",
    "HTTP://{other}/x",
]


@pytest.mark.parametrize("kind", sorted(PROFILES))
@pytest.mark.parametrize("location", CONFUSING_LOCATIONS)
def test_confusing_redirects_send_nothing_anywhere_else(cli, serve, raw, profiles_file, aksk_env, kind: str,
                                                         location: str) -> None:
    other = other_host(raw)
    target = location.format(other=f"127.0.0.2:{other.port}", port="{port}")
    server = serve(lambda _seen, _i: Reply(302, "", {"Location": target.format(port=server.port)}))
    provider = write_provider_profile(profiles_file, kind, server.url)

    result = cli(provider, "get", task_id_for(provider), "--debug")

    assert result.exit_code == 1, (result.exit_code, result.stderr)
    assert "internal error" not in result.stderr  # a clean error (--debug shows its traceback, as for watch)
    assert result.stdout == ""
    assert other.connections == 0 and bytes(other.received) == b""
    assert len(server.requests) == 1
    assert_no_secret(result.stderr)
    assert "127.0.0.2" not in "".join(line for line in result.stderr.splitlines() if line.startswith("> "))


@pytest.mark.parametrize("location", ["http://127.0.0.1:99999/x", "http://[127.0.0.2]/", "http://[::1/x",
                                      "http://127.0.0.1:0x50/", "http://\x00evil/", "ftp://127.0.0.1/x"])
def test_malformed_locations_are_a_clean_error(cli, serve, use, location: str) -> None:
    server = serve(Reply(302, "", {"Location": location}))
    use(server.endpoint, retries=0)

    result = cli("eo", "get", "1")

    assert_clean_error(result, 1, "redirected to a url taskctl does not follow")


def test_a_same_origin_redirect_still_works(cli, serve, use) -> None:
    server = serve(lambda seen, _i: ok(1) if seen.path.startswith("/moved") else
                   Reply(302, "", {"Location": f"http://127.0.0.1:{server.port}/moved/x"}))
    use(server.endpoint, retries=0)

    result = cli("eo", "get", "1", "--json")

    assert result.exit_code == 0, result.stderr
    assert [seen.headers.get("authorization") for seen in server.requests] == [TOKEN, TOKEN]


# --- 2. proxies never see loopback traffic -----------------------------------------------------------------


@pytest.mark.parametrize("variable", ["ALL_PROXY", "all_proxy", "HTTP_PROXY", "http_proxy"])
def test_a_proxy_from_the_environment_never_sees_a_loopback_request(cli, serve, use, raw, monkeypatch,
                                                                      variable: str) -> None:
    proxy = raw()
    server = serve(ok(1))
    use(server.endpoint, retries=0)
    monkeypatch.setenv(variable, proxy.url)

    result = cli("eo", "get", "1", "--json")

    assert result.exit_code == 0, result.stderr
    assert proxy.connections == 0 and bytes(proxy.received) == b""
    assert len(server.requests) == 1


@pytest.mark.parametrize("proxy_url", ["socks5h://127.0.0.1:9", "socks5://user:pw@127.0.0.1:9", "garbage"])
def test_the_sandbox_works_whatever_all_proxy_says(cli, monkeypatch, proxy_url: str) -> None:
    monkeypatch.setenv("ALL_PROXY", proxy_url)

    result = cli("eo", "get", "702", "--profile", "sandbox", "--json")

    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["id"] == 702


def test_a_remote_https_endpoint_goes_through_the_proxy_without_the_token(cli, raw, profiles_file,
                                                                           monkeypatch) -> None:
    def refuse_tunnel(conn: socket.socket, server: LoopbackServer) -> None:
        read_request(conn, server)
        conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")

    proxy = raw(handler=refuse_tunnel)
    write_profiles(profiles_file, profile_yaml("https://eo.example.invalid/api", retries=0))
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)

    result = cli("eo", "get", "1")

    assert result.exit_code == 5, result.stderr
    assert "proxy" in result.stderr.lower() and "internal error" not in result.stderr
    assert bytes(proxy.received).startswith(b"CONNECT eo.example.invalid:443 HTTP/1.")
    assert TOKEN.encode() not in bytes(proxy.received)


def test_no_proxy_is_honoured_for_remote_hosts(cli, raw, profiles_file, monkeypatch) -> None:
    proxy = raw()
    write_profiles(profiles_file, profile_yaml("https://eo.example.invalid/api", retries=0,
                                               timeout="{connect: 1, read: 1, total: 3}"))
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    monkeypatch.setenv("NO_PROXY", "example.invalid")

    result = cli("eo", "get", "1")

    assert result.exit_code == 5, result.stderr
    assert proxy.connections == 0


def test_a_socks_proxy_without_pysocks_is_a_config_error(cli, profiles_file, monkeypatch) -> None:
    pytest.importorskip("requests")
    try:
        import socks  # noqa: F401
        pytest.skip("PySocks is installed")
    except ImportError:
        pass
    write_profiles(profiles_file, profile_yaml("https://eo.example.invalid/api", retries=0))
    monkeypatch.setenv("ALL_PROXY", "socks5h://user:proxy-pass-123@127.0.0.1:9")

    result = cli("eo", "get", "1")

    assert_clean_error(result, 6, "socks", "pysocks")
    assert "proxy-pass-123" not in result.stderr


# --- 3. redaction of escaped echoes ----------------------------------------------------------------------


def _escaped_forms(secret: str) -> list[str]:
    every = "".join(f"\\u{ord(c):04x}" for c in secret)
    first = f"\\u{ord(secret[0]):04X}" + secret[1:]
    gson = secret.replace("-", "\\u002d")
    percent_upper = "".join(f"%{b:02X}" for b in secret.encode())
    percent_mixed = secret[:3] + "".join(f"%{b:02x}" for b in secret[3:].encode())
    html = "".join(f"&#{ord(c)};" for c in secret)
    html_hex = secret[:2] + "".join(f"&#x{ord(c):x};" for c in secret[2:])
    return [secret, every, first, gson, percent_upper, percent_mixed, html, html_hex, secret.replace("-", "\\-")]


def test_debug_hides_every_escaped_echo_of_the_token(cli, serve, use) -> None:
    forms = _escaped_forms(TOKEN)
    body = json.dumps({"code": 401, "message": "bad token", "data": None}).encode()[:-1] + b", " + b", ".join(
        f'"echo{i}": "{form}"'.encode() for i, form in enumerate(forms)) + b"}"
    server = serve(Reply(401, body, {"X-Echo": forms[4], "WWW-Authenticate": f'Bearer error="{forms[6]}"'}))
    use(server.endpoint, retries=0)

    result = cli("eo", "get", "1", "--debug")

    assert result.exit_code == 4
    for form in forms[:-1]:
        assert form not in result.stderr, form
    assert "***" in result.stderr


def test_an_error_message_echoing_the_escaped_token_is_hidden(cli, serve, use) -> None:
    escaped = "".join(f"\\u{ord(c):04x}" for c in TOKEN)
    server = serve(Reply(200, '{"code": 500, "message": "token ' + escaped + ' rejected", "data": null}'))
    use(server.endpoint, retries=0)

    result = cli("eo", "get", "1")

    assert result.exit_code == 1
    assert TOKEN not in result.stderr and "***" in result.stderr


def test_a_gson_escaped_signature_parameter_is_hidden(cli, serve, use) -> None:
    link = "https://obs.example.com/f.tif?X-Amz-Signature\\u003dabcdef0123456789\\u0026X-Amz-Date\\u003d1"
    server = serve(Reply(200, '{"code": 200, "message": "ok", "data": {"id": 1, "link": "' + link + '"}}'))
    use(server.endpoint, retries=0)

    result = cli("eo", "get", "1", "--debug", "--json")

    assert result.exit_code == 0
    assert "abcdef0123456789" not in result.stderr


# --- 5. a total deadline, and watch --timeout over the HTTP layer's own waits --------------------------------


DRIPPED_HEADERS = b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-Pad-%d: %s\r\n" % (i, b"a" * 20) for i in range(200))
DRIPPED_BODY_HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n"


# "Connection: close" makes http.client let go of the connection's socket while the body is still read from it
# (the watchdog must shut the socket it recorded at connect time): 30 s of drip without that.
CLOSING_BODY_HEAD = DRIPPED_BODY_HEAD.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n")


@pytest.mark.parametrize("payload", [DRIPPED_HEADERS, DRIPPED_BODY_HEAD + b'{"code": 200, "data": ' + b" " * 99000],
                         ids=["headers", "body"])
def test_a_dripping_server_is_cut_at_the_deadline(cli, raw, profiles_file, payload: bytes) -> None:
    server = raw(handler=drip(payload, 0.05))  # a byte every 50 ms: never a read timeout
    write_profiles(profiles_file, profile_yaml(server.url, retries=2, timeout="{connect: 1, read: 2, total: 1.5}"))

    started = time.monotonic()
    result = cli("eo", "get", "1")
    elapsed = time.monotonic() - started

    assert_clean_error(result, 5, "did not finish answering within 1.5 s", "deadline")
    assert elapsed < 15, elapsed  # the deadline holds across retries (1.5 s plus scheduling)
    assert server.connections == 1  # no retry once the deadline has passed


def test_a_body_dripping_after_connection_close_is_cut_at_the_deadline(cli, raw, profiles_file) -> None:
    def handler(conn, server) -> None:  # the head at once, then the body a byte every 50 ms (30 s in all)
        read_request(conn, server)
        conn.sendall(CLOSING_BODY_HEAD)
        for byte in b'{"code": 200, "data": ' + b" " * 600:
            conn.sendall(bytes([byte]))
            if server.pause(0.05):
                return

    server = raw(handler=handler)
    write_profiles(profiles_file, profile_yaml(server.url, retries=0, timeout="{connect: 1, read: 2, total: 1.5}"))

    started = time.monotonic()
    result = cli("eo", "get", "1")
    elapsed = time.monotonic() - started

    assert_clean_error(result, 5, "did not finish answering within 1.5 s", "deadline")
    assert elapsed < 10, elapsed


def test_watch_timeout_bounds_retry_after_waits(cli, serve, use) -> None:
    server = serve(Reply(429, {"code": 429, "message": "slow down"}, {"Retry-After": "100000"}))
    use(server.endpoint, retries=3)

    started = time.monotonic()
    result = cli("eo", "watch", "1", "--timeout", "2", "--interval", "1")
    elapsed = time.monotonic() - started

    assert result.exit_code == 1, result.stderr  # no task was ever seen: the last error, not 8
    assert "429" in result.stderr and "internal error" not in result.stderr
    assert elapsed < 20, elapsed  # 2 s, plus the last poll's allowance; 180 s before
    assert len(server.requests) <= 4


def test_watch_timeout_ends_a_dripping_poll(cli, raw, profiles_file) -> None:
    server = raw(handler=drip(DRIPPED_HEADERS, 0.05))
    write_profiles(profiles_file, profile_yaml(server.url, retries=3))  # total deadline: the default 120 s

    started = time.monotonic()
    result = cli("eo", "watch", "1", "--timeout", "1", "--interval", "1")
    elapsed = time.monotonic() - started

    assert result.exit_code == 5, result.stderr
    assert elapsed < 25, elapsed


# --- 6. a cap on what an answer may cost --------------------------------------------------------------------


# taskctl's console script, run with the peak RSS of its own memory map written to a file at exit. Neither
# wait4 nor getrusage can tell: both count the pages the child shared with this (large) pytest process
# between fork and exec; /proc/self/status's VmHWM belongs to the new memory map alone.
_MEASURED = """
import atexit, sys
where = sys.argv.pop(1)
def _peak():
    line = next(l for l in open("/proc/self/status") if l.startswith("VmHWM:"))
    open(where, "w").write(line.split()[1])
atexit.register(_peak)
from taskctl.cli.app import main
sys.argv[0] = "taskctl"
main()
"""


def run_measured(args: list[str], env: dict[str, str], tmp_path: Path) -> tuple[int, str, str, int]:
    """Run taskctl in a fresh interpreter; exit code, stdout, stderr and its peak RSS in KiB."""
    if not Path("/proc/self/status").exists():
        pytest.skip("needs /proc to measure memory")
    peak = tmp_path / "peak-rss"
    process = subprocess.run([sys.executable, "-c", _MEASURED, str(peak), *args], capture_output=True, env=env,
                             timeout=120)
    return process.returncode, process.stdout.decode(), process.stderr.decode(), int(peak.read_text())


@pytest.fixture
def installed_env(isolated_env: Path, profiles_file: Path) -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if not key.startswith("PYTEST")}


def _gzip_bomb(size: int) -> bytes:
    """A whole gzip stream of a JSON start and ``size`` blanks, about 1 KB per MiB.

    After a full flush deflate starts afresh, so every MiB of blanks compresses to the same bytes: one is
    compressed and repeated (compressing them all cost 3 s), and the trailer's CRC and length are computed.
    """
    start, block = b'{"code": 200, "message": "', b" " * (1024 * 1024)
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # wbits 31: a gzip stream
    head = packer.compress(start) + packer.flush(zlib.Z_FULL_FLUSH)
    segment = packer.compress(block) + packer.flush(zlib.Z_FULL_FLUSH)
    count = size // len(block)
    crc = zlib.crc32(start)
    for _ in range(count):
        crc = zlib.crc32(block, crc)
    final = b"\x03\x00"  # an empty last block
    return head + segment * count + final + struct.pack("<II", crc, (len(start) + count * len(block)) % 2**32)


def test_the_gzip_bomb_is_a_whole_gzip_stream() -> None:
    assert gzip.decompress(_gzip_bomb(3 * 1024 * 1024)) == b'{"code": 200, "message": "' + b" " * (3 * 1024 * 1024)


def test_a_gzip_bomb_is_refused_in_bounded_memory(raw, profiles_file, installed_env, tmp_path) -> None:
    bomb = _gzip_bomb(1024 * 1024 * 1024)  # 1 GiB of blanks in about 1 MB
    head = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n"
            b"Content-Length: %d\r\n\r\n" % len(bomb))
    server = raw(handler=send_after_request(head, bomb))
    write_profiles(profiles_file, profile_yaml(server.url, retries=0))

    code, stdout, stderr, rss = run_measured(["eo", "get", "1"], installed_env, tmp_path)

    assert code == 1, stderr
    assert "larger than 16 MiB" in stderr and "internal error" not in stderr
    assert rss < 110 * 1024, f"peak RSS {rss} KiB"  # about 50 MiB here; 2.1 GiB before the cap


def test_a_huge_plain_answer_is_refused_in_bounded_memory(raw, profiles_file, installed_env, tmp_path) -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"
    chunks = iter([b'{"code": 200, "data": {"x": "'] + [b"a" * 65536] * (200 * 16))  # 200 MiB, no length
    server = raw(handler=send_after_request(head, chunks))
    write_profiles(profiles_file, profile_yaml(server.url, retries=0))

    code, stdout, stderr, rss = run_measured(["eo", "get", "1"], installed_env, tmp_path)

    assert code == 1, stderr
    assert "larger than 16 MiB" in stderr
    assert rss < 110 * 1024, f"peak RSS {rss} KiB"  # about 50 MiB here


def test_an_announced_huge_answer_is_refused_before_reading(cli, serve, use) -> None:
    server = serve(Reply(200, b"{}", {"Content-Length": str(MAX_ANSWER_BYTES + 1)}))
    use(server.endpoint, retries=0)

    result = cli("eo", "get", "1")

    assert_clean_error(result, 1, "larger than 16 MiB")


def test_an_answer_just_under_the_cap_is_read(cli, serve, use) -> None:
    body = json.dumps({"code": 200, "message": "ok", "data": task(1, pad="x" * (MAX_ANSWER_BYTES - 200))})
    server = serve(Reply(200, body))
    use(server.endpoint, retries=0)

    result = cli("eo", "get", "1", "--json")

    assert result.exit_code == 0, result.stderr[:500]


def test_broken_gzip_is_a_clean_error(cli, serve, use) -> None:
    server = serve(Reply(200, b"\x1f\x8b\x08\x00garbage-not-gzip", {"Content-Encoding": "gzip"}))
    use(server.endpoint, retries=0)

    result = cli("eo", "get", "1")

    assert_clean_error(result, 1, "compression is broken")


# --- 10. malformed headers -----------------------------------------------------------------------------------


@pytest.mark.parametrize("headers", [
    {"Content-Length": "\u00b2"}, {"Content-Length": "-1"}, {"Content-Length": "1e3"}, {"Content-Length": "5, 7"},
    {"Content-Length": "99999999999999999999999"}, {"Retry-After": "\u00b2"}, {"Retry-After": "1e400"},
    {"Retry-After": "nan"}, {"Retry-After": "Mon, 99 Foo 2024 99:99:99 GMT"},
    {"Content-Type": "application/json; charset=\u00b2"},
    {"Content-Type": "application/json; charset=utf-32"}, {"Content-Encoding": "br, zstd, x-unknown"},
    {"Transfer-Encoding": "chunked, gzip"}, {"X-Request-Id": "\x7f\x1b[2J"},
])
@pytest.mark.parametrize("status", [200, 503])
def test_malformed_headers_are_a_clean_outcome(raw, profiles_file, cli, headers: dict[str, str], status: int) -> None:
    body = json.dumps({"code": 200, "message": "ok", "data": task(1)}).encode()
    lines = [f"HTTP/1.1 {status} X", "Connection: close", *(f"{k}: {v}" for k, v in headers.items())]
    if "Content-Length" not in headers and "Transfer-Encoding" not in headers:
        lines.append(f"Content-Length: {len(body)}")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace") if all(
        ord(c) < 256 for c in "".join(lines)) else ("\r\n".join(lines) + "\r\n\r\n").encode()
    server = raw(handler=send_after_request(head, body))
    write_profiles(profiles_file, profile_yaml(server.url, retries=1, timeout="{connect: 1, read: 2, total: 6}"))

    result = cli("eo", "get", "1")

    assert result.exit_code in (0, 1, 5), (result.exit_code, result.stderr)
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr
    assert "\x1b" not in result.stderr


# --- 11. a 404 that is not the API's own means a wrong endpoint ---------------------------------------------

NOT_THE_API = [
    Reply(404, {"timestamp": "2026-01-01T00:00:00Z", "status": 404, "error": "Not Found", "path": "/x"}),
    Reply(404, "<html><body><h1>404 Not Found</h1></body></html>", {"Content-Type": "text/html"}),
    Reply(404, {"error_code": "APIGW.0101", "error_msg": "The API does not exist or has not been published"}),
    Reply(404, ""),
    Reply(404, "Not Found", {"Content-Type": "text/plain"}),
]


@pytest.mark.parametrize("kind", ["eo-authorization", "koodrive-bearer", "modelarts-token"])
@pytest.mark.parametrize("reply", NOT_THE_API, ids=["spring", "html", "apigw", "empty", "text"])
def test_a_foreign_404_is_a_wrong_endpoint(cli, serve, profiles_file, kind: str, reply: Reply) -> None:
    server = serve(reply)
    provider = write_provider_profile(profiles_file, kind, server.endpoint)

    result = cli(provider, "get", task_id_for(provider))

    text = assert_clean_error(result, 6, "404", "endpoint")
    assert server.endpoint.lower() in text


@pytest.mark.parametrize(("provider", "task_id"), [("eo", "424242"), ("koodrive", "no-such-task"),
                                                   ("modelarts", "no-such-task")])
def test_the_apis_own_not_found_stays_exit_3(cli, provider: str, task_id: str) -> None:
    result = cli(provider, "get", task_id, "--profile", "sandbox")

    assert result.exit_code == 3, result.stderr


# --- streamed bodies (downloads): a deadline for the headers, a floor on throughput after them ---------------


def _storage_client(url: str, read: float = 1.0, total: float = 2.0) -> Any:
    from taskctl.config import Profile, Timeouts
    from taskctl.http import HttpClient

    return HttpClient(Profile(name="dl", provider="koodrive", endpoint=url, retries=0,
                              timeouts=Timeouts(connect=1, read=read, total=total)), credentials=False)


def test_a_download_whose_headers_drip_ends_at_the_deadline(raw) -> None:
    from taskctl.errors import NetworkError

    server = raw(handler=drip(DRIPPED_HEADERS, 0.05))
    client = _storage_client(server.url)

    with pytest.raises(NetworkError, match="did not finish answering within 2 s"):
        client.stream(server.url + "/package.zip", headers={})


def test_a_download_body_dripping_below_the_floor_is_a_stall(raw) -> None:
    from taskctl.errors import NetworkError

    def slowloris(conn: socket.socket, server: LoopbackServer) -> None:  # 600 bytes every 0.9 s: never a read timeout
        read_request(conn, server)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
        while not server.stop.wait(0.9):
            conn.sendall(b"x" * 600)

    server = raw(handler=slowloris)
    client = _storage_client(server.url, read=1.0, total=60)
    response = client.stream(server.url + "/package.zip", headers={})

    with pytest.raises(NetworkError, match="less than 1 KiB/s"):
        for _chunk in client.iter_body(response):
            pass


@pytest.mark.parametrize("secret", ["sécret-ü-😀-key-0123", "tok%41-literal-0123", "x" * 8000 + "-iam"])
def test_the_redactor_hides_every_encoding_of_any_secret(secret: str) -> None:
    from urllib.parse import quote

    from taskctl.http import Redactor

    redact = Redactor([secret])
    forms = [secret, json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1], quote(secret, safe=""),
             "".join(f"\\u{int.from_bytes(pair, 'big'):04x}" for pair in _pairs(secret.encode("utf-16-be"))),
             "".join(f"&#x{ord(c):X};" for c in secret)]
    for form in forms:
        out = redact(f"before {form} after")
        assert out == "before *** after", (form[:80], out[:200])


def _pairs(data: bytes) -> list[bytes]:
    return [data[i:i + 2] for i in range(0, len(data), 2)]


@pytest.mark.parametrize(("head", "what"), [
    (b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-%d: a\r\n" % i for i in range(150)) + b"Content-Length: 2\r\n\r\n",
     "too many headers"),
    (b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * 70000 + b"\r\nContent-Length: 2\r\n\r\n", "a line too long"),
    (b"HTTP/1.1 2000 OK\r\nContent-Length: 2\r\n\r\n", "no valid status line"),
    (b"garbage\r\n\r\n", "no valid status line"),
    (b"HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\n", "contradictory header"),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "broken chunked encoding"),
], ids=["many-headers", "long-line", "bad-status", "garbage", "two-lengths", "bad-chunk"])
def test_an_answer_that_is_not_http_is_exit_1_without_retries(raw, profiles_file, cli, head: bytes, what: str) -> None:
    server = raw(handler=send_after_request(head, b"{}"))
    write_profiles(profiles_file, profile_yaml(server.url, retries=2))

    result = cli("eo", "get", "1")

    assert_clean_error(result, 1, "malformed http answer", what)
    assert server.connections == 1


# --- findings of a hostile trial ------------------------------------------------------------------------------


@pytest.mark.parametrize(("variable", "value"), [("TASKCTL_TOKEN", "\tghp_SuperSecretToken1234"),
                                                 ("TASKCTL_TOKEN", " tok\x01SuperSecret99"),
                                                 ("TASKCTL_SECURITY_TOKEN", "STS-part-one-SECRET\nSTS-part-two")])
def test_a_secret_that_cannot_be_a_header_is_exit_6_without_quoting_it(cli, profiles_file, monkeypatch, closed_port,
                                                                       variable: str, value: str) -> None:
    kind = "modelarts-aksk" if variable == "TASKCTL_SECURITY_TOKEN" else "eo-authorization"
    provider = write_provider_profile(profiles_file, kind, f"http://127.0.0.1:{closed_port}")
    if variable == "TASKCTL_SECURITY_TOKEN":
        monkeypatch.setenv("TASKCTL_SECRET_KEY", SECRET_KEY)
    monkeypatch.setenv(variable, value)

    result = cli(provider, "get", task_id_for(provider), "--debug")

    assert result.exit_code == 6, result.stderr
    assert "header cannot be sent" in result.stderr
    for part in value.split():
        assert part.strip("\x01") not in result.stderr.replace("\\t", " ").replace("\\n", " ")
    assert "SuperSecret" not in result.stderr and "part-one" not in result.stderr


def test_a_debug_traceback_is_inert(cli, serve, profiles_file) -> None:
    hostile = "\x1b]52;c;SElKQUNL\x07\u202eevil\x1b[2J"
    server = serve(Reply(200, {"code": 13000309, "msg": hostile}))
    provider = write_provider_profile(profiles_file, "koodrive-bearer", server.url)

    result = cli(provider, "watch", "t1", "--debug")  # watch raises to the boundary, which prints the traceback

    assert result.exit_code == 3
    assert "Traceback" in result.stderr
    for char in ("\x1b", "\x07", "\u202e"):
        assert char not in result.stderr


@pytest.mark.parametrize("number", ["1e309", "-1e309", "Infinity", "NaN", "1.5", "true", '"\u00b2"'])
def test_a_non_integer_error_code_is_a_clean_error(cli, serve, profiles_file, number: str) -> None:
    body = f'{{"code": {number}, "msg": {number}, "error_code": {number}, "error_msg": {number}}}'
    server = serve(Reply(400, body))
    provider = write_provider_profile(profiles_file, "koodrive-bearer", server.url)

    result = cli(provider, "get", "t1")

    assert result.exit_code == 2, result.stderr  # HTTP 400 decides, the code being no number
    assert "internal error" not in result.stderr


def test_ctrl_c_during_start_up_is_one_line_and_130(tmp_path) -> None:
    # The interrupt lands right after the package is imported, before the command line is parsed.
    script = ("import sys; sys.argv[0] = 'taskctl'; import taskctl, os, signal; "
              "os.kill(os.getpid(), signal.SIGINT); import time; time.sleep(30)")
    process = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=30)

    assert process.returncode == 130
    assert process.stderr == b"taskctl: interrupted\n"


@pytest.mark.parametrize("variable", ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"])
def test_credentials_over_plain_http_never_go_through_a_proxy(cli, raw, profiles_file, monkeypatch,
                                                              variable: str) -> None:
    proxy = raw()
    write_profiles(profiles_file, profile_yaml("http://eo.example.invalid:9200/api", retries=0,
                                               extra="allow_http: true"))
    monkeypatch.setenv(variable, proxy.url)

    result = cli("eo", "get", "1")

    assert_clean_error(result, 6, "through a proxy", "no_proxy")
    assert proxy.connections == 0 and bytes(proxy.received) == b""


@pytest.mark.parametrize("disguise", [str.upper, str.lower, lambda s: s[:5] + "\n" + s[5:],
                                      lambda s: s[:3] + "\u200b" + s[3:], lambda s: s[:7] + "\x00" + s[7:],
                                      lambda s: __import__("base64").b64encode(s.encode()).decode()],
                         ids=["upper", "lower", "newline", "zero-width", "nul", "base64"])
def test_a_disguised_echo_of_the_token_is_hidden(cli, serve, use, disguise: Callable[[str], str]) -> None:
    echo = json.dumps(disguise(TOKEN))
    server = serve(Reply(200, '{"code": 500, "message": ' + echo + ', "data": null}'))
    use(server.endpoint, retries=0)

    result = cli("eo", "get", "1", "--debug")

    assert result.exit_code == 1
    shown = result.stderr.replace("^J", "").replace("<U+200B>", "").replace("^@", "")
    assert disguise(TOKEN).replace("\n", "").replace("\u200b", "").replace("\x00", "") not in shown
    assert TOKEN.lower() not in shown.lower()


@pytest.mark.parametrize("columns", ["0", "-1", "abc", ""])
def test_a_meaningless_columns_still_prints_the_table(cli, monkeypatch, columns: str) -> None:
    monkeypatch.setenv("COLUMNS", columns)

    result = cli("eo", "get", "703", "--profile", "sandbox")

    assert result.exit_code == 0
    assert "NDVI Pearl River Delta May 2023" in result.stdout


def test_get_and_watch_name_the_task_alike(cli, use, closed_port) -> None:
    use(f"http://127.0.0.1:{closed_port}", retries=0)

    got = cli("eo", "get", "1")
    watched = cli("eo", "watch", "1", "--timeout", "0")

    assert got.exit_code == watched.exit_code == 5
    assert got.stderr.splitlines()[0] == watched.stderr.splitlines()[0]
    assert got.stderr.startswith("taskctl: error: eo task 1: cannot connect")


@pytest.mark.parametrize("echo", [
    lambda t: t[:6] + "\\u200b" + t[6:], lambda t: t[:6] + "\\n" + t[6:], lambda t: t[:6] + "%E2%80%8B" + t[6:],
    lambda t: t[:6] + "&#8203;" + t[6:], lambda t: t[:6] + "&shy;" + t[6:], lambda t: "\u0130 " + t.upper(),
    lambda t: __import__("base64").b64encode(("user:" + t).encode()).decode(),
    lambda t: __import__("base64").b64encode(("Bearer+" + t).encode()).decode(),
    lambda t: t[:6] + "\u034f" + t[6:], lambda t: t.encode().hex().upper(),
    lambda t: "".join(f"\\x{b:02x}" for b in t.encode()), lambda t: "".join(f"&#{ord(c)}" for c in t),
    lambda t: "".join(f"&#x{ord(c):07x};" for c in t),
], ids=["json-zwsp", "json-newline", "percent-zwsp", "html-zwsp", "html-shy", "dotted-i-upper", "basic-auth",
        "bearer-base64", "cgj", "hex", "x-escapes", "html-no-semicolon", "html-7-hex"])
def test_an_echo_disguised_beyond_plain_escapes_is_hidden(cli, serve, use, echo: Callable[[str], str]) -> None:
    body = '{"code": 401, "message": "bad token ' + echo(TOKEN) + '", "data": null}'
    server = serve(Reply(200, body))
    use(server.endpoint, retries=0)

    result = cli("eo", "get", "1", "--debug")

    assert result.exit_code in (1, 4)  # \x is no JSON escape: that answer is malformed JSON (1)
    assert echo(TOKEN) not in result.stderr
    assert "***" in result.stderr


def test_a_token_with_a_byte_that_is_not_utf8_is_exit_6(cli, use, closed_port, monkeypatch) -> None:
    use(f"http://127.0.0.1:{closed_port}", retries=0)
    monkeypatch.setenv("TASKCTL_TOKEN", "SeCrEtXq9\udcff")  # what os.environ holds for a byte 0xff

    result = cli("eo", "get", "1")

    assert result.exit_code == 6, result.stderr
    assert "SeCrEtXq9" not in result.stderr


@pytest.mark.parametrize("host", ["127.1", "[::ffff:127.0.0.1]", "2130706433"])
def test_loopback_however_written_never_goes_through_a_proxy(cli, serve, use, raw, monkeypatch, host: str) -> None:
    proxy = raw()
    server = serve(ok(1))
    use(f"http://{host}:{server.port}{'/prefix'}", retries=0)
    monkeypatch.setenv("ALL_PROXY", proxy.url)

    result = cli("eo", "get", "1", "--json")

    assert result.exit_code == 0, result.stderr
    assert proxy.connections == 0
