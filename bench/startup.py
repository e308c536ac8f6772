"""Wall time of common invocations, as ratios against a floor measured interleaved in the same run.

    python bench/startup.py [--runs N] [--only SUBSTRING] [--against OTHER_TASKCTL]

The floor is `python -c "import typer, requests"`: the least any taskctl command that talks HTTP can cost.
Machines are noisy and drift, so every round runs the floor and every case once, in a fresh random order, and
each figure is the median over the rounds (after one warm-up round, which also writes bytecode caches).
`get` cases run against a `taskctl sandbox` started here (a separate process, like a real service), with the
token in the profiles file unless the case says otherwise.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

TASKCTL = shutil.which("taskctl") or str(Path(sys.executable).with_name("taskctl"))
TOKEN = "sandbox-token"


class Case(NamedTuple):
    name: str
    argv: Sequence[str]
    env: Mapping[str, str]


def base_env() -> dict[str, str]:
    """The environment of a user's shell: bytecode caching on, as `pip install` leaves it."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


class Sample(NamedTuple):
    wall: float  # seconds
    cpu: float  # user + system seconds of the process: what the command costs, whatever else the machine runs


def run_once(case: Case) -> Sample:
    started = time.perf_counter()
    process = subprocess.Popen(case.argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=dict(case.env))
    _pid, _status, usage = os.wait4(process.pid, 0)
    process.returncode = 0  # reaped by wait4
    return Sample(time.perf_counter() - started, usage.ru_utime + usage.ru_stime)


def warm_up(case: Case) -> None:
    """One run that writes bytecode caches; a case that fails would time its error path: say so, and stop."""
    done = subprocess.run(case.argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=dict(case.env),
                          check=False)
    if done.returncode != 0:
        sys.exit(f"bench: case {case.name!r} exits {done.returncode}: {done.stderr.strip()[-300:]}")


def interleaved(cases: Sequence[Case], rounds: int) -> dict[str, list[Sample]]:
    """Seconds per case: one warm-up round, then ``rounds`` rounds, each in a new random order."""
    for case in cases:
        warm_up(case)
    samples: dict[str, list[Sample]] = {case.name: [] for case in cases}
    for _round in range(rounds):
        for case in random.sample(list(cases), len(cases)):
            samples[case.name].append(run_once(case))
    return samples


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_profiles(folder: Path, port: int) -> Path:
    """Profiles of the three providers at the running sandbox (ModelArts signs with AK/SK), tokens in the file;
    `keyed` has its token in the keyring only."""
    endpoint = f"http://127.0.0.1:{port}"
    path = folder / "profiles.yaml"
    path.write_text(
        "profiles:\n"
        f"  local:\n    provider: eo\n    endpoint: {endpoint}/eo\n    token: {TOKEN}\n    default: true\n"
        f"  keyed:\n    provider: eo\n    endpoint: {endpoint}/eo\n"
        f"  drive:\n    provider: koodrive\n    endpoint: {endpoint}/koodrive\n    token: {TOKEN}\n"
        f"    share_id: sandbox-share\n"
        f"  ma:\n    provider: modelarts\n    endpoint: {endpoint}/modelarts\n    project_id: sandbox-project\n"
        f"    access_key: SANDBOXACCESSKEY0001\n")
    path.chmod(0o600)
    return path


