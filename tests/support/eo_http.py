"""What the HTTP-policy tests (test_http.py, test_http_hostile.py) share: an eo profile pointing at a scripted
loopback server, the answers that server gives, and what a clean error looks like."""

from __future__ import annotations

import json
from typing import Any

from support.loopback import Reply

TOKEN = "tok-SECRET-1234567890"
DETAIL = "/processtask/query/task/detail"


def task(task_id: int, **extra: Any) -> dict[str, Any]:
    return {"id": task_id, "taskName": f"task {task_id}", "taskType": 7, "status": 7, **extra}


def ok(task_id: int = 1, **extra: Any) -> Reply:
    return Reply(200, {"code": 200, "message": "success", "data": task(task_id, **extra)})


def html(status: int, text: str = "Bad Gateway", **headers: str) -> Reply:
    page = f"<html><head><title>{status} {text}</title></head><body><h1>{text}</h1></body></html>"
    return Reply(status, page, {"Content-Type": "text/html", **headers})


def profile_yaml(endpoint: str, *, retries: int = 1, token: str = TOKEN, timeout: str = "{connect: 1, read: 3}",
                 extra: str = "") -> str:
    lines = ["profiles:", "  test:", "    provider: eo", f"    endpoint: {endpoint}", f"    token: {token}",
             f"    retries: {retries}", f"    timeout: {timeout}"]
    lines += ["    " + line for line in extra.splitlines() if line.strip()]
    return "\n".join(lines) + "\n"


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.strip()]


def assert_clean_error(result: Any, code: int, *needles: str) -> str:
    """Exit code as SPEC says, one or two plain `taskctl:` lines, no traceback, no secret, nothing on stdout."""
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    lines = error_lines(result.stderr)
    assert 1 <= len(lines) <= 2, result.stderr
    assert lines[0].startswith("taskctl: error: "), result.stderr
    assert all(line.startswith("taskctl: ") for line in lines), result.stderr
    assert "Traceback" not in result.stderr
    assert "internal error" not in result.stderr
    assert TOKEN not in result.stderr + result.stdout
    assert result.stdout == ""
    text = "\n".join(lines).lower()
    for needle in needles:
        assert needle.lower() in text, result.stderr
    return text


def json_documents(text: str) -> list[Any]:
    decoder = json.JSONDecoder()
    documents, position = [], 0
    while position < len(text.rstrip()):
        while text[position].isspace():
            position += 1
        document, position = decoder.raw_decode(text, position)
        documents.append(document)
    return documents
