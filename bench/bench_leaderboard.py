"""Leaderboard page and projector update endpoint under load (gunicorn, 2 sync workers).

Builds a game of scenarios/us-tariffs-2025.toml with 500 student teams (plus 4 bots) and 10
published rounds (1 practice + 9 scored, processed by the real engine) in a temporary SQLite
file, with the 11th round open and 300 teams' decisions saved. Serves it with gunicorn on a
free loopback port (the app is created, then ``gc.freeze()``), and measures with a thread
pool of ``requests.Session`` clients on the same machine (so the numbers are lower bounds:
the load generator shares the 2 cores with the server):

1. the leaderboard page (logged-in student, 504 rows), 8 clients;
2. the projector update endpoint answering 304 (If-None-Match), 8 clients;
3. the same endpoint answering 200 with the full JSON body, 8 clients;
4. 200 clients polling every 5 s (like 200 open projector pages), with If-None-Match, for
   30 s: once while nothing changes (all 304), once while a decision is saved every 5 s
   (every poll then sees a new ETag and gets the full body: the worst case).

    .venv/bin/python bench/bench_leaderboard.py [--quick]
"""

from __future__ import annotations

import gc
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import worlds  # noqa: E402
from httpload import free_port, percentile  # noqa: E402

TEAMS = 500
BOTS = 4
PUBLISHED = 10
SAVED_DECISIONS = 300
SECRET = "bench-leaderboard-secret-key-0123456789abcdef"
PASSWORD = "plum orchard seventeen"


def wsgi_app():
    """The gunicorn entry point: ``bench_leaderboard:wsgi_app()``."""
    from simshop import create_app

    app = create_app(
        {
            "SECRET_KEY": SECRET,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{os.environ['BENCH_DB']}",
            "RATELIMIT_ENABLED": False,
        }
    )
    gc.collect()
    gc.freeze()  # long-lived objects out of the cyclic GC's way: halves the p99
    return app


# --------------------------------------------------------------------------- setup


def build_database(path: str) -> dict:
    from sqlalchemy import insert

    from simshop import create_app
    from simshop.db import db, init_db
    from simshop.models import Decision, Game, Team
    from simshop.models.user import utcnow
    from simshop.services import projector as projector_service

    app = create_app({"SECRET_KEY": SECRET, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    with app.app_context():
        init_db()
        s = db.session
        teacher, game, current = worlds.published_class(
            s,
            password=PASSWORD,
            title="Bench class",
            scenario_file="us-tariffs-2025.toml",
            scored_rounds=10,
            practice_rounds=1,
            bot_count=BOTS,
            seed=4242,
            teams=TEAMS,
            published=PUBLISHED,
        )
        team_ids = [t.id for t in s.query(Team).filter_by(game_id=game.id, is_bot=False)]
        now = utcnow()
        s.execute(
            insert(Decision),
            [
                {"round_id": current.id, "team_id": tid, "payload": {}, "saved_at": now}
                for tid in team_ids[:SAVED_DECISIONS]
            ],
        )
        s.commit()
        token = projector_service.rotate_projector_link(s, game, teacher).token
        info = {
            "game_id": game.id,
            "round_id": current.id,
            "token": token,
            "spare_teams": team_ids[SAVED_DECISIONS:],
            "rows": s.query(Team).filter_by(game_id=game.id).count(),
        }
        assert s.get(Game, game.id).status == "running"
    return info


# --------------------------------------------------------------------------- server


def start_server(db_path: str, port: int, log_path: str) -> subprocess.Popen:
    env = {**os.environ, "BENCH_DB": db_path, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--chdir",
            str(Path(__file__).parent),
            "--no-control-socket",
            "--log-level",
            "warning",
            "bench_leaderboard:wsgi_app()",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(log_path, "wb"),  # noqa: SIM115 - closed with the process
    )
    import requests

    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{port}/login", timeout=5)
            return proc
        except requests.RequestException:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("gunicorn did not start: " + Path(log_path).read_text()[-2000:])


def login(base: str):
    import requests

    session = requests.Session()
    page = session.get(f"{base}/login").text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = session.post(
        f"{base}/login",
        data={"login": "bench-student", "password": PASSWORD, "csrf_token": token},
        allow_redirects=False,
    )
    assert response.status_code == 302, response.status_code
    return session


# --------------------------------------------------------------------------- load


def report(name: str, latencies: list[float], elapsed: float, statuses: dict[int, int]) -> None:
    ms = [x * 1000 for x in latencies]
    print(
        f"{name:<46} {len(ms):>6} req  {len(ms) / elapsed:>8.1f} req/s  "
        f"p50 {statistics.median(ms):>6.2f} ms  p99 {percentile(ms, 99):>7.2f} ms  "
        f"max {max(ms):>7.2f} ms  statuses {dict(sorted(statuses.items()))}",
        flush=True,
    )


def closed_loop(name, make_session, url, *, clients, requests_total, headers=None, expect=200):
    """``clients`` threads each sending requests back to back until ``requests_total``."""
    sessions = [make_session() for _ in range(clients)]
    for session in sessions:  # warm: connection open, caches filled
        session.get(url, headers=headers or {}, timeout=10)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    per_client = requests_total // clients

    def run(session):
        mine, codes = [], {}
        for _ in range(per_client):
            t0 = time.perf_counter()
            response = session.get(url, headers=headers or {}, timeout=10)
            response.content  # noqa: B018 - read the whole body
            mine.append(time.perf_counter() - t0)
            codes[response.status_code] = codes.get(response.status_code, 0) + 1
        with lock:
            latencies.extend(mine)
            for code, n in codes.items():
                statuses[code] = statuses.get(code, 0) + n

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(run, sessions))
    elapsed = time.perf_counter() - started
    if statuses.get(expect, 0) != len(latencies):
        print(f"  (unexpected statuses: {statuses})")
    report(name, latencies, elapsed, statuses)


def pollers(name, base, url, *, clients, interval, duration, on_tick=None):
    """``clients`` pollers, each every ``interval`` s (staggered), with If-None-Match."""
    import requests

    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    stop = time.perf_counter() + duration

    def run(i):
        session = requests.Session()
        etag = None
        time.sleep(interval * i / clients)
        mine, codes = [], {}
        while time.perf_counter() < stop:
            t0 = time.perf_counter()
            response = session.get(url, headers={"If-None-Match": etag} if etag else {}, timeout=10)
            response.content  # noqa: B018
            mine.append(time.perf_counter() - t0)
            codes[response.status_code] = codes.get(response.status_code, 0) + 1
            etag = response.headers.get("ETag", etag)
            time.sleep(max(0.0, interval - (time.perf_counter() - t0)))
        with lock:
            latencies.extend(mine)
            for code, n in codes.items():
                statuses[code] = statuses.get(code, 0) + n

    ticker_stop = threading.Event()

    def ticker():
        while not ticker_stop.wait(interval):
            if on_tick:
                on_tick()

    tick_thread = threading.Thread(target=ticker, daemon=True)
    started = time.perf_counter()
    tick_thread.start()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(run, range(clients)))
    ticker_stop.set()
    elapsed = time.perf_counter() - started
    report(name, latencies, elapsed, statuses)


