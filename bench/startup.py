"""Wall time of common invocations, as ratios against a floor measured in the same run.

    python bench/startup.py [--runs N]

The floor is `python -c "import typer, requests"`: the least any taskctl command that talks HTTP can cost.
`get --json` runs against a `taskctl sandbox` started here (a separate process, like a real service).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TASKCTL = shutil.which("taskctl") or str(Path(sys.executable).with_name("taskctl"))


def base_env() -> dict[str, str]:
    """The environment of a user's shell: bytecode caching on, as `pip install` leaves it."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def timed(command: list[str], runs: int, env: dict[str, str] | None = None) -> float:
    """Median wall time in seconds (after one warm-up run, which also writes bytecode caches)."""
    env = env or base_env()
    samples = []
    for attempt in range(runs + 1):
        started = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=False)
        if attempt:
            samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs

    port = free_port()
    server = subprocess.Popen([TASKCTL, "sandbox", "--port", str(port)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        server.stderr.readline()  # "listening on ..."
        config = Path(tempfile.mkdtemp()) / "profiles.yaml"
        config.write_text(f"profiles:\n  local:\n    provider: eo\n    endpoint: http://127.0.0.1:{port}/eo\n")
        config.chmod(0o600)
        env = {**base_env(), "TASKCTL_TOKEN": "sandbox-token", "TASKCTL_CONFIG": str(config)}
        complete = {**base_env(), "_TASKCTL_COMPLETE": "complete_bash", "COMP_WORDS": "taskctl eo g",
                    "COMP_CWORD": "2"}
        floor = timed([sys.executable, "-c", "import typer, requests"], runs)
        cases = {
            "get 702 --json (running sandbox)": timed([TASKCTL, "eo", "get", "702", "--json"], runs, env),
            "get 702 table (running sandbox)": timed([TASKCTL, "eo", "get", "702"], runs, env),
            "get 702 --json --profile sandbox (in-process)": timed(
                [TASKCTL, "eo", "get", "702", "--json", "--profile", "sandbox"], runs),
            "koodrive get --json --profile sandbox": timed(
                [TASKCTL, "koodrive", "get", "task-done", "--json", "--profile", "sandbox"], runs),
            "modelarts get --json --profile sandbox (IAM token)": timed(
                [TASKCTL, "modelarts", "get", "AcYfsdfhGyrWL5TtahH", "--json", "--profile", "sandbox"], runs),
            "get 8 ids --json (running sandbox)": timed(
                [TASKCTL, "eo", "get", "702", "703", "704", "705", "706", "707", "708", "702", "--json"], runs, env),
            "--help": timed([TASKCTL, "--help"], runs),
            "TAB completion (taskctl eo g<TAB>)": timed([TASKCTL], runs, complete),
        }
    finally:
        server.send_signal(signal.SIGINT)
        server.communicate(timeout=10)
    print(f"floor: python -c 'import typer, requests' = {floor * 1000:.0f} ms (median of {runs})")
    for name, seconds in cases.items():
        print(f"{name:48s} {seconds * 1000:6.0f} ms  {seconds / floor:5.2f} x floor")


if __name__ == "__main__":
    main()
