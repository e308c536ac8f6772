"""`taskctl eo get` against the bundled sandbox: output formats, JSON fidelity, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import sandbox_profile_yaml, write_profiles

DOC = Path(__file__).resolve().parents[2] / "shared" / "api-docs" / "eo-query-task-detail.txt"


def _document_example() -> dict:
    text = DOC.read_text() if DOC.exists() else None
    if text is None:
        pytest.skip("shared/api-docs is not beside the checkout")
    start = text.index('{\n  "code": 200')
    body, _end = json.JSONDecoder().raw_decode(text[start:])
    return body


def test_builtin_sandbox_json_is_the_documents_data_exactly(cli) -> None:
    result = cli("eo", "get", "702", "--profile", "sandbox", "--json")
    assert result.exit_code == 0, result.stderr
    expected = _document_example()["data"]
    parsed = json.loads(result.stdout)
    assert parsed == expected
    assert list(parsed) == list(expected)  # key order kept
    assert result.stdout.endswith("}\n")
    assert result.stderr == ""
