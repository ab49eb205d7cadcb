"""Submissions racing the close: each one either landed before the close or was refused
with 409 and a translated message; none is accepted after the round closed. On SQLite and
on PostgreSQL (where the close's row lock, not a database-wide write lock, orders them)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from simshop.db import db
from simshop.models import Decision, Round, Team
from simshop.models.game import as_utc
from tests.reliability.gamekit import signed_in_http, tutorial_form
from tests.reliability.test_submission_storm import build_class

pytestmark = pytest.mark.both_backends  # every test runs on SQLite and PostgreSQL

STUDENTS = 50


@pytest.mark.slow
def test_submissions_racing_the_close_land_before_it_or_get_409(live_db, gunicorn_factory):
    game_id, round_id = build_class(live_db, STUDENTS)
    server = gunicorn_factory(workers=4)
    url = f"{server.base}/games/{game_id}/decisions"
    close_url = f"{server.base}/instructor/games/{game_id}/rounds/{round_id}/close"

    # Signed in already (gamekit.signed_in): the race is about saving and closing.
    *students, (teacher, teacher_token) = signed_in_http(
        live_db.app, [*(f"s{i:05d}" for i in range(STUDENTS)), "teacher@example.edu"]
    )
    sessions = [http for http, _ in students]
    tokens = [token for _, token in students]
    for i, http in enumerate(sessions):  # half the class reads Chinese
        http.headers["Accept-Language"] = "zh-CN,zh;q=0.9" if i % 2 else "en-US"

    barrier = threading.Barrier(STUDENTS + 1)

    def submit(index: int):
        form = {**tutorial_form(), "csrf_token": tokens[index]}
        barrier.wait()
        time.sleep((index % 10) / 200)  # spread over 50 ms around the close
        response = sessions[index].post(url, data=form, allow_redirects=False, timeout=60)
        return index, response.status_code, response.text

    def close():
        barrier.wait()
        time.sleep(0.02)
        return teacher.post(
            close_url,
            data={"csrf_token": teacher_token, "confirmed": "yes"},
            allow_redirects=False,
            timeout=60,
        ).status_code

    with ThreadPoolExecutor(max_workers=STUDENTS + 1) as pool:
        closing = pool.submit(close)
        outcomes = list(pool.map(submit, range(STUDENTS)))
    assert closing.result() == 302

    with live_db.app.app_context():
        closed_at = as_utc(db.session.get(Round, round_id).closed_at)
        saved = {
            name: as_utc(at)
            for name, at in db.session.execute(
                select(Team.name, Decision.saved_at)
                .join(Team, Team.id == Decision.team_id)
                .where(Decision.round_id == round_id)
            )
        }
    accepted = refused = 0
    for index, status, body in outcomes:
        team = f"Team {index:03d}"
        assert status in (302, 409), (index, status)
        if status == 302:
            accepted += 1
            assert saved[team] <= closed_at
        else:
            refused += 1
            assert team not in saved
            if index % 2:
                assert "本回合已关闭" in body
            else:
                assert "This round is closed" in body
    print(f"\nclose race: {accepted} saved before the close, {refused} refused with 409")
    assert len(saved) == accepted
    assert "Traceback" not in server.log()