def store_keyring_token(env: Mapping[str, str]) -> None:
    """The token of `keyed` into a plaintext keyring under the bench's own data folder (keyrings.alt)."""
    subprocess.run([TASKCTL, "auth", "login", "keyed"], input=TOKEN + "\n", text=True, env=dict(env), check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def cases_for(env: dict[str, str], taskctl: str = TASKCTL) -> list[Case]:
    signed = {**env, "TASKCTL_SECRET_KEY": "sandbox-secret-key-0001"}
    detected = {key: value for key, value in env.items() if key != "PYTHON_KEYRING_BACKEND"}
    complete = {**env, "_TASKCTL_COMPLETE": "complete_bash", "COMP_WORDS": "taskctl eo g", "COMP_CWORD": "2"}
    t = [taskctl]
    return [
        Case("floor: python -c 'import typer, requests'", [sys.executable, "-c", "import typer, requests"], env),
        Case("eo get 702 --json", [*t, "eo", "get", "702", "--json"], env),
        Case("eo get 702 (table)", [*t, "eo", "get", "702"], env),
        Case("eo get 702 -o tree", [*t, "eo", "get", "702", "-o", "tree"], env),
        Case("eo get 702 -o yaml", [*t, "eo", "get", "702", "-o", "yaml"], env),
        Case("koodrive get task-done --json", [*t, "koodrive", "get", "task-done", "-p", "drive", "--json"], env),
        Case("koodrive get task-done (table)", [*t, "koodrive", "get", "task-done", "-p", "drive"], env),
        Case("modelarts get (AK/SK) --json", [*t, "modelarts", "get", "AcYfsdfhGyrWL5TtahH", "-p", "ma", "--json"],
             signed),
        Case("modelarts get (AK/SK) (table)", [*t, "modelarts", "get", "AcYfsdfhGyrWL5TtahH", "-p", "ma"], signed),
        Case("eo get 702 --json, token in the keyring ($PYTHON_KEYRING_BACKEND)",
             [*t, "eo", "get", "702", "-p", "keyed", "--json"], env),
        Case("eo get 702 --json, token in the keyring (backend detected)",
             [*t, "eo", "get", "702", "-p", "keyed", "--json"], detected),
        Case("eo get 8 ids --json", [*t, "eo", "get", "702", "703", "704", "705", "706", "707", "708", "702",
                                     "--json"], env),
        Case("eo get 702 --json --profile sandbox (in-process)", [*t, "eo", "get", "702", "--json", "-p", "sandbox"],
             env),
        Case("auth status", [*t, "auth", "status"], signed),
        Case("--help", [*t, "--help"], env),
        Case("--version", [*t, "--version"], env),
        Case("TAB completion (taskctl eo g<TAB>)", t, complete),
    ]


def selected(env: dict[str, str], only: str, against: str | None) -> list[Case]:
    """The floor, then the cases whose name holds ``only``; with ``against``, each also as run by that taskctl."""
    ours = cases_for(env)
    cases = [ours[0], *(case for case in ours[1:] if only in case.name)]
    if against:
        theirs = [case for case in cases_for(env, against)[1:] if only in case.name]
        cases = [ours[0], *(case._replace(name="this: " + case.name) for case in cases[1:]),
                 *(case._replace(name="against: " + case.name) for case in theirs)]
    return cases


def report(samples: dict[str, list[Sample]], rounds: int) -> None:
    floor_name = next(iter(samples))
    floor_wall = statistics.median(sample.wall for sample in samples[floor_name])
    floor_cpu = statistics.median(sample.cpu for sample in samples[floor_name])
    width = max(map(len, samples))
    print(f"{rounds} interleaved rounds, medians; ratios against the floor of this run "
          f"(wall time, and the process's own CPU time, which a busy machine disturbs less)")
    for name, runs in samples.items():
        wall = statistics.median(sample.wall for sample in runs)
        cpu = statistics.median(sample.cpu for sample in runs)
        print(f"{name:{width}s} {wall * 1000:6.0f} ms {wall / floor_wall:5.2f} x floor   "
              f"CPU {cpu * 1000:5.0f} ms {cpu / floor_cpu:5.2f} x floor")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21, help="interleaved rounds (default 21)")
    parser.add_argument("--only", default="", help="only the cases whose name contains this (and the floor)")
    parser.add_argument("--against", metavar="TASKCTL", help="also run every case with this other installed taskctl "
                        "(e.g. a venv of an older commit), interleaved in the same rounds: a before/after table")
    options = parser.parse_args()
    port = free_port()
    server = subprocess.Popen([TASKCTL, "sandbox", "--port", str(port)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=base_env())
    try:
        assert server.stderr is not None
        server.stderr.readline()  # "listening on ..."
        with tempfile.TemporaryDirectory() as folder:
            env = {**base_env(), "TASKCTL_CONFIG": str(write_profiles(Path(folder), port)),
                   "XDG_DATA_HOME": folder, "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring"}
            env.pop("TASKCTL_TOKEN", None)
            store_keyring_token(env)
            report(interleaved(selected(env, options.only, options.against), options.runs), options.runs)
    finally:
        server.send_signal(signal.SIGINT)
        server.communicate(timeout=10)


if __name__ == "__main__":
    main()
