"""The scripted loopback server the other tests lean on (support.loopback) does what its script says."""

from __future__ import annotations

import socket
import threading
import time

import pytest
import requests
from support.loopback import LoopbackServer, Reply, drip, hang, redirect, replies, send_after_request


def exchange(server: LoopbackServer, request: bytes) -> bytes:
    """Send ``request`` on a new connection; every byte until the server closes it."""
    with socket.create_connection((server.host, server.port), timeout=10) as conn:
        conn.sendall(request)
        chunks = []
        while data := conn.recv(65536):
            chunks.append(data)
    return b"".join(chunks)


def test_it_records_each_request_and_answers_in_script_order(serve) -> None:
    server = serve(replies(Reply(503, {"busy": True}), redirect("/next"), Reply(200, "done")))

    with requests.Session() as session:
        answers = [session.post(server.endpoint + "/x", json={"n": n}, headers={"X-Case": "Kept"},
                                allow_redirects=False) for n in range(4)]

    assert [(a.status_code, a.headers.get("Location")) for a in answers[:2]] == [(503, None), (302, "/next")]
    assert [a.text for a in answers[2:]] == ["done", "done"]  # the last reply repeats
    assert [seen.json() for seen in server.requests] == [{"n": n} for n in range(4)]
    assert server.requests[0].path == "/prefix/x" and server.requests[0].headers["x-case"] == "Kept"
    assert ("X-Case", "Kept") in server.requests[0].raw_headers
    assert server.connections == len(server.client_ports) == 1  # HTTP/1.1 keep-alive
    assert bytes(server.received).startswith(b"POST /prefix/x HTTP/1.1\r\n")


def test_drop_closes_without_an_answer_and_close_ends_the_connection(serve) -> None:
    dropped = serve(Reply(drop=True))
    closing = serve(Reply(200, "bye", after="close"))

    assert exchange(dropped, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n") == b""
    answer = exchange(closing, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")  # returns: the server closed
    assert answer.startswith(b"HTTP/1.1 200 ") and b"Connection: close" in answer and answer.endswith(b"\r\n\r\nbye")


def test_a_longer_length_announced_then_a_close_or_a_reset(serve) -> None:
    short = serve(Reply(200, b"x" * 100, length=1000, after="close"))
    reset = serve(Reply(200, b"x" * 100, length=1000, after="reset"))

    head, _, body = exchange(short, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").partition(b"\r\n\r\n")
    with pytest.raises(ConnectionResetError):
        exchange(reset, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")

    assert b"Content-Length: 1000" in head and body == b"x" * 100
    assert len(reset.requests) == 1


def test_delay_and_stall_hold_the_answer(serve) -> None:
    server = serve(Reply(200, "0123456789", delay=0.2, stall=0.2))

    started = time.monotonic()
    assert requests.get(server.url, timeout=10).text == "0123456789"
    assert time.monotonic() - started >= 0.4


def test_a_stream_is_written_piece_by_piece_and_a_raw_reply_verbatim(serve) -> None:
    def pieces():  # type: ignore[no-untyped-def]
        yield b"first "
        yield b"second"

    streamed = serve(Reply(200, pieces(), {"Content-Type": "text/plain"}))  # no size: it ends at the close
    chunked = serve(Reply(200, iter([b"3\r\nabc\r\n", b"0\r\n\r\n"]), {"Transfer-Encoding": "chunked"}))
    verbatim = serve(Reply(raw=b"HTTP/1.1 299 Odd\r\nX-A: \xff\r\nContent-Length: 2\r\n\r\nok"))

    answer = exchange(streamed, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert b"Content-Length" not in answer and b"Connection: close" in answer and answer.endswith(b"first second")
    assert requests.get(chunked.url, timeout=10).content == b"abc"
    assert exchange(verbatim, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n") == \
        b"HTTP/1.1 299 Odd\r\nX-A: \xff\r\nContent-Length: 2\r\n\r\nok"


def test_raw_handlers_send_bytes_verbatim_and_drip(raw) -> None:
    verbatim = raw(handler=send_after_request(b"HTTP/1.1 200 OK\r\n", [b"Content-Length: 2\r\n\r\n", b"{}"]))
    dripping = raw(handler=drip(b"HTTP/1.1 204 No Content\r\n\r\n", 0.01))

    answer = exchange(verbatim, b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n")
    assert answer == b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"
    assert requests.get(dripping.url + "/b", timeout=10).status_code == 204
    assert [(seen.method, seen.path) for seen in verbatim.requests + dripping.requests] == [("GET", "/a"),
                                                                                          ("GET", "/b")]


def test_a_raw_server_records_every_byte_and_answers_nothing(raw) -> None:
    sink = raw()

    with socket.create_connection((sink.host, sink.port), timeout=10) as conn:
        conn.sendall(b"CONNECT example.invalid:443 HTTP/1.1\r\n\r\nmore")
        sink.wait_until(lambda: len(sink.received) == 44, timeout=10, what="44 bytes")

    assert bytes(sink.received) == b"CONNECT example.invalid:443 HTTP/1.1\r\n\r\nmore"
    assert sink.connections == 1 and sink.requests == []


def test_closing_wakes_a_connection_that_hangs() -> None:
    server = LoopbackServer(handler=hang)
    outcome: list[BaseException | bytes] = []

    def ask() -> None:
        try:
            outcome.append(exchange(server, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
        except OSError as error:
            outcome.append(error)

    client = threading.Thread(target=ask)
    client.start()
    server.wait_for_requests(1, timeout=10)
    assert outcome == []  # still waiting for an answer
    server.close()
    client.join(timeout=10)

    assert outcome == [b""]  # the connection was closed, unanswered


def test_a_script_that_raises_is_kept_for_the_test() -> None:
    def broken(_seen: object, _index: int) -> Reply:
        raise KeyError("no such reply")

    with LoopbackServer(broken) as server:
        assert exchange(server, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n") == b""
        server.wait_for_requests(1)
    assert [type(error) for error in server.errors] == [KeyError]


def test_it_serves_tls(serve, tmp_path) -> None:
    import shutil
    import ssl
    import subprocess

    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-days", "2", "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = serve(Reply(200, "secure"), tls=context)

    assert server.url.startswith("https://127.0.0.1:")
    assert requests.get(server.url, verify=str(cert), timeout=10).text == "secure"
