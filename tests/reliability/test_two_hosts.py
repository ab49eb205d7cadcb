"""Two app servers, one PostgreSQL, one Redis (issue 18, point 4).

Two gunicorn instances (2 workers each) on different ports stand for two hosts behind a load
balancer; they share the throwaway PostgreSQL server (tests/pg.py), the SECRET_KEY and a
``redis-server`` this module starts on a free port (Debian's package; .ci/run installs it).
A student logs in on one and carries on on the other; wrong passwords count against the
account's limit across both (Flask-Limiter's storage is Redis when REDIS_URL is set); a
round published through one reaches a projector polling the other within one poll
interval; logging out on one ends the session on both (the session version lives in the
database, so a replayed cookie is refused everywhere).
"""

from __future__ import annotations

import shutil
import subprocess
import time

import pytest
import requests

from simshop.db import db
from simshop.services import projector as projector_service
from simshop.services import schedule as schedule_service
from tests.pg import TEMPLATE_DB
from tests.reliability.conftest import LiveDatabase, Server, free_port
from tests.reliability.gamekit import (
    PASSWORD,
    csrf_from,
    enrol,
    make_game,
    make_user,
    round_no,
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.postgresql,
    pytest.mark.parametrize("backend", ["postgresql"], indirect=True),
]
POLL_SECONDS = 5  # the projector's interval (config PROJECTOR_POLL_SECONDS)


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is not installed (.ci/run installs Debian's redis-server)")
    port = free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=tmp_path_factory.mktemp("redis"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    import redis

    client = redis.Redis(port=port)
    deadline = time.monotonic() + 30
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                proc.kill()
                raise
            time.sleep(0.1)
    client.close()
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(timeout=15)


# One student per test, so that no test sees another's lockout or logout.
STUDENTS = {
    "continues": "s00001",
    "locked": "s00002",
    "logs-out": "s00003",
}


@pytest.fixture(scope="module")
def fleet(pg_cluster, redis_url, tmp_path_factory):
    """Game 1 (round 1 open, a projector link, a student per test) and two servers (A, B),
    started once for the module: each test uses its own student, and only the publish test
    publishes (its projector checks start from "nothing published")."""
    folder = tmp_path_factory.mktemp("two-hosts")
    database = pg_cluster.create_database(TEMPLATE_DB)
    live = LiveDatabase(folder, pg_cluster.url(database), migrated=True)
    with live.app.app_context():
        s = db.session
        teacher = make_user(s, "teacher@example.edu", "instructor")
        game = make_game(s, teacher, bot_count=2)
        for team, student in enumerate(STUDENTS.values()):
            enrol(s, game, make_user(s, student), ("Alpha", "Beta", "Gamma")[team])
        first = round_no(s, game, 1)
        schedule_service.open_round(s, game, first)
        token = projector_service.rotate_projector_link(s, game, teacher).token
        ids = {"game": game.id, "round": first.id, "token": token}
    live.dispose()
    live.env["REDIS_URL"] = redis_url
    servers = []
    try:
        for name in ("a", "b"):
            live.folder = folder / name  # each server keeps its own log
            live.folder.mkdir()
            servers.append(Server(live, workers=2))
        yield ids, servers[0].base, servers[1].base
    finally:
        for server in servers:
            server.stop()
        live.dispose()
        pg_cluster.drop_database(database)


@pytest.fixture
def hosts(fleet, backend):
    assert backend == "postgresql"  # the module's parameter, kept in the tests' ids
    return fleet


def login(base: str, login: str, password: str = PASSWORD) -> requests.Response:
    http = requests.Session()
    token = csrf_from(http.get(base + "/login", timeout=30).text)
    response = http.post(
        base + "/login",
        data={"login": login, "password": password, "csrf_token": token},
        allow_redirects=False,
        timeout=30,
    )
    response.http = http  # type: ignore[attr-defined]
    return response


def cookies(http: requests.Session) -> dict[str, str]:
    return http.cookies.get_dict()


def test_a_session_started_on_one_host_continues_on_the_other(hosts):
    ids, a, b = hosts
    started = login(a, STUDENTS["continues"])
    assert started.status_code == 302
    page = requests.get(
        f"{b}/games/{ids['game']}", cookies=cookies(started.http), allow_redirects=False
    )
    assert page.status_code == 200 and "Alpha" in page.text


def test_wrong_passwords_count_across_both_hosts(hosts):
    _ids, a, b = hosts
    student = STUDENTS["locked"]
    statuses = [login((a, b)[i % 2], student, "wrong password").status_code for i in range(10)]
    assert statuses == [200] * 10  # the form again, with an error
    assert login(a, student).status_code == 429  # the account is locked on A...
    assert login(b, student).status_code == 429  # ...and on B


def test_a_publish_through_one_host_reaches_a_projector_polling_the_other(hosts):
    ids, a, b = hosts
    state = f"{b}/projector/{ids['token']}/state"
    first = requests.get(state, timeout=30)
    assert first.json()["published"] is None
    etag = first.headers["ETag"]
    assert requests.get(state, headers={"If-None-Match": etag}, timeout=30).status_code == 304

    teacher = login(a, "teacher@example.edu").http
    processed = teacher.post(
        f"{a}/instructor/games/{ids['game']}/rounds/{ids['round']}/process",
        data={"csrf_token": csrf_from(teacher.get(f"{a}/dashboard", timeout=30).text)},
        allow_redirects=False,
        timeout=120,
    )
    assert processed.status_code == 302
    # The projector's next poll, one interval later (B's caches live 1-2 s, far less):
    time.sleep(POLL_SECONDS)
    polled = requests.get(state, headers={"If-None-Match": etag}, timeout=30)
    assert polled.status_code == 200
    assert polled.json()["published"]["label"] == "Standings after Round 1"


def test_logging_out_on_one_host_ends_the_session_on_both(hosts):
    ids, a, b = hosts
    http = login(a, STUDENTS["logs-out"]).http
    captured = cookies(http)
    home = f"/games/{ids['game']}"
    assert requests.get(b + home, cookies=captured, allow_redirects=False).status_code == 200
    page = http.get(a + home, timeout=30).text
    out = http.post(a + "/logout", data={"csrf_token": csrf_from(page)}, allow_redirects=False)
    assert out.status_code == 302
    for base in (a, b):
        replayed = requests.get(base + home, cookies=captured, allow_redirects=False)
        assert replayed.status_code == 302 and "/login" in replayed.headers["Location"]
