"""How long processing one round takes: the demo game and a 200-team game.

Builds each game in a temporary SQLite database (migrated like production), plays rounds
through the real services (open, save decisions, close, process) and prints the time of
``process_round`` split into claim, load, compute and publish. Not a test: it prints numbers.

    .venv/bin/python bench/bench_process_round.py [--teams 200] [--rounds 3]
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simshop import create_app  # noqa: E402
from simshop.db import db, init_db  # noqa: E402
from simshop.services import decisions as decisions_service  # noqa: E402
from simshop.services import round_state  # noqa: E402
from simshop.services import rounds as rounds_service  # noqa: E402
from simshop.services import schedule as schedule_service  # noqa: E402
from tests.reliability.gamekit import (  # noqa: E402
    enrol,
    make_game,
    make_user,
    round_no,
    team_named,
    tutorial_decisions,
)


def app_on(folder: str):
    logging.disable(logging.INFO)
    app = create_app(
        {"SECRET_KEY": "bench" * 10, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/b.sqlite"}
    )
    with app.app_context():
        init_db()
    return app


def report(label: str, outcome) -> None:
    parts = " ".join(f"{k[:-2]} {v * 1000:7.1f} ms" for k, v in outcome.timings.items())
    print(f"{label:<34} {outcome.teams:4d} teams  total {outcome.elapsed_ms:6d} ms  ({parts})")


def bench_demo() -> None:
    from simshop.cli.games import seed_demo_game

    with tempfile.TemporaryDirectory() as folder:
        app = app_on(folder)
        with app.app_context():
            started = time.perf_counter()
            game, _ = seed_demo_game(db.session, rounds_played=2)
            print(f"demo game seeded (2 rounds played) in {time.perf_counter() - started:.2f} s")
            rnd = round_state.current_round(db.session, game)
            schedule_service.close_round(db.session, rnd)
            report(
                f"demo game, round {rnd.number}", rounds_service.process_round(db.session, rnd.id)
            )
            db.engine.dispose()


def bench_large(teams: int, rounds: int, bots: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        app = app_on(folder)
        with app.app_context():
            session = db.session
            started = time.perf_counter()
            teacher = make_user(session, "bench@example.edu", "instructor")
            game = make_game(session, teacher, scored_rounds=rounds, bot_count=bots)
            students = []
            for i in range(teams - bots):
                student = make_user(session, f"b{i:05d}")
                enrol(session, game, student, f"Team {i:04d}")
                students.append((student, team_named(session, game, f"Team {i:04d}")))
            print(f"{teams}-team game built in {time.perf_counter() - started:.1f} s")
            for number in range(1, rounds + 1):
                rnd = round_no(session, game, number)
                schedule_service.open_round(session, game, rnd)
                if number == 1:  # later rounds carry the first sheet over
                    for i, (student, team) in enumerate(students):
                        decisions_service.submit_decision(
                            session,
                            student,
                            team,
                            rnd,
                            tutorial_decisions(price_us=28 + (i % 40) / 4, qty=400),
                        )
                schedule_service.close_round(session, rnd)
                report(
                    f"{teams} teams ({bots} bots), round {number}",
                    rounds_service.process_round(session, rnd.id),
                )
            db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--teams", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--bots", type=int, default=20)
    args = parser.parse_args()
    bench_demo()
    bench_large(args.teams, args.rounds, args.bots)


if __name__ == "__main__":
    main()
