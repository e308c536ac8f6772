"""The test suite's own shape: fixtures in conftest.py, helpers in support/, one scripted loopback server."""

from __future__ import annotations

import re
from pathlib import Path

TESTS = Path(__file__).resolve().parent
SERVER_MACHINERY = re.compile(r"ThreadingHTTPServer|socketserver|BaseHTTPRequestHandler|create_server\(|\.listen\(")
# Files that still script a server of their own (none: every one is on support.loopback).
NOT_YET_ON_THE_ONE_SERVER: set[str] = set()
# A socket that is a command's stdout (a reader that resets), not a server that answers requests.
NOT_A_SERVER = {"test_pipes.py"}


def _test_sources() -> dict[str, str]:
    return {str(path.relative_to(TESTS)): path.read_text(encoding="utf-8") for path in TESTS.rglob("*.py")
            if "support" not in path.relative_to(TESTS).parts and path != Path(__file__).resolve()}


def test_no_test_imports_conftest() -> None:
    importing = sorted(name for name, text in _test_sources().items()
                       if re.search(r"^\s*(from conftest import|import conftest)", text, re.MULTILINE))
    assert importing == [], "helpers belong in tests/support/, fixtures in conftest.py"


def test_only_the_support_package_scripts_a_loopback_server() -> None:
    own_servers = {name for name, text in _test_sources().items() if SERVER_MACHINERY.search(text)}
    assert own_servers <= NOT_YET_ON_THE_ONE_SERVER | NOT_A_SERVER, sorted(own_servers)


def test_the_helpers_import_as_pytest_puts_tests_on_the_path() -> None:
    import support
    from support import loopback

    assert Path(support.__file__).parent == TESTS / "support"
    with loopback.LoopbackServer(loopback.Reply(204)) as server:
        assert server.url.startswith("http://127.0.0.1:") and server.port > 0
