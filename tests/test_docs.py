"""The README and the example profiles file say what the code does."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from taskctl.config import parse_profiles

ROOT = Path(__file__).resolve().parents[1]


def test_example_profiles_file_is_valid() -> None:
    profiles = parse_profiles((ROOT / "profiles.example.yaml").read_text(), "profiles.example.yaml")
    assert {p.provider for p in profiles.values()} == {"eo", "koodrive", "modelarts"}


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    setup = re.search(r"```sh\n(.*?)```", readme, re.S).group(1).splitlines()
    test_command = setup[1].split("&&")[-1].split("#")[0].strip()
    ci_commands = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert test_command in ci_commands


def test_the_api_document_fixtures_are_the_shared_sheets() -> None:
    """tests/fixtures/api-docs are copies (a fresh clone has no ../shared); they must not drift from the originals."""
    fixtures = Path(__file__).resolve().parent / "fixtures" / "api-docs"
    shared = Path(__file__).resolve().parents[2] / "shared" / "api-docs"
    if not shared.is_dir():
        pytest.skip("../shared/api-docs is not beside this checkout")
    for copy in sorted(fixtures.glob("*.txt")):
        assert copy.read_bytes() == (shared / copy.name).read_bytes(), copy.name


def test_python_dash_m_taskctl_is_the_command() -> None:
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "taskctl", "--version"], capture_output=True, text=True, timeout=60)

    assert result.returncode == 0 and result.stdout.startswith("taskctl "), result.stderr
