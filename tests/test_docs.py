"""The README and the example profiles file say what the code does."""

from __future__ import annotations

import re
from pathlib import Path

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
