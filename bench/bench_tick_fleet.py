"""Many games due at once: 200 games of 10 teams each (bots, scenarios/tutorial.toml) whose
round 1 closes at the same moment, processed by 1, 2 and 4 long-lived tick workers
(``flask --app simshop tick --loop``) started side by side (issue 18, point 5).

Reports the time from starting the workers to the last round published and to the last
round explained (every worker explains what it publishes, and ``tick`` explains what is
left), rounds per second, how many times each round was claimed (exactly once each
expected: ``process_count``), how many explanations each round has stored (one), and how
many explanations were computed but not stored (wasted work: a worker logs each one).
The last fleet of each database has 4 workers of which 3 only publish (``--no-explain``):
every round is published first, the fourth worker explains them.
SQLite always; PostgreSQL too when its server binaries are installed (a throwaway cluster,
tests/pg.py). The baseline of the same run is 1 worker. Asserts nothing.

    .venv/bin/python bench/bench_tick_fleet.py [--quick] [--sqlite-only | --postgresql-only]
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SECRET = "bench-tick-fleet-secret-key-0123456789abcdef012345"
BIN = Path(sys.executable).parent
# (workers, of which publish only): every worker explains; then 4 where 3 only publish
# (``tick --no-explain``) and one explains what they leave.
FLEETS = ((1, 0), (2, 0), (4, 0), (4, 3))


def build(url: str, games: int, teams: int) -> None:
    from simshop import create_app
    from simshop.db import db, init_db
    from simshop.models import Round, User
    from simshop.security import hash_password
    from simshop.services import games as games_service
    from simshop.services import schedule as schedule_service

    app = create_app({"SECRET_KEY": SECRET, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        init_db()
        s = db.session
        teacher = User(
            login="fleet-teacher",
            display_name="T",
            role="instructor",
            password_hash=hash_password("plum orchard seventeen"),
        )
        s.add(teacher)
        s.commit()
        for i in range(games):
            game = games_service.create_game(
                s,
                teacher,
                games_service.GameSpec(
                    title=f"Class {i}",
                    scenario_file="tutorial.toml",
                    scored_rounds=3,
                    practice_rounds=0,
                    bot_count=teams,
                    seed=1000 + i,
                ),
                scenarios_dir=ROOT / "scenarios",
            )
            first = s.query(Round).filter_by(game_id=game.id, number=1).one()
            schedule_service.open_round(s, game, first)
            schedule_service.close_round(s, first)
        db.session.remove()
        db.engine.dispose()


def counts(url: str) -> tuple[int, dict[int, int], int]:
    """Rounds published, rounds by times claimed, rounds explained (round 1 of each game)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            published = conn.execute(
                text("SELECT count(*) FROM rounds WHERE number = 1 AND status = 'published'")
            ).scalar_one()
            claims = dict(
                conn.execute(
                    text(
                        "SELECT process_count, count(*) FROM rounds WHERE number = 1 "
                        "GROUP BY process_count"
                    )
                ).all()
            )
            explained = conn.execute(
                text(
                    "SELECT count(*) FROM round_explanations e JOIN rounds r "
                    "ON r.id = e.round_id WHERE r.number = 1"
                )
            ).scalar_one()
    finally:
        engine.dispose()
    return published, claims, explained


def run(label: str, url: str, games: int, workers: int, publishers: int = 0) -> None:
    """``workers`` tick workers, the first ``publishers`` of them with ``--no-explain`` (they
    only publish; the others explain too, and explain what the publishers left)."""
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": SECRET, "PYTHONPATH": str(ROOT)}
    command = [str(BIN / "flask"), "--app", "simshop", "tick", "--loop", "--interval", "0.2"]
    started = time.perf_counter()
    procs = [
        subprocess.Popen(
            command + (["--no-explain"] if i < publishers else []),
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for i in range(workers)
    ]
    published_s = None
    try:
        while True:
            published, _claims, explained = counts(url)
            now = time.perf_counter() - started
            if published >= games and published_s is None:
                published_s = now
            if explained >= games or now > 900:
                break
            time.sleep(0.2)
        elapsed = time.perf_counter() - started
    finally:
        for proc in procs:
            proc.terminate()
        errors = ""
        for proc in procs:
            try:
                _out, err = proc.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                _out, err = proc.communicate()
            errors += err.decode(errors="replace")
    published, claims, explained = counts(url)
    published_s = published_s if published_s is not None else elapsed
    kind = f" ({publishers} of them --no-explain)" if publishers else ""
    print(
        f"{label:<10} {workers} worker(s){kind}: {published}/{games} rounds published in "
        f"{published_s:6.1f} s ({published / published_s:5.1f} rounds/s; includes worker "
        f"start-up), {explained}/{games} explained in {elapsed:6.1f} s  "
        f"claims per round {dict(sorted(claims.items()))}  explanations computed but not "
        f"stored {errors.count('explanation computed but not stored')}"
        + ("  TRACEBACK in a worker" if "Traceback" in errors else ""),
        flush=True,
    )


def main() -> int:
    games = 40 if "--quick" in sys.argv else 200
    teams = 10
    print(f"{games} games x {teams} teams, round 1 of every game due at once")
    with tempfile.TemporaryDirectory(prefix="bench-fleet-") as tmp:
        if "--postgresql-only" not in sys.argv:
            template = os.path.join(tmp, "template.sqlite")
            t0 = time.perf_counter()
            build(f"sqlite:///{template}", games, teams)
            print(f"setup {time.perf_counter() - t0:.0f} s", flush=True)
            for workers, publishers in FLEETS:
                path = os.path.join(tmp, f"fleet-{workers}-{publishers}.sqlite")
                shutil.copyfile(template, path)
                run("sqlite", f"sqlite:///{path}", games, workers, publishers)
        if "--sqlite-only" in sys.argv:
            return 0
        from tests.pg import PostgresCluster, find_bindir

        bindir = find_bindir()
        if bindir is None:
            print("postgresql: no server binaries; skipped")
            return 0
        cluster = PostgresCluster(bindir)
        cluster.start()
        try:
            cluster.execute("CREATE DATABASE fleet_template")
            build(cluster.url("fleet_template"), games, teams)
            for workers, publishers in FLEETS:
                name = f"fleet_{workers}_{publishers}"
                cluster.execute(f"CREATE DATABASE {name} TEMPLATE fleet_template")
                run("postgresql", cluster.url(name), games, workers, publishers)
        finally:
            cluster.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
