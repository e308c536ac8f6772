"""Many ids in one `get`: wall time and peak memory against a server that answers each request after a delay.

    python bench/batch.py [--ids 1000,5000] [--latency 0.02] [--runs 5]

The server (started here, in its own process, on loopback) answers every EO detail request with a task object
after ``--latency`` seconds, like a service far away; several connections at once. Each round runs the floor
(`python -c "import typer, requests"`) and `taskctl eo get ID... --json` for each count, in a fresh random order;
the figures are medians: wall time (absolute and as x floor) and the peak RSS of the taskctl process.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TASKCTL = shutil.which("taskctl") or str(Path(sys.executable).with_name("taskctl"))

SERVER = r"""
import json, sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LATENCY = float(sys.argv[1])


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed-ACK stall

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        time.sleep(LATENCY)  # the service's own latency, simulated
        task = {"id": body["taskId"], "taskType": 6, "taskName": "BENCH BAND MERGING", "status": 7,
                "outputFolder": "/bench/out", "outputFileName": "merged.tif", "datas": [
                    {"dataFileId": 1000 + i, "band": f"B{i}", "fileName": f"b{i}.tif"} for i in range(4)]}
        payload = json.dumps({"code": 200, "message": "success", "data": task}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


ThreadingHTTPServer.daemon_threads = True
ThreadingHTTPServer.request_queue_size = 128
server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
"""


def run_once(argv: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of one run; a failing run stops the bench."""
    started = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    assert process.stderr is not None
    errors = process.stderr.read()
    _pid, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        sys.exit(f"bench: {' '.join(argv[:4])} ... exits {process.returncode}: {errors.decode()[-300:]}")
    return elapsed, usage.ru_maxrss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ids", default="1000,5000", help="comma-separated counts of ids (default 1000,5000)")
    parser.add_argument("--latency", type=float, default=0.02, help="the server's delay per request, seconds")
    parser.add_argument("--runs", type=int, default=5, help="interleaved rounds (default 5)")
    options = parser.parse_args()
    counts = [int(count) for count in options.ids.split(",")]
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    server = subprocess.Popen([sys.executable, "-c", SERVER, str(options.latency)], stdout=subprocess.PIPE,
                              text=True)
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline())
        with tempfile.TemporaryDirectory() as folder:
            profiles = Path(folder) / "profiles.yaml"
            profiles.write_text(f"profiles:\n  far:\n    provider: eo\n    endpoint: http://127.0.0.1:{port}\n"
                                f"    token: bench-token\n")
            profiles.chmod(0o600)
            env = {**env, "TASKCTL_CONFIG": str(profiles), "XDG_CACHE_HOME": folder}
            cases = {"floor: python -c 'import typer, requests'": [sys.executable, "-c", "import typer, requests"]}
            for count in counts:
                cases[f"eo get {count} ids --json ({options.latency * 1000:g} ms latency)"] = [
                    TASKCTL, "eo", "get", *map(str, range(10_000, 10_000 + count)), "--json"]
            report(interleaved(cases, env, options.runs), options.runs)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=10)


def interleaved(cases: dict[str, list[str]], env: dict[str, str], rounds: int) -> dict[str, list[tuple[float, int]]]:
    for argv in cases.values():
        run_once(argv, env)  # warm-up: bytecode and profile caches
    samples: dict[str, list[tuple[float, int]]] = {name: [] for name in cases}
    for _round in range(rounds):
        for name in random.sample(list(cases), len(cases)):
            samples[name].append(run_once(cases[name], env))
    return samples


def report(samples: dict[str, list[tuple[float, int]]], rounds: int) -> None:
    floor = statistics.median(seconds for seconds, _rss in next(iter(samples.values())))
    width = max(map(len, samples))
    print(f"{rounds} interleaved rounds, medians; ratios against the floor of this run")
    for name, runs in samples.items():
        seconds = statistics.median(s for s, _rss in runs)
        rss = max(r for _s, r in runs) / 1024
        print(f"{name:{width}s} {seconds * 1000:7.0f} ms  {seconds / floor:6.2f} x floor  peak RSS {rss:5.1f} MiB")
    print(json.dumps({name: [round(s, 3) for s, _r in runs] for name, runs in samples.items()}), file=sys.stderr)


if __name__ == "__main__":
    main()
