"""Page views never take SQLite's write lock (issue 18, point 1).

Every GET route of the access sweep (tests/views/test_access_sweep.py), opened by the
instructor and by the student of game A, runs only deferred read transactions: no
``BEGIN IMMEDIATE``, no INSERT, UPDATE or DELETE. And while another connection holds the
write lock, every one of those pages still answers (a page that tried to write would wait
the 5 s busy timeout and fail with a 500).

The one GET that may write is a page of a game whose round is past its deadline: it closes
the round in one short write transaction, and only when there is such a round.
"""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from simshop.db import db
from simshop.models import Round
from simshop.models.user import utcnow
from simshop.services import schedule as schedule_service
from tests.reliability.gamekit import round_no
from tests.views.test_access_sweep import POLICY, login, routes, url_for_rule

# The sweep's fixtures: its seeded two-games world and the app on a copy of it.
from tests.views.test_access_sweep import app as app  # noqa: PLC0414
from tests.views.test_access_sweep import seeded as seeded  # noqa: PLC0414
from tests.views.test_access_sweep import world as world  # noqa: PLC0414

WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "BEGIN IMMEDIATE")
VISITORS = {
    "teacher-a@example.edu": ("public", "login", "instructor", "staff", "owner", "player"),
    "student-a": ("public", "login", "player"),
}


@pytest.fixture
def statements(app):
    """Every SQL statement the app runs while ``recording`` is on."""
    seen: list[str] = []
    state = {"on": False}

    def record(_conn, _cursor, statement, _params, _context, _many):
        if state["on"]:
            seen.append(" ".join(statement.split()))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    yield seen, state
    event.remove(engine, "before_cursor_execute", record)


@pytest.mark.parametrize("visitor", sorted(VISITORS))
def test_no_get_route_writes_or_takes_the_write_lock(app, client, world, statements, visitor):
    seen, state = statements
    writes = []
    login(client, visitor)
    for rule, method in routes(app):
        if method != "GET" or POLICY[rule.endpoint] not in VISITORS[visitor]:
            continue
        seen.clear()
        state["on"] = True
        response = client.get(url_for_rule(rule, {**world["a"], "token": "no-such-link"}))
        response.close()
        state["on"] = False
        assert response.status_code < 500, rule.rule
        writes += [(rule.rule, s) for s in seen if s.upper().startswith(WRITES)]
    assert writes == []


def answers(app, client, world, visitor) -> dict[str, int]:
    """The status of every GET route this visitor may open in game A."""
    answered = {}
    for rule, method in routes(app):
        if method == "GET" and POLICY[rule.endpoint] in VISITORS[visitor]:
            response = client.get(url_for_rule(rule, {**world["a"], "token": "no-such-link"}))
            response.close()
            answered[rule.rule] = response.status_code
    return answered


@pytest.mark.parametrize("visitor", sorted(VISITORS))
def test_every_get_route_answers_while_another_connection_holds_the_write_lock(
    app, client, world, visitor
):
    login(client, visitor)  # a POST: it writes, so before the lock is taken
    unlocked = answers(app, client, world, visitor)
    path = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        locked = answers(app, client, world, visitor)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert locked == unlocked
    assert [rule for rule, status in locked.items() if status >= 500] == []
    assert locked["/games/<int:game_id>/leaderboard"] == 200


def _open_second_round(app, world, deadline):
    with app.app_context():
        game_id = world["a"]["game_id"]
        session = db.session
        second = session.scalar(select(Round).where(Round.game_id == game_id, Round.number == 2))
        second.deadline = deadline
        session.commit()
        game = second.game
        schedule_service.open_round(session, game, round_no(session, game, 2))
        return second.id


def test_a_page_closes_an_overdue_round_in_one_short_write(app, client, world, statements):
    seen, state = statements
    round_id = _open_second_round(app, world, utcnow() + timedelta(hours=1))
    with app.app_context():
        db.session.execute(
            Round.__table__.update()
            .where(Round.id == round_id)
            .values(deadline=utcnow() - timedelta(minutes=1))
        )
        db.session.commit()
    login(client, "student-a")
    state["on"] = True
    assert client.get(f"/games/{world['a']['game_id']}").status_code == 200
    state["on"] = False
    writes = [s for s in seen if s.upper().startswith(WRITES)]
    assert writes[0] == "BEGIN IMMEDIATE"
    assert [s.split()[0] for s in writes] == ["BEGIN", "UPDATE"]
    with app.app_context():
        assert db.session.get(Round, round_id).status == "closed"
    seen.clear()
    state["on"] = True
    assert client.get(f"/games/{world['a']['game_id']}").status_code == 200
    state["on"] = False
    assert [s for s in seen if s.upper().startswith(WRITES)] == []


def test_a_page_of_a_round_still_open_writes_nothing(app, client, world, statements):
    seen, state = statements
    round_id = _open_second_round(app, world, utcnow() + timedelta(hours=1))
    login(client, "student-a")
    state["on"] = True
    assert client.get(f"/games/{world['a']['game_id']}").status_code == 200
    state["on"] = False
    assert [s for s in seen if s.upper().startswith(WRITES)] == []
    with app.app_context():
        assert db.session.get(Round, round_id).status == "open"
