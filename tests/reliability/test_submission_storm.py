"""200 logged-in students save decisions at the same moment against gunicorn (4 workers)
on SQLite: every save is accepted, none fails, the log has no "database is locked".
A lighter storm (50 students) does the same on PostgreSQL (reference test C2)."""

from __future__ import annotations

import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from simshop.db import db
from simshop.models import Decision
from simshop.services import schedule as schedule_service
from tests.reliability.gamekit import (
    enrol,
    make_game,
    make_user,
    round_no,
    signed_in_http,
    tutorial_form,
)

STUDENTS = 200


def build_class(live_db, students: int):
    with live_db.app.app_context():
        session = db.session
        teacher = make_user(session, "teacher@example.edu", "instructor")
        game = make_game(session, teacher, bot_count=0)
        for i in range(students):
            enrol(session, game, make_user(session, f"s{i:05d}"), f"Team {i:03d}")
        first = round_no(session, game, 1)
        schedule_service.open_round(session, game, first)
        return game.id, first.id


@pytest.mark.slow
def test_200_concurrent_submissions_are_all_stored(live_db, gunicorn_factory):
    storm(live_db, gunicorn_factory, STUDENTS)


@pytest.mark.slow
@pytest.mark.parametrize(
    "backend", [pytest.param("postgresql", marks=pytest.mark.postgresql)], indirect=True
)
def test_50_concurrent_submissions_are_all_stored_on_postgresql(live_db, gunicorn_factory):
    storm(live_db, gunicorn_factory, 50)


def storm(live_db, gunicorn_factory, students: int) -> None:
    game_id, round_id = build_class(live_db, students)
    server = gunicorn_factory(workers=4)
    path = f"/games/{game_id}/decisions"
    url = server.base + path

    # The students are signed in already (gamekit.signed_in): the storm is about saving.
    students_http = signed_in_http(live_db.app, [f"s{i:05d}" for i in range(students)])

    barrier = threading.Barrier(students)

    def submit(index: int) -> tuple[int, float]:
        http, token = students_http[index]
        form = {**tutorial_form(price_us=30 + index / 100), "csrf_token": token}
        barrier.wait()
        started = time.perf_counter()
        response = http.post(url, data=form, allow_redirects=False, timeout=60)
        elapsed = time.perf_counter() - started
        status: int | str = response.status_code
        if status == 302 and not response.headers["Location"].endswith(path):
            status = f"302 to {response.headers['Location']}"  # not saved: signed out?
        return status, elapsed

    with ThreadPoolExecutor(max_workers=students) as pool:
        outcomes = list(pool.map(submit, range(students)))

    statuses = [status for status, _ in outcomes]
    latencies = sorted(seconds for _, seconds in outcomes)
    p95 = latencies[int(0.95 * len(latencies)) - 1]
    print(
        f"\nsubmission storm ({live_db.app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]}): "
        f"{statuses.count(302)} accepted, "
        f"{sum(isinstance(s, int) and s >= 500 for s in statuses)} server errors, "
        f"p50 {statistics.median(latencies) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
        f"max {latencies[-1] * 1000:.0f} ms"
    )
    log = server.log()
    assert statuses.count(302) == students, sorted(set(map(str, statuses)))
    assert "database is locked" not in log
    assert "Traceback" not in log
    with live_db.app.app_context():
        rows = db.session.scalar(
            select(func.count(Decision.id)).where(Decision.round_id == round_id)
        )
    assert rows == students
