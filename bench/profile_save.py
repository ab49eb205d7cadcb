"""Where one decision save spends its CPU: N logged-in students each save once through the
Flask test client (in-process, no HTTP), under cProfile, on SQLite or on a throwaway
PostgreSQL cluster (tests/pg.py). Prints ms per save (wall, and the CPU time of this process: the
app and the database client; the PostgreSQL server's own CPU is not in it) and the top
functions (cProfile adds its own overhead: compare ms with ``--no-profile``).

    .venv/bin/python bench/profile_save.py [--postgresql] [--n 300] [--top 40] [--no-profile]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT))

import bench_storm  # noqa: E402


def saves(url: str, n: int, profile: bool, top: int) -> None:
    from simshop import create_app

    game_id, _, credentials = bench_storm.build_class(url, n)
    app = create_app({"SECRET_KEY": bench_storm.SECRET, "SQLALCHEMY_DATABASE_URI": url})
    client = app.test_client()
    path = f"/games/{game_id}/decisions"
    # Warm up (first request: template compilation, imports) with the first student.
    cookie, token = credentials[0]
    client.set_cookie("simshop_session", cookie)
    assert client.post(path, data={**bench_storm.FORM, "csrf_token": token}).status_code == 302
    profiler = cProfile.Profile(time.process_time) if profile else None  # CPU, not waits
    t0, cpu0 = time.perf_counter(), time.process_time()
    if profiler:
        profiler.enable()
    for cookie, token in credentials[1:]:
        client.set_cookie("simshop_session", cookie)
        status = client.post(path, data={**bench_storm.FORM, "csrf_token": token}).status_code
        assert status == 302, status
    if profiler:
        profiler.disable()
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    print(
        f"{url.split(':')[0]}: {1000 * elapsed / (n - 1):.2f} ms per save wall, "
        f"{1000 * cpu / (n - 1):.2f} ms CPU of this process (app and database client)"
    )
    if profiler:
        stats = pstats.Stats(profiler)
        stats.sort_stats("cumulative").print_stats(top)
        stats.sort_stats("tottime").print_stats(top)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgresql", action="store_true")
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--no-profile", action="store_true")
    args = parser.parse_args()
    if not args.postgresql:
        with tempfile.TemporaryDirectory(prefix="profile-save-") as tmp:
            saves(f"sqlite:///{tmp}/save.sqlite", args.n, not args.no_profile, args.top)
        return 0
    from tests.pg import PostgresCluster, find_bindir

    cluster = PostgresCluster(find_bindir())
    cluster.start()
    try:
        cluster.execute("CREATE DATABASE profile_save")
        saves(cluster.url("profile_save"), args.n, not args.no_profile, args.top)
    finally:
        cluster.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
