"""The deadline storm: N logged-in students each save their decisions once, all within 10 s
(issue 18, point 3).

For N in 200, 1,000 and 2,000 (``--quick``: 200 only), on SQLite served by gunicorn with the
default workers (2, as ``make run``) and on PostgreSQL (a throwaway cluster, tests/pg.py)
with 4 workers. Every student is in a team of their own in one game of
scenarios/tutorial.toml with round 1 open; their sessions are signed cookies made with the
server's key (logging 2,000 students in first would cost a minute of argon2, and is not the
storm). Each student's save is sent at a moment drawn uniformly from the 10 s window
(fixed seed), on its own connection, by 4 client processes (event loops, not threads).

Reports: stored (decision rows afterwards), lost (sent minus stored: must be 0), 5xx (must
be 0), other statuses, latency p50/p95/max, when the last save was answered, and the CPU
time per save of the app server (gunicorn and its workers), of PostgreSQL and of the load
generator (the client processes, on the same cores): latencies depend on what else the
machine runs, CPU per save much less. The
baseline of the same run is the smallest storm (200). Asserts nothing.

    .venv/bin/python bench/bench_storm.py [--quick] [--sqlite-only | --postgresql-only]
"""

from __future__ import annotations

import multiprocessing
import os
import random
import selectors
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT))

import httpload  # noqa: E402

SECRET = "bench-storm-secret-key-0123456789abcdef0123456789"
WINDOW_S = 10.0
CLIENT_PROCESSES = 4
FORM = {
    "market.US": "y",
    "offers.US.earbuds.listed": "y",
    "offers.US.earbuds.price_local": "34.99",
    "offers.US.earbuds.ad_budget_cny": "5000",
    "offers.US.earbuds.channel": "warehouse",
    "factory_orders.earbuds": "500",
    "ship.US.earbuds.air": "500",
}


def wsgi_app():
    """gunicorn entry point: ``bench_storm:wsgi_app()``."""
    import gc

    from simshop import create_app

    app = create_app(
        {
            "SECRET_KEY": SECRET,
            "SQLALCHEMY_DATABASE_URI": os.environ["BENCH_DB_URL"],
        }
    )
    gc.collect()
    gc.freeze()
    return app


