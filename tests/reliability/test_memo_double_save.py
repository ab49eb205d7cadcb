"""A team's members save its first strategy memo at the same moment, on SQLite and on
PostgreSQL: every save succeeds (a lost insert race is retried as an update), one memo row is
left and it holds one of the texts sent."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from simshop.db import db
from simshop.models import Game, Memo, Team, User
from simshop.services import memos as memos_service
from tests.reliability.gamekit import enrol, make_game, make_user

pytestmark = pytest.mark.both_backends

SAVES = 10


def test_concurrent_first_saves_of_a_memo_leave_one_row(app):
    with app.app_context():
        session = db.session
        teacher = make_user(session, "teacher@example.edu", "instructor")
        game = make_game(session, teacher, team_max_size=2)
        members = [
            enrol(session, game, make_user(session, f"s{i}"), "Alpha").user_id for i in (1, 2)
        ]
        team_id = session.scalars(select(Team.id).where(Team.name == "Alpha")).one()
        game_id = game.id

    bodies = [f"Plan number {i}" for i in range(SAVES)]
    barrier = threading.Barrier(SAVES)

    def save(index: int) -> None:
        with app.app_context():
            session = db.session
            user = session.get(User, members[index % 2])
            team = session.get(Team, team_id)
            game = session.get(Game, game_id)
            session.commit()  # hold no transaction (nor SQLite's write lock) at the barrier
            barrier.wait(timeout=30)
            memos_service.save_memo(session, game, team, user, "strategy", bodies[index])

    with ThreadPoolExecutor(max_workers=SAVES) as pool:
        list(pool.map(save, range(SAVES)))  # re-raises the first failure

    with app.app_context():
        rows = db.session.scalars(select(Memo).where(Memo.team_id == team_id)).all()
        assert len(rows) == 1
        assert rows[0].body in bodies
