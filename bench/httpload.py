"""Helpers shared by the web benchmarks: gunicorn on a free port, a closed-loop HTTP load
generator in separate processes (so the client's own Python does not cap the numbers at
what one GIL can send), percentiles and one report line format.

Not a benchmark itself (run_all.py runs ``bench_*.py`` only).
"""

from __future__ import annotations

import http.client
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(
    app: str,
    *,
    env: dict[str, str],
    log_path: str,
    workers: int = 2,
    ready_path: str = "/login",
    timeout: float = 60,
) -> tuple[subprocess.Popen, str]:
    """Serve ``module:callable`` (from bench/) with sync workers; returns (process, base URL)."""
    port = free_port()
    proc = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--chdir",
            str(Path(__file__).parent),
            "--no-control-socket",
            "--log-level",
            "warning",
            app,
        ],
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        stdout=subprocess.DEVNULL,
        stderr=open(log_path, "wb"),  # noqa: SIM115 - closed with the process
    )
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            status, _headers, _body = get("127.0.0.1", port, ready_path)
            if status < 500:
                return proc, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"gunicorn {app} did not start: " + Path(log_path).read_text()[-2000:])


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def get(host: str, port: int, path: str, headers: dict[str, str] | None = None):
    conn = http.client.HTTPConnection(host, port, timeout=30)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        body = response.read()
        return response.status, dict(response.getheaders()), body
    finally:
        conn.close()


def _client(args) -> tuple[list[float], dict[int, int]]:
    host, port, path, headers, seconds = args
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    stop_at = time.perf_counter() + seconds
    while time.perf_counter() < stop_at:
        t0 = time.perf_counter()
        status, _h, _b = get(host, port, path, headers)
        latencies.append(time.perf_counter() - t0)
        statuses[status] = statuses.get(status, 0) + 1
    return latencies, statuses


def closed_loop(
    base: str, path: str, *, clients: int = 8, seconds: float = 5.0, headers=None, warm: int = 20
):
    """``clients`` processes, each sending requests back to back (a new connection each, as
    sync gunicorn workers close them) for ``seconds``. Returns (latencies, statuses, req/s)."""
    host, port = base.removeprefix("http://").split(":")
    for _ in range(warm):
        get(host, int(port), path, headers)
    jobs = [(host, int(port), path, headers or {}, seconds)] * clients
    started = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(clients) as pool:
        results = pool.map(_client, jobs)
    elapsed = time.perf_counter() - started
    latencies = [x for mine, _ in results for x in mine]
    statuses: dict[int, int] = {}
    for _, codes in results:
        for code, n in codes.items():
            statuses[code] = statuses.get(code, 0) + n
    return latencies, statuses, len(latencies) / elapsed


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


def line(name: str, latencies: list[float], rate: float, statuses: dict[int, int]) -> str:
    ms = [x * 1000 for x in latencies]
    return (
        f"{name:<44} {rate:>8.0f} req/s  p50 {statistics.median(ms):>6.2f} ms  "
        f"p99 {percentile(ms, 99):>6.2f} ms  max {max(ms):>7.2f} ms  "
        f"statuses {dict(sorted(statuses.items()))}"
    )
