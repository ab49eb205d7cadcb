"""200 logged-in students save decisions at the same moment against gunicorn (4 workers)
on SQLite: every save is accepted, none fails, the log has no "database is locked".
A lighter storm (50 students) does the same on PostgreSQL (reference test C2)."""

from __future__ import annotations

import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import func, select

from simshop.db import db
from simshop.models import Decision
from simshop.services import schedule as schedule_service
from tests.reliability.conftest import LOGIN_THREADS
from tests.reliability.gamekit import (
    PASSWORD,
    csrf_from,
    enrol,
    make_game,
    make_user,
    round_no,
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


def logged_in(base: str, login: str, password: str = PASSWORD) -> requests.Session:
    http = requests.Session()
    token = csrf_from(http.get(base + "/login", timeout=30).text)
    response = http.post(
        base + "/login",
        data={"login": login, "password": password, "csrf_token": token},
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 302, (login, response.status_code)
    return http


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
    url = f"{server.base}/games/{game_id}/decisions"

    # Logging in is set-up, not the storm: a few at a time (see LOGIN_THREADS).
    with ThreadPoolExecutor(max_workers=LOGIN_THREADS) as pool:
        sessions = list(pool.map(lambda i: logged_in(server.base, f"s{i:05d}"), range(students)))
    with ThreadPoolExecutor(max_workers=16) as pool:
        tokens = list(pool.map(lambda s: csrf_from(s.get(url, timeout=30).text), sessions))

    barrier = threading.Barrier(students)

    def submit(index: int) -> tuple[int, float]:
        form = {**tutorial_form(price_us=30 + index / 100), "csrf_token": tokens[index]}
        barrier.wait()
        started = time.perf_counter()
        response = sessions[index].post(url, data=form, allow_redirects=False, timeout=60)
        return response.status_code, time.perf_counter() - started

    with ThreadPoolExecutor(max_workers=students) as pool:
        outcomes = list(pool.map(submit, range(students)))

    statuses = [status for status, _ in outcomes]
    latencies = sorted(seconds for _, seconds in outcomes)
    p95 = latencies[int(0.95 * len(latencies)) - 1]
    print(
        f"\nsubmission storm ({live_db.app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]}): "
        f"{statuses.count(302)} accepted, "
        f"{sum(s >= 500 for s in statuses)} server errors, "
        f"p50 {statistics.median(latencies) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
        f"max {latencies[-1] * 1000:.0f} ms"
    )
    log = server.log()
    assert statuses.count(302) == students, sorted(set(statuses))
    assert "database is locked" not in log
    assert "Traceback" not in log
    with live_db.app.app_context():
        rows = db.session.scalar(
            select(func.count(Decision.id)).where(Decision.round_id == round_id)
        )
    assert rows == students
