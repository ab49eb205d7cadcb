"""Competition pages: create, add games (same scenario only), public and private access."""

from __future__ import annotations

import json

import pytest

from simshop.db import db
from simshop.models import Competition, Game
from simshop.services import competitions as cs
from simshop.services import games as games_service
from simshop.services import rounds as rounds_service
from simshop.services import schedule as schedule_service
from tests.reliability.gamekit import csrf_from, enrol, make_game, make_user, round_no

pytestmark = pytest.mark.both_backends  # every test runs on SQLite and PostgreSQL


def post(client, url, data=None, page=None, **kwargs):
    token = csrf_from(client.get(page or url).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **(data or {})}, **kwargs)


@pytest.fixture
def seeded(seeded_app):
    """Every test starts from a fresh copy of one world (tests/conftest.py, seeded_app)."""
    return seeded_app("competitions-views", build_world)


@pytest.fixture
def app(seeded):
    return seeded[0]


@pytest.fixture
def ids(seeded):
    return seeded[1]


def build_world(app):
    with app.app_context():
        s = db.session
        organiser = make_user(s, "org@example.edu", "instructor", name="Prof. Secret Name")
        make_user(s, "other@example.edu", "instructor")
        a = make_game(s, organiser, title="Class A", bot_count=1)
        b = make_game(s, organiser, title="Class B")
        red = make_game(s, organiser, title="Red Sea class", scenario_file="red-sea.toml")
        enrol(s, a, make_user(s, "s001", name="Student Realname"), "Team Alpha")
        enrol(s, b, make_user(s, "s002"), "Team Beta")
        make_user(s, "outsider")
        for game in (a, b):
            rnd = round_no(s, game, 1)
            schedule_service.open_round(s, game, rnd)
            schedule_service.close_round(s, rnd)
            rounds_service.process_round(s, rnd.id)
        return {"a": a.id, "b": b.id, "red": red.id}


def create(client, title="Spring cup", public=False):
    data = {"title": title}
    if public:
        data["is_public"] = "y"
    response = post(client, "/competitions", data)
    assert response.status_code == 302
    return int(response.headers["Location"].rsplit("/", 1)[1])


def test_organiser_creates_a_competition_and_adds_games(app, client, auth, ids):
    auth.login("org@example.edu")
    cid = create(client)
    page = f"/competitions/{cid}"
    post(client, f"{page}/games", {"game_id": str(ids["a"])}, page=page)
    post(client, f"{page}/games", {"game_id": str(ids["b"])}, page=page)

    html = client.get(page).get_data(as_text=True)

    assert "Team Alpha" in html and "Team Beta" in html
    assert "How the combined ranking works" in html
    assert "equal split" in html
    assert "Ranked after round 1 of every game" in html


def test_a_game_of_another_scenario_is_refused_with_a_clear_message(app, client, auth, ids):
    auth.login("org@example.edu")
    cid = create(client)
    page = f"/competitions/{cid}"
    post(client, f"{page}/games", {"game_id": str(ids["a"])}, page=page)

    response = post(
        client, f"{page}/games", {"game_id": str(ids["red"])}, page=page, follow_redirects=True
    )

    html = response.get_data(as_text=True)
    assert "plays a different scenario" in html and "Red Sea class" in html
    with app.app_context():
        assert len(db.session.get(Competition, cid).entries) == 1


def test_another_instructors_game_cannot_be_added(app, client, auth, ids):
    with app.app_context():
        other = (
            db.session.query(type(db.session.get(Game, ids["a"]).owner))
            .filter_by(login="other@example.edu")
            .one()
        )
        theirs = make_game(db.session, other, title="Theirs").id
    auth.login("org@example.edu")
    cid = create(client)
    page = f"/competitions/{cid}"
    html = post(
        client, f"{page}/games", {"game_id": str(theirs)}, page=page, follow_redirects=True
    ).get_data(as_text=True)
    assert "Choose one of your own games." in html


def test_public_page_needs_no_login_and_shows_no_personal_data(app, client, auth, ids):
    auth.login("org@example.edu")
    cid = create(client, public=True)
    page = f"/competitions/{cid}"
    post(client, f"{page}/games", {"game_id": str(ids["a"])}, page=page)
    auth.logout()

    response = app.test_client().get(page)

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Team Alpha" in html and "Class A" in html
    for personal in ("Prof. Secret Name", "org@example.edu", "Student Realname", "s001"):
        assert personal not in html
    assert "Download results bundle" not in html  # games still running
    assert app.test_client().get(f"{page}/results-bundle.json").status_code == 403


def test_private_page_is_for_members_only(app, client, auth, ids):
    auth.login("org@example.edu")
    cid = create(client)
    page = f"/competitions/{cid}"
    post(client, f"{page}/games", {"game_id": str(ids["a"])}, page=page)
    auth.logout()

    anonymous = app.test_client().get(page)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    auth.login("outsider")
    assert client.get(page).status_code == 404
    auth.logout()
    auth.login("s001")
    assert client.get(page).status_code == 200
    assert client.get(f"{page}/results-bundle.json").status_code == 403
    assert client.post(f"{page}/visibility", data={}).status_code in (400, 403)


@pytest.mark.parametrize("login", ["s001", "other@example.edu"])
def test_only_the_organiser_manages(app, client, auth, ids, login):
    with app.app_context():
        organiser = db.session.get(Game, ids["a"]).owner
        competition = cs.create_competition(db.session, organiser, "Cup", is_public=True)
        cs.add_game(db.session, competition, organiser, ids["a"])
        cid = competition.id
    auth.login(login)
    expected = 403 if login == "s001" else 404
    page = f"/competitions/{cid}"
    for url, data in [
        (f"{page}/games", {"game_id": str(ids["b"])}),
        (f"{page}/games/{ids['a']}/remove", {}),
        (f"{page}/visibility", {}),
    ]:
        assert post(client, url, data, page=page).status_code == expected
    assert client.get("/competitions").status_code == (403 if login == "s001" else 200)


def test_organiser_downloads_a_bundle_that_verifies(app, client, auth, ids, runner, tmp_path):
    auth.login("org@example.edu")
    cid = create(client)
    page = f"/competitions/{cid}"
    post(client, f"{page}/games", {"game_id": str(ids["a"])}, page=page)
    post(client, f"{page}/games", {"game_id": str(ids["b"])}, page=page)
    response = client.get(f"{page}/results-bundle.json")
    assert response.status_code == 200
    path = tmp_path / "cup.json"
    path.write_bytes(response.data)
    assert json.loads(response.data)["competition"]["scenario_round"] == 1

    result = runner.invoke(args=["verify", str(path)])

    assert result.exit_code == 0, result.output


def test_anyone_downloads_a_public_bundle_once_every_game_ended(app, client, auth, ids):
    with app.app_context():
        organiser = db.session.get(Game, ids["a"]).owner
        competition = cs.create_competition(db.session, organiser, "Cup", is_public=True)
        cs.add_game(db.session, competition, organiser, ids["a"])
        games_service.end_game(db.session, db.session.get(Game, ids["a"]))
        cid = competition.id
    response = app.test_client().get(f"/competitions/{cid}/results-bundle.json")
    assert response.status_code == 200
    assert b"Student Realname" not in response.data and b"s001" not in response.data