def build_class(url: str, students: int) -> tuple[int, int, list[tuple[str, str]]]:
    """A game with ``students`` one-student teams and round 1 open. Returns the game id, the
    round id and each student's (session cookie, CSRF token)."""
    from sqlalchemy import insert, select

    from simshop import create_app
    from simshop.db import db, init_db
    from simshop.models import Player, Round, Team, User
    from simshop.security import hash_password
    from simshop.services import games as games_service
    from simshop.services import schedule as schedule_service
    from simshop.services.teams import team_name_key
    from tests.reliability.gamekit import signed_in

    app = create_app({"SECRET_KEY": SECRET, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        init_db()
        s = db.session
        pw = hash_password("plum orchard seventeen")
        teacher = User(login="storm-teacher", display_name="T", role="instructor", password_hash=pw)
        s.add(teacher)
        s.commit()
        game = games_service.create_game(
            s,
            teacher,
            games_service.GameSpec(
                title="Deadline storm",
                scenario_file="tutorial.toml",
                scored_rounds=3,
                practice_rounds=0,
                bot_count=0,
                seed=11,
                team_max_size=1,
            ),
            scenarios_dir=ROOT / "scenarios",
        )
        s.execute(
            insert(User),
            [
                {"login": f"s{i:05d}", "display_name": f"S{i}", "role": "student"}
                | {"password_hash": pw}
                for i in range(students)
            ],
        )
        names = [f"Team {i:05d}" for i in range(students)]
        s.execute(
            insert(Team),
            [
                {"game_id": game.id, "name": n, "name_key": team_name_key(n), "member_count": 1}
                for n in names
            ],
        )
        users = dict(s.execute(select(User.login, User.id).where(User.role == "student")).all())
        teams = dict(s.execute(select(Team.name, Team.id).where(Team.game_id == game.id)).all())
        s.execute(
            insert(Player),
            [
                {"game_id": game.id, "user_id": users[f"s{i:05d}"], "team_id": teams[names[i]]}
                for i in range(students)
            ],
        )
        s.commit()
        first = s.scalar(select(Round).where(Round.game_id == game.id, Round.number == 1))
        schedule_service.open_round(s, game, first)
        game_id, round_id = game.id, first.id
        logins = list(s.scalars(select(User.login).where(User.role == "student")))
        credentials = signed_in(app, sorted(logins))
        db.session.remove()
        db.engine.dispose()
    return game_id, round_id, credentials


def _request(host: str, path: str, cookie_name: str, cookie: str, token: str) -> bytes:
    body = urlencode({**FORM, "csrf_token": token}).encode()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\nCookie: {cookie_name}={cookie}\r\n\r\n"
    )
    return head.encode() + body


def _client(args):
    """One client process: an event loop (``selectors``) that opens each student's
    connection at its moment, sends the prepared request and reads the answer to its end
    (gunicorn closes the connection). A thread per student, with ``http.client``, cost the
    shared cores about 1.2 ms of CPU per save; this loop costs a fraction of that, so the
    cores serve the storm rather than its simulation."""
    host, port, path, cookie_name, jobs, start_at = args
    requests = sorted(
        (start_at + offset, _request(host, path, cookie_name, cookie, token))
        for offset, cookie, token in jobs
    )
    selector = selectors.DefaultSelector()
    results = []
    next_job = 0
    give_up_at = start_at + WINDOW_S + 120.0

    def finish(sock, state, status):
        selector.unregister(sock)
        sock.close()
        now = time.perf_counter()
        results.append((status, now - state["t0"], time.time() - start_at))

    while next_job < len(requests) or selector.get_map():
        now = time.time()
        while next_job < len(requests) and requests[next_job][0] <= now:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setblocking(False)
            state = {"t0": time.perf_counter(), "out": requests[next_job][1], "in": b""}
            sock.connect_ex((host, port))
            selector.register(sock, selectors.EVENT_WRITE, state)
            next_job += 1
        timeout = 0.05
        if next_job < len(requests):
            timeout = max(0.0, min(timeout, requests[next_job][0] - time.time()))
        if time.time() > give_up_at:  # a hang guard: whatever is unanswered is lost
            for key in list(selector.get_map().values()):
                finish(key.fileobj, key.data, 0)
            break
        for key, mask in selector.select(timeout):
            sock, state = key.fileobj, key.data
            try:
                if mask & selectors.EVENT_WRITE:
                    sent = sock.send(state["out"])
                    state["out"] = state["out"][sent:]
                    if not state["out"]:
                        selector.modify(sock, selectors.EVENT_READ, state)
                    continue
                chunk = sock.recv(65536)
            except OSError:
                finish(sock, state, 0)  # refused or reset: counted as not answered
                continue
            if chunk:
                state["in"] += chunk
                continue
            status_line = state["in"].split(b"\r\n", 1)[0].split()
            status = int(status_line[1]) if len(status_line) > 1 else 0
            finish(sock, state, status)
    times = os.times()
    return results, times.user + times.system


def storm(base: str, game_id: int, credentials, seed: int = 18):
    host, port = base.removeprefix("http://").split(":")
    rng = random.Random(seed)
    jobs = [(rng.uniform(0, WINDOW_S), c, t) for c, t in credentials]
    start_at = time.time() + 2.0  # time for the client processes to start their threads
    chunks = [jobs[i::CLIENT_PROCESSES] for i in range(CLIENT_PROCESSES)]
    path = f"/games/{game_id}/decisions"
    args = [(host, int(port), path, "simshop_session", chunk, start_at) for chunk in chunks]
    with multiprocessing.get_context("fork").Pool(CLIENT_PROCESSES) as pool:
        parts = pool.map(_client, args)
    return [r for part, _ in parts for r in part], sum(cpu for _, cpu in parts)


def stored(url: str, round_id: int) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(
                text("SELECT count(*) FROM decisions WHERE round_id = :r"), {"r": round_id}
            ).scalar_one()
    finally:
        engine.dispose()


_TICKS = os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(pid: int | None) -> float:
    """CPU seconds (user + system) of a process and its descendants, living or reaped
    (/proc; 0 where unreadable): what a storm costs the server, whatever else the machine
    runs at the same time."""
    if pid is None:
        return 0.0
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        with open(f"/proc/{pid}/task/{pid}/children") as handle:
            children = [int(c) for c in handle.read().split()]
    except OSError:
        return 0.0
    own = sum(int(x) for x in fields[11:15]) / _TICKS  # utime, stime, cutime, cstime
    return own + sum(tree_cpu_seconds(child) for child in children)


def run(
    label: str, url: str, students: int, workers: int, tmp: str, database_pid: int | None = None
) -> None:
    t0 = time.perf_counter()
    game_id, round_id, credentials = build_class(url, students)
    setup_s = time.perf_counter() - t0
    log_path = os.path.join(tmp, f"{label}-{students}.log")
    server, base = httpload.start_gunicorn(
        "bench_storm:wsgi_app()", env={"BENCH_DB_URL": url}, log_path=log_path, workers=workers
    )
    try:
        app_cpu, db_cpu = tree_cpu_seconds(server.pid), tree_cpu_seconds(database_pid)
        results, client_cpu = storm(base, game_id, credentials)
        app_cpu = tree_cpu_seconds(server.pid) - app_cpu
        db_cpu = tree_cpu_seconds(database_pid) - db_cpu
    finally:
        httpload.stop(server)
    statuses: dict[int, int] = {}
    for status, _, _ in results:
        statuses[status] = statuses.get(status, 0) + 1
    ms = sorted(e * 1000 for _, e, _ in results)
    rows = stored(url, round_id)
    last = max(done for _, _, done in results)
    log = Path(log_path).read_text()
    print(
        f"{label:<10} {workers} workers  N={students:>5}  stored {rows:>5}  "
        f"lost {students - rows:>3}  5xx {sum(n for s, n in statuses.items() if s >= 500):>3}  "
        f"p50 {statistics.median(ms):>7.0f} ms  p95 {httpload.percentile(ms, 95):>7.0f} ms  "
        f"max {ms[-1]:>7.0f} ms  last answer at {last:5.1f} s  statuses {statuses}  "
        f"CPU per save: app {1000 * app_cpu / students:.1f} ms"
        + (f", database {1000 * db_cpu / students:.1f} ms" if database_pid else "")
        + f", load generator {1000 * client_cpu / students:.1f} ms  "
        + f"(setup {setup_s:.0f} s{'; database is locked in log' if 'locked' in log else ''})",
        flush=True,
    )


def main() -> int:
    sizes = [200] if "--quick" in sys.argv else [200, 1000, 2000]
    print(f"each student saves once at a moment drawn from a {WINDOW_S:.0f} s window")
    with tempfile.TemporaryDirectory(prefix="bench-storm-") as tmp:
        for n in [] if "--postgresql-only" in sys.argv else sizes:
            run("sqlite", f"sqlite:///{tmp}/storm-{n}.sqlite", n, 2, tmp)
        if "--sqlite-only" in sys.argv:
            return 0
        from tests.pg import PostgresCluster, find_bindir

        bindir = find_bindir()
        if bindir is None:
            print("postgresql: no server binaries (apt-get install postgresql); skipped")
            return 0
        cluster = PostgresCluster(bindir)
        cluster.start()
        try:
            pid_file = cluster.data / "postmaster.pid"
            postmaster = int(pid_file.read_text().split()[0]) if pid_file.exists() else None
            for n in sizes:
                name = f"storm_{n}"
                cluster.execute(f"CREATE DATABASE {name}")
                run("postgresql", cluster.url(name), n, 4, tmp, postmaster)
        finally:
            cluster.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
