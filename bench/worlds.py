"""The class the web benchmarks play against, built once per run: an instructor and a
student, a game of ``teams`` student teams (the student in the first), ``published`` rounds
processed and the next one open. Not a benchmark itself (run_all.py runs ``bench_*.py``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def published_class(
    s: Any,
    *,
    password: str,
    title: str,
    scenario_file: str,
    scored_rounds: int,
    practice_rounds: int,
    bot_count: int,
    seed: int,
    teams: int,
    published: int,
) -> tuple[Any, Any, Any]:
    """``(teacher, game, open round)`` in the session ``s`` (inside an app context)."""
    from sqlalchemy import insert

    from simshop.models import Player, Round, Team, User
    from simshop.models.game import team_name_key
    from simshop.security import hash_password
    from simshop.services import games as games_service
    from simshop.services import rounds as rounds_service
    from simshop.services import schedule as schedule_service

    pw = hash_password(password)
    teacher = User(login="bench-teacher", display_name="T", role="instructor", password_hash=pw)
    student = User(login="bench-student", display_name="S", role="student", password_hash=pw)
    s.add_all([teacher, student])
    s.commit()
    game = games_service.create_game(
        s,
        teacher,
        games_service.GameSpec(
            title=title,
            scenario_file=scenario_file,
            scored_rounds=scored_rounds,
            practice_rounds=practice_rounds,
            bot_count=bot_count,
            seed=seed,
        ),
        scenarios_dir=ROOT / "scenarios",
    )
    names = [f"Team {i:03d}" for i in range(1, teams + 1)]
    s.execute(
        insert(Team),
        [
            {"game_id": game.id, "name": n, "name_key": team_name_key(n), "member_count": 1}
            for n in names
        ],
    )
    s.commit()
    first = s.query(Team).filter_by(game_id=game.id, name=names[0]).one()
    s.add(Player(game_id=game.id, user_id=student.id, team_id=first.id))
    s.commit()
    for number in range(1, published + 1):
        rnd = s.query(Round).filter_by(game_id=game.id, number=number).one()
        schedule_service.open_round(s, game, rnd)
        schedule_service.close_round(s, rnd)
        assert rounds_service.process_round(s, rnd.id).published
    current = s.query(Round).filter_by(game_id=game.id, number=published + 1).one()
    schedule_service.open_round(s, game, current)
    return teacher, game, current
