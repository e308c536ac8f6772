"""Run taskctl's entry point in a fresh interpreter and see what it imported (start-up tests)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from typing import NamedTuple

PROBE = """
import json, sys
from taskctl.cli.app import main
code = 0
try:
    main()
except SystemExit as exit:
    code = exit.code
sys.stderr.write("EXIT=%s\\n" % code)
sys.stderr.write("MODULES=" + json.dumps(sorted(sys.modules)) + "\\n")
"""


class Probed(NamedTuple):
    stdout: str
    stderr: str  # without the probe's own lines
    exit_code: str  # as the probe saw it ("0", "2", "None")
    modules: set[str]


def probe(args: list[str], env: Mapping[str, str] | None = None) -> Probed:
    """``taskctl ARGS`` in a new Python with ``env`` over this environment ($COLUMNS dropped: views as piped)."""
    environ = {key: value for key, value in os.environ.items() if key != "COLUMNS"} | dict(env or {})
    proc = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, env=environ,
                          timeout=60)
    lines = proc.stderr.splitlines()
    marked = {line.split("=", 1)[0]: line.split("=", 1)[1] for line in lines if line.startswith(("EXIT=", "MODULES="))}
    assert "MODULES" in marked, proc.stderr
    rest = "\n".join(line for line in lines if not line.startswith(("EXIT=", "MODULES=")))
    return Probed(proc.stdout, rest, marked["EXIT"], set(json.loads(marked["MODULES"])))