def main() -> int:
    quick = "--quick" in sys.argv
    import requests

    with tempfile.TemporaryDirectory(prefix="bench-leaderboard-") as tmp:
        db_path = os.path.join(tmp, "bench.sqlite")
        t0 = time.perf_counter()
        info = build_database(db_path)
        print(
            f"setup: {TEAMS} teams + {BOTS} bots, {PUBLISHED} published rounds, "
            f"{SAVED_DECISIONS} decisions saved: {time.perf_counter() - t0:.1f} s",
            flush=True,
        )
        port = free_port()
        log_path = os.path.join(tmp, "gunicorn.log")
        server = start_server(db_path, port, log_path)
        base = f"http://127.0.0.1:{port}"
        try:
            board = f"{base}/games/{info['game_id']}/leaderboard"
            state = f"{base}/projector/{info['token']}/state"
            session_state = f"{base}/games/{info['game_id']}/projector/state"
            student = login(base)
            cookies = student.cookies.get_dict()

            def logged_in():
                s = requests.Session()
                s.cookies.update(cookies)
                return s

            page = student.get(board)
            assert page.status_code == 200 and page.text.count("<tr data-team=") == info["rows"]
            body = requests.get(state)
            etag = body.headers["ETag"]
            print(
                f"leaderboard page {len(page.content) / 1024:.0f} KiB; "
                f"projector state {len(body.content) / 1024:.1f} KiB",
                flush=True,
            )
            n = 400 if quick else 2000
            closed_loop(
                "leaderboard page (8 clients)", logged_in, board, clients=8, requests_total=n
            )
            closed_loop(
                "projector state, 304 via link (8 clients)",
                requests.Session,
                state,
                clients=8,
                requests_total=n * 2,
                headers={"If-None-Match": etag},
                expect=304,
            )
            closed_loop(
                "projector state, 304 logged in (8 clients)",
                logged_in,
                session_state,
                clients=8,
                requests_total=n * 2,
                headers={"If-None-Match": etag},
                expect=304,
            )
            closed_loop(
                "projector state, 200 full body (8 clients)",
                requests.Session,
                state,
                clients=8,
                requests_total=n,
            )

            spare = iter(info["spare_teams"])

            def save_a_decision():
                from sqlalchemy import create_engine, text

                engine = create_engine(f"sqlite:///{db_path}")
                with engine.begin() as conn:
                    conn.exec_driver_sql("PRAGMA busy_timeout=5000")
                    conn.execute(
                        text(
                            "INSERT INTO decisions (round_id, team_id, payload, saved_at, "
                            "save_count) VALUES (:r, :t, '{}', CURRENT_TIMESTAMP, 1)"
                        ),
                        {"r": info["round_id"], "t": next(spare)},
                    )
                engine.dispose()

            pollers(
                "200 pollers every 5 s, nothing changes",
                base,
                state,
                clients=200,
                interval=5.0,
                duration=10.0 if quick else 30.0,
            )
            pollers(
                "200 pollers every 5 s, a save every 5 s",
                base,
                state,
                clients=200,
                interval=5.0,
                duration=10.0 if quick else 30.0,
                on_tick=save_a_decision,
            )
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
            errors = Path(log_path).read_text()
            if "Traceback" in errors:
                print("server errors:\n" + errors[-3000:])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
