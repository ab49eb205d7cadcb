"""One team saves its decisions 20 times at the same moment (reference test C3), on SQLite
and on PostgreSQL: every save succeeds, exactly one decision row is left, it holds one of the
20 sheets, and its save count saw every save (the upsert loses no update)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from simshop.db import db
from simshop.models import Decision, Round, Team, User
from simshop.services import decisions as decisions_service
from simshop.services import schedule as schedule_service
from tests.reliability.gamekit import enrol, make_game, make_user, round_no, tutorial_decisions

pytestmark = pytest.mark.both_backends  # every test runs on SQLite and PostgreSQL

SAVES = 20


def test_20_concurrent_saves_by_one_team_leave_one_row_holding_one_of_them(app):
    with app.app_context():
        session = db.session
        teacher = make_user(session, "teacher@example.edu", "instructor")
        game = make_game(session, teacher)
        members = []
        for i in range(game.team_max_size):
            student = make_user(session, f"s{i:03d}")
            enrol(session, game, student, "Alpha")
            members.append(student.id)
        first = round_no(session, game, 1)
        schedule_service.open_round(session, game, first)
        team_id = session.scalars(select(Team.id).where(Team.name == "Alpha")).one()
        round_id = first.id

    prices = [round(20 + i * 1.25, 2) for i in range(SAVES)]
    barrier = threading.Barrier(SAVES)

    def save(index: int) -> None:
        with app.app_context():
            session = db.session
            user = session.get(User, members[index % len(members)])
            team = session.get(Team, team_id)
            rnd = session.get(Round, round_id)
            session.commit()  # hold no transaction (nor SQLite's write lock) at the barrier
            barrier.wait(timeout=30)
            decisions_service.submit_decision(
                session, user, team, rnd, tutorial_decisions(price_us=prices[index])
            )

    with ThreadPoolExecutor(max_workers=SAVES) as pool:
        list(pool.map(save, range(SAVES)))  # re-raises the first failure

    with app.app_context():
        rows = db.session.scalars(
            select(Decision).where(Decision.round_id == round_id, Decision.team_id == team_id)
        ).all()
        assert len(rows) == 1
        (decision,) = rows
        assert decision.payload["offers"]["US"]["earbuds"]["price_local"] in prices
        assert decision.save_count == SAVES
